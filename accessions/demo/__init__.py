"""The demo catalogue (records.json, seed_record.json) and its loader, for `manage.py load_demo`."""
