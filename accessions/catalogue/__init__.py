"""The catalogue: accessions, records, donors, rights, vocabularies, dates and the workflow.

It depends on no other concern, except that its write operations (intake, workflow) keep
the search index current through accessions.search.indexing.update_search_index.
"""
