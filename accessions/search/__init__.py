"""Public search: keyword, filters and facet counts over published records.

The search page and any other public surface (the JSON API) call engine.run_search; every
write calls indexing.update_search_index inside its transaction.
"""
