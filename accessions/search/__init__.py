"""Public search: keyword, filters and facet counts over published records.

The search page and any other public surface (the JSON API) call run_search; writes call
update_search_index inside their transaction.
"""

from accessions.search.engine import SearchHit, SearchResult, matching_records, run_search
from accessions.search.indexing import update_search_index
from accessions.search.rebuilding import rebuild_search_index

__all__ = [
    "SearchHit",
    "SearchResult",
    "matching_records",
    "rebuild_search_index",
    "run_search",
    "update_search_index",
]
