"""OAI-PMH 2.0 data provider: records as oai_dc, collections as sets, withdrawn as deleted."""
