"""run_search: one search request, from URL parameters to a page of hits and facet counts.

The search page and the JSON API both call it, so they cannot disagree. It runs a fixed
number of queries whatever the data: resolve slugs (when filters are given), count, fetch the
page's ids, count all facets in one UNION query, label the shown facet values, and load the
page's records with their highlighted snippets. On PostgreSQL a relevance page within the
exact-count limit comes with the count (and the shared facet counts, from the same rows);
past it, the page is one more query (relevance.page_by_tiers). A facet group counted under
the words alone, or under one word and other filters that do not bound it, takes one more
query (the words' estimate, see count_plan); one facet value alone is counted by its kept
total. What to count how is count_plan's choice, the facet lists facet_filling's, and a
page not read with the count paging's.
"""

from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.search import (
    count_limits,
    count_plan,
    counting,
    estimates,
    facet_counting,
    facet_filling,
    facet_groups,
    paging,
    relevance,
)
from accessions.search.facet_groups import DATE_PARAMS
from accessions.search.facets import FACETS, FACETS_BY_PARAM
from accessions.search.filters import SearchFilter
from accessions.search.hits import page_hits
from accessions.search.models import SearchEntry
from accessions.search.results import (
    ActiveFilter,
    FacetGroup,
    FacetValue,
    SearchResult,
)
from archive.database_routing import reading_connection


def run_search(
    params: QueryDict, *, page_size: int = 20, facet_limit: int | None = 10
) -> SearchResult:
    """Search the published records as the URL parameters ask.

    `facet_limit` caps the values listed per facet (None lists all); every value stays
    reachable through facet_values(). Bad parameters come back in `errors`, never raised.
    """
    search_filter = SearchFilter(params, queryset=SearchEntry.objects.all())
    if not search_filter.is_valid():
        return SearchResult(errors=_errors(search_filter), page_size=page_size)
    cleaned = search_filter.form.cleaned_data
    keywords = search_filter.keywords
    if cleaned.get("q") and not keywords:
        return SearchResult(
            errors={"q": ["These words are too common to search for; add a more specific word."]},
            page_size=page_size,
        )
    sort = cleaned.get("sort") or ("relevance" if keywords.positive else "date")
    if sort == "relevance" and not keywords.positive:
        sort = "date"
    result = SearchResult(
        page_number=cleaned.get("page") or 1,
        page_size=page_size,
        sort=sort,
        active=_active_filters(cleaned),
    )
    entries = search_filter.qs
    active = search_filter.active_filter_names()
    # Only required words narrow the search: the FTS5 table answers, each match checked
    # against its entry, without collecting the matches into a list of entries first.
    fts_alone = active == ["q"] and not keywords.negative and connection.vendor == "sqlite"
    sampled_groups: set[str] = set()
    total_is_capped = False
    counted, group_rows, coarse_hits, finer_samples = None, {}, {}, {}
    offset = (result.page_number - 1) * page_size
    page_pks = None
    if not active:
        result.total = facet_counting.published_total()
    elif (single := facet_groups.single_facet_value(search_filter, active)) is not None:
        # One facet value alone: its kept total is the count, and every group but its own
        # (the kept totals) counts under it alone.
        result.total = single.total
        result.estimated = result.total > count_limits.EXACT_COUNT_LIMIT
    elif scanned := count_plan.scan_rare_word(
        search_filter, cleaned, sort, offset, page_size, facet_limit
    ):
        # One rare word with filters: every count, exact, from one scan of its matches.
        result.total = scanned.total  # at most the word's matches: within the limit
        result.estimated = False
        page_pks, counted, group_rows = scanned.page_pks, scanned.shared_rows, scanned.group_rows
    else:
        # The counts stop one past the limit: that says whether to count exactly or estimate,
        # for the search and for each facet whose own filter is on (its counts ignore it).
        sized, surely_large = count_plan.sized_groups(search_filter)
        keyword_cap = count_plan.keyword_cap(search_filter, keywords)
        extra = []
        if keyword_cap:
            extra.append((counting.fts_matches(keywords, indexed_only=False), keyword_cap))
        ranked_page, coarse, shared, bounded = None, None, [], []
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # The groups that need no size (their other filters bound them within the
            # limit) are counted in the same statement too, so that every count of an exact
            # search is one query.
            bounded = count_plan.bounded_groups(search_filter, sized, surely_large)
            sized += bounded
            if sort == "relevance":
                candidates = relevance.candidates_sql(entries, keywords)
                ranked_page = counting.RankedPage(candidates, offset, page_size)
            # The facets counted over the search's own matches, and each sized group's own
            # facet, are counted from the rows their counts read, when within the limit.
            shared = facet_groups.shared_facets(search_filter)

            # A coarse sample, read through its index, tells a count far past the limit
            # without counting its matches up to it.
            def coarse(without, stride=None):
                return estimates.coarse_sample(search_filter, without, stride)

            # A word found past the limit by its scan (the statistics were wrong) is
            # sampled after all.
            if scanned is not None and not count_plan.samples_may_tell(
                search_filter, sized, bounded
            ):
                coarse = None

        facet_of = {param: facet for param, facet, _ in facet_groups.all_groups()}
        groups = [
            counting.Sized(
                search_filter.queryset_without(*own),
                own,
                [facet_of[param]] if postgresql else [],
                within_limit=(param, own) in bounded,
            )
            for param, own in sized
        ]
        if postgresql and (ranked_page is not None or shared) and groups:
            # The group likeliest within the limit is read first, and its rows that pass
            # its own filters are the search's matches, which need no reading of their own.
            holder = count_plan.main_holder(search_filter, groups)
            holder.narrowing = counting.Narrowing(
                rows=relevance.candidates_sql(holder.source, keywords)
                if ranked_page is not None
                else counting.keyed_rows(holder.source),
                condition=relevance.where_sql(search_filter.queryset_only(*holder.without)),
            )
        counts = counting.capped_counts(
            counting.fts_matches(keywords, indexed_only=True) if fts_alone else entries,
            count_limits.EXACT_COUNT_LIMIT + 1,
            sized=groups,
            extra=extra,
            page=ranked_page,
            facets=shared,
            shown=(facet_groups.selected_values(cleaned), facet_limit),
            coarse=coarse,
        )
        result.total, sizes, extra_counts = counts.main, counts.sizes, counts.extra
        page_pks, counted, coarse_hits = counts.page_pks, counts.facet_rows, counts.coarse
        finer_samples = counts.finer
        group_rows = {
            param: rows
            for (param, _), rows in zip(sized, counts.sized_rows, strict=True)
            if rows is not None
        }
        if keyword_cap:
            # Now the filters know whether the words or a facet value match fewer records,
            # and the rest of the request's queries lead with the smaller.
            search_filter.keyword_matches = extra_counts[0]
            entries = search_filter.queryset_without()
        result.estimated = result.total > count_limits.EXACT_COUNT_LIMIT
        total_is_capped = result.estimated
        # A group goes uncounted (None) when the search itself is estimated.
        sampled_groups = surely_large | {
            param
            for (param, _), size in zip(sized, sizes, strict=True)
            if size is None or size > count_limits.EXACT_COUNT_LIMIT
        }
    if not result.estimated and result.page_number > result.num_pages:
        _no_such_page(result)
        return result
    if page_pks is None:
        page_pks = paging.page_pks(
            # Read in date order from near the dates asked for (a relevance page within the
            # limit, or past it through its tiers' own indexes, is not read in date order).
            entries if sort == "relevance" else search_filter.start_bounded(entries),
            keywords,
            sort,
            offset,
            page_size,
            bounded=result.estimated,
            # The walks of a relevance page past the limit start at the dates asked for.
            walked=search_filter.start_bounded(
                search_filter.queryset_without(
                    *(
                        name
                        for name in search_filter.active_filter_names()
                        if name not in DATE_PARAMS
                    )
                )
            ),
            # A title holding every word (no word excluded) implies a text that does: the
            # title tier need not test the words against each entry's whole text.
            titled=None if keywords.negative else search_filter.queryset_without("q"),
            date_filtered=bool(set(search_filter.active_filter_names()) & set(DATE_PARAMS)),
        )
    facet_filling.fill_facets(
        result,
        search_filter,
        cleaned,
        facet_limit,
        sampled_groups,
        total_is_capped,
        counted=counted,
        group_rows=group_rows,
        coarse_hits=coarse_hits,
        finer_samples=finer_samples,
    )
    if result.estimated and result.page_number > result.num_pages:
        _no_such_page(result)
        return result
    result.hits = page_hits(page_pks, keywords)
    return result


def _no_such_page(result: SearchResult) -> None:
    result.errors = {
        "page": [f"There is no page {result.page_number}; the last is {result.num_pages}."]
    }


def matching_records(params: QueryDict):
    """Every published record the search lists for these parameters, unpaged, in date order.

    Returns (records, errors); records is None when the parameters are not understood.
    """
    search_filter = SearchFilter(params, queryset=SearchEntry.objects.all())
    if not search_filter.is_valid():
        return None, _errors(search_filter)
    records = Record.objects.published().filter(pk__in=search_filter.qs.values("pk"))
    return records.order_by("date_start", "record_id"), {}


def facet_values(
    params: QueryDict, *, param: str, within: str = "", page: int = 1, page_size: int = 200
) -> SearchResult:
    """One page of the values of one facet, most records first, optionally only names
    containing `within`; result.total is the number of values, result.num_pages their pages.

    Counting every value is cheap (kept totals, or one count over the matches); naming and
    drawing them is not, at thousands of values, so only the page's values are drawn.
    """
    search_filter = SearchFilter(params, queryset=SearchEntry.objects.all())
    if not search_filter.is_valid():
        return SearchResult(errors=_errors(search_filter))
    cleaned = search_filter.form.cleaned_data
    result = SearchResult(active=_active_filters(cleaned), page_size=page_size)
    definition = FACETS_BY_PARAM[param]
    if set(search_filter.active_filter_names()) <= {param}:
        # Its counts ignore its own filter: with no other, they are the kept totals.
        counts = facet_counting.kept_totals([definition.facet]).values_list("value", "count")
        count_by_id = dict(counts)
    else:
        entries = search_filter.queryset_without(param)
        count_by_id = facet_counting.value_counts(entries, definition.facet)
    # Every name of the facet's table in one plain query: cheaper than looking up thousands
    # of ids, and the names order the values that have the same count.
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(
            f"SELECT id, {definition.key}, {definition.name_sql} FROM {definition.table}"
        )
        names = {pk: (key, name) for pk, key, name in cursor.fetchall() if pk in count_by_id}
    within = within.strip().casefold()
    if within:
        names = {pk: found for pk, found in names.items() if within in found[1].casefold()}
    ordered = sorted(names, key=lambda pk: (-count_by_id[pk], names[pk][1].casefold(), pk))
    result.total = len(ordered)
    result.page_number = min(max(page, 1), result.num_pages)
    start = (result.page_number - 1) * page_size
    selected = {label.id for label in cleaned.get(param) or []}
    values = [
        FacetValue(names[pk][0], names[pk][1], count_by_id[pk], pk in selected)
        for pk in ordered[start : start + page_size]
    ]
    result.facets = [FacetGroup(param, definition.label, values, len(ordered))]
    return result


def _errors(search_filter) -> dict[str, list[str]]:
    return {
        name: [str(message) for message in messages]
        for name, messages in search_filter.errors.items()
    }


def _active_filters(cleaned) -> list[ActiveFilter]:
    active = []
    if cleaned.get("q"):
        active.append(ActiveFilter("q", cleaned["q"], f"Keywords: {cleaned['q']}"))
    for name, label in (("date_from", "From"), ("date_to", "To")):
        if cleaned.get(name):
            start, end = cleaned[name]
            shown = start if name == "date_from" else end
            active.append(ActiveFilter(name, "", f"{label} {shown.isoformat()}"))
    for definition in FACETS:
        for value in cleaned.get(definition.param) or []:
            active.append(
                ActiveFilter(definition.param, value.key, f"{definition.label}: {value.name}")
            )
    if cleaned.get("has_scan"):
        active.append(ActiveFilter("has_scan", cleaned["has_scan"], "Has scans"))
    return active
