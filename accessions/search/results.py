"""What a search answers: its hits, total, facet groups, active filters and errors."""

import math
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from accessions.catalogue.models import Record


@dataclass
class SearchHit:
    record: Record
    snippet: SafeString
    # The first page of the record's scans (a ScanPage), set by the search page.
    thumbnail: object = None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class FacetGroup:
    param: str
    label: str
    values: list[FacetValue]
    value_count: int

    @property
    def has_more(self) -> bool:
        return self.value_count > len(self.values)


@dataclass
class ActiveFilter:
    param: str
    value: str
    label: str


@dataclass
class SearchResult:
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page_number: int = 1
    page_size: int = 20
    sort: str = "date"
    facets: list[FacetGroup] = field(default_factory=list)
    decades: list[FacetValue] = field(default_factory=list)
    # "Has scans": how many records under the other filters have one, and whether it is on.
    with_scans: FacetValue | None = None
    active: list[ActiveFilter] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # True when the total and facet counts are estimates (more than EXACT_COUNT_LIMIT matches).
    estimated: bool = False
    # The groups (facet params, "decade", "has_scan") whose counts are estimated: all but the
    # kept totals when the search is estimated, or one whose own filter is on when ignoring
    # it leaves more than EXACT_COUNT_LIMIT matches.
    estimated_groups: set[str] = field(default_factory=set)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page_number > 1

    @property
    def has_next(self) -> bool:
        return self.page_number < self.num_pages
