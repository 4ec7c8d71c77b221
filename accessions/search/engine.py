"""run_search: one search request, from URL parameters to a page of hits and facet counts.

The search page and the JSON API both call it, so they cannot disagree. It runs a fixed
number of queries whatever the data: resolve slugs (when filters are given), count, fetch the
page's ids, count all facets in one UNION query, label the shown facet values, and load the
page's records with their highlighted snippets. On PostgreSQL a relevance page within the
exact-count limit comes with the count (and the shared facet counts, from the same rows);
past it, the page is one more query (relevance.page_by_tiers). A facet group counted under
the words alone, or under one word and other filters that do not bound it, takes one more
query (the words' estimate, see _sized_groups and _samples_may_tell); one facet value alone
is counted by its kept total.
"""

from django.db import connection
from django.db.models import F
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.search import (
    count_limits,
    counting,
    estimates,
    facet_counting,
    relevance,
    word_scan,
)
from accessions.search.facets import FACETS, FACETS_BY_PARAM, lookup_values
from accessions.search.filters import SearchFilter
from accessions.search.hits import page_hits
from accessions.search.models import Facet, SearchEntry
from accessions.search.results import (
    ActiveFilter,
    FacetGroup,
    FacetValue,
    SearchResult,
)
from archive.database_routing import reading_connection

ORDERINGS = {
    "date": [F("date_start").asc(nulls_last=True), "pk"],
    "-date": [F("date_start").desc(nulls_last=True), "-pk"],
    "title": ["sort_title", "pk"],
    "-uploaded": [F("uploaded").desc(nulls_last=True), "-pk"],
}
# The orders whose column may be empty and whose page PostgreSQL reads in two parts.
NEWEST_FIRST = {"-date": "date_start", "-uploaded": "uploaded"}
DATE_PARAMS = ("date_from", "date_to")
# Words PostgreSQL's statistics expect in more records than this are surely past the
# exact-count limit: a facet group counted under them alone is estimated without sizing.
WORDS_SURELY_ESTIMATED = 10 * count_limits.EXACT_COUNT_LIMIT


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
    elif (single := _single_facet_value(search_filter, active)) is not None:
        # One facet value alone: its kept total is the count, and every group but its own
        # (the kept totals) counts under it alone.
        result.total = single.total
        result.estimated = result.total > count_limits.EXACT_COUNT_LIMIT
    elif scanned := _word_scan(search_filter, cleaned, sort, offset, page_size, facet_limit):
        # One rare word with filters: every count, exact, from one scan of its matches.
        result.total = scanned.total  # at most the word's matches: within the limit
        result.estimated = False
        page_pks, counted, group_rows = scanned.page_pks, scanned.shared_rows, scanned.group_rows
    else:
        # The counts stop one past the limit: that says whether to count exactly or estimate,
        # for the search and for each facet whose own filter is on (its counts ignore it).
        sized, surely_large = _sized_groups(search_filter)
        keyword_cap = _keyword_cap(search_filter, keywords)
        extra = []
        if keyword_cap:
            extra.append((counting.fts_matches(keywords, indexed_only=False), keyword_cap))
        ranked_page, coarse, shared, bounded = None, None, [], []
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # The groups that need no size (their other filters bound them within the
            # limit) are counted in the same statement too, so that every count of an exact
            # search is one query.
            bounded = _bounded_groups(search_filter, sized, surely_large)
            sized += bounded
            if sort == "relevance":
                candidates = relevance.candidates_sql(entries, keywords)
                ranked_page = counting.RankedPage(candidates, offset, page_size)
            # The facets counted over the search's own matches, and each sized group's own
            # facet, are counted from the rows their counts read, when within the limit.
            shared = _shared_facets(search_filter)

            # A coarse sample, read through its index, tells a count far past the limit
            # without counting its matches up to it.
            def coarse(without, stride=None):
                return estimates.coarse_sample(search_filter, without, stride)

            # A word found past the limit by its scan (the statistics were wrong) is
            # sampled after all.
            if scanned is not None and not _samples_may_tell(search_filter, sized, bounded):
                coarse = None

        facet_of = {param: facet for param, facet, _ in _groups()}
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
            holder = _main_holder(search_filter, groups)
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
            shown=(_selected(cleaned), facet_limit),
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
        page_pks = _page_pks(
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
        )
    _fill_facets(
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


def _single_facet_value(search_filter, active: list[str]):
    """The chosen value (a label) when one facet filter with one value is all there is."""
    if len(active) != 1 or active[0] not in FACETS_BY_PARAM:
        return None
    values = search_filter.form.cleaned_data[active[0]]
    return values[0] if len(values) == 1 else None


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


def _keyword_cap(search_filter, keywords) -> int | None:
    """How far to count the words' own FTS5 matches, or None when there is no need.

    On SQLite the filters' order decides which set drives (see SearchFilter._selective_first);
    beside facet filters, the words' match count, up to the largest chosen value's total,
    places them. Counting FTS5 matches reads only the words' own index entries.
    """
    if connection.vendor != "sqlite" or not keywords.positive:
        return None
    largest = search_filter.largest_facet_total()
    return largest + 1 if largest is not None else None


def _groups() -> list[tuple[str, Facet, tuple[str, ...]]]:
    """(param, facet, own filters) of each count group: the facets, decades and scans."""
    groups = [(d.param, d.facet, (d.param,)) for d in FACETS]
    groups.append(("decade", Facet.DECADE, DATE_PARAMS))
    groups.append(("has_scan", Facet.SCAN, ("has_scan",)))
    return groups


def _sized_groups(search_filter) -> tuple[list[tuple[str, tuple[str, ...]]], set[str]]:
    """(param, own filters) of the groups counted under other filters than their own, and
    the params of those known to be estimated without sizing them.

    Their counts ignore their own filter, so they count more entries than the search finds:
    each needs its own size to tell whether to count exactly or estimate. A group whose
    filter is the only one reads the kept totals and needs none, nor does one whose other
    facet filters choose values of at most EXACT_COUNT_LIMIT records all told, nor one
    counted under one facet value alone (its kept total is its size), nor one counted
    under words alone that PostgreSQL already expects in far more records.
    """
    active = set(search_filter.active_filter_names())
    sized, surely_large = [], set()
    for param, _, own in _groups():
        if not active.intersection(own) or not active.difference(own):
            continue
        if active.difference(own) == {"q"} and _words_surely_estimated(search_filter):
            surely_large.add(param)
            continue
        bound = search_filter.upper_bound(without=own)
        if bound is not None and bound > count_limits.EXACT_COUNT_LIMIT:
            left = active.difference(own)
            if len(left) == 1 and _single_facet_value(search_filter, list(left)) is not None:
                # One facet value is all the group counts under: its kept total is its
                # size, past the limit, and counting to the limit would only confirm it.
                surely_large.add(param)
                continue
        if bound is None or bound > count_limits.EXACT_COUNT_LIMIT:
            sized.append((param, own))
    return sized, surely_large


def _main_holder(search_filter, groups):
    """The Sized group likeliest to be within the limit: one its other filters bound, else
    the one the kept totals bound the tightest (the first when none bounds any)."""
    bounded = [group for group in groups if group.within_limit]
    if bounded:
        return bounded[0]

    def bound(group):
        found = search_filter.upper_bound(without=group.without)
        return float("inf") if found is None else found

    return min(groups, key=bound)


def _bounded_groups(search_filter, sized, surely_large) -> list[tuple[str, tuple[str, ...]]]:
    """(param, own filters) of the groups counted under other filters than their own that
    _sized_groups left out because those filters bound them within the limit."""
    active = set(search_filter.active_filter_names())
    return [
        (param, own)
        for param, _, own in _groups()
        if active.intersection(own)
        and active.difference(own)
        and param not in surely_large
        and (param, own) not in sized
    ]


def _word_scan(search_filter, cleaned, sort, offset, page_size, facet_limit):
    """Every count of a search for one rare word with filters, from one scan of the word's
    matches (word_scan.scan); False where that does not apply, None when the word turned
    out past the limit.

    It applies on PostgreSQL with the extension, to one word that the statistics call rare
    (_word_surely_rare), when a facet group's other filters leave it unbounded: that group
    reads most of the word's matches anyway. Where every group is bounded within the limit
    by its other filters, reading those few rows is cheaper than the word's, and needs no
    statistics. Without statistics (before the first ANALYZE, which a rebuild runs) every
    word looks rare: a common one is then scanned to the limit first, one query for nothing.
    """
    active = set(search_filter.active_filter_names())
    if connection.vendor != "postgresql" or "q" not in active or active == {"q"}:
        return False
    groups = [group for group in _groups() if active.intersection(group[2])]
    bounds = [search_filter.upper_bound(without=own) for *_, own in groups]
    if all(bound is not None and bound <= count_limits.EXACT_COUNT_LIMIT for bound in bounds):
        return False
    if not facet_counting.uses_extension() or not _word_surely_rare(search_filter):
        return False
    return word_scan.scan(
        search_filter,
        groups,
        _shared_facets(search_filter),
        (_selected(cleaned), facet_limit),
        page=(offset, page_size) if sort == "relevance" else None,
    )


def _samples_may_tell(search_filter, sized, bounded) -> bool:
    """Whether a search with filters may have a count so far past the limit that its
    samples tell it without reading it to the limit (see counting._surely_past).

    Not when every facet group's other filters bound it within the limit (the search's own
    matches, a part of each group's, are then within it too), nor when the words are one
    word that PostgreSQL's statistics expect in few records (_word_surely_rare). Building
    and planning the samples (three for each count) was a third of the count statement of a
    rare word with three filters at a million records (14 kB against 6 kB without them).
    """
    unbounded = len(sized) - len(bounded)
    if sized and not unbounded:
        return False
    return not (unbounded and _word_surely_rare(search_filter))


def _word_surely_rare(search_filter) -> bool:
    """Whether the words are one word that PostgreSQL's statistics expect in so few records
    that every count under it is within the limit, or not far past it.

    Its statistics list the index's commonest words (about a thousand); any other word is
    expected in 0.5 % of the entries (4,600 at a million records), and is in at most about
    as many as the least common word listed (some 10,000 at a million). Only a single word
    is trusted: the statistics take words as independent, so that two words that go
    together, or a phrase, are expected in far fewer records than hold them. A word that
    passes the limit all the same is counted to it and estimated from a sample read apart,
    sized from the coarse sample alone: slower, and the estimate as sound.
    """
    if connection.vendor != "postgresql":
        return False
    clauses = search_filter.keywords.clauses
    if len(clauses) != 1 or clauses[0].negated or len(clauses[0].terms) != 1:
        return False  # words together, alternatives, or words excluded
    (term,) = clauses[0].terms
    if len(term) != 1:
        return False  # a phrase
    return search_filter.keyword_estimate() <= count_limits.EXACT_COUNT_LIMIT // 2


def _words_surely_estimated(search_filter) -> bool:
    """Whether PostgreSQL's statistics expect the words in far more records than are ever
    counted exactly (asking costs a query; SQLite keeps no such statistics)."""
    if connection.vendor != "postgresql" or not search_filter.keywords.positive:
        return False
    return search_filter.keyword_estimate() > WORDS_SURELY_ESTIMATED


def _newest_first_page(entries, column: str, offset: int, limit: int) -> list[int]:
    """A page of entries by `column` newest first, entries without one last, on PostgreSQL.

    Read backwards, the ascending index puts entries without a value first, so PostgreSQL
    sorted every entry for "DESC NULLS LAST". The dated and undated entries are read apart,
    each from its index and no further than the page, and the page is cut from both.
    """
    end = offset + limit
    dated = entries.filter(**{f"{column}__isnull": False}).order_by(F(column).desc(), "-pk")
    undated = entries.filter(**{f"{column}__isnull": True}).order_by("-pk")
    both = (
        dated.values_list("pk", column)[:end]
        .union(undated.values_list("pk", column)[:end], all=True)
        .order_by(F(column).desc(nulls_last=True), "-pk")
    )
    return [pk for pk, _ in both[offset:end]]


def _page_pks(
    entries, keywords, sort, offset, limit, *, bounded=False, walked=None, titled=None
) -> list[int]:
    """The pks of a page of entries in the sort's order; PostgreSQL's relevance pages come
    with the count (see counting.RankedPage)."""
    if sort in NEWEST_FIRST and connection.vendor == "postgresql":
        return _newest_first_page(entries, NEWEST_FIRST[sort], offset, limit)
    if sort != "relevance":
        ordered = entries.order_by(*ORDERINGS[sort])
        return list(ordered.values_list("pk", flat=True)[offset : offset + limit])
    if bounded and connection.vendor == "postgresql":
        return relevance.page_by_tiers(
            entries, keywords, offset, limit, walked=walked, titled=titled
        )
    return relevance.page_of_all(entries, keywords, offset, limit)


def _shared_facets(search_filter) -> list[Facet]:
    """The facets whose counts are over the search's own matches: those whose own filter
    is not on."""
    active = set(search_filter.active_filter_names())
    return [facet for param, facet, own in _groups() if not active.intersection(own)]


def _fill_facets(
    result,
    search_filter,
    cleaned,
    facet_limit,
    sampled_groups,
    total_is_capped=False,
    *,
    counted=None,
    group_rows=None,
    coarse_hits=None,
    finer_samples=None,
) -> None:
    """Count every facet in one query; each facet's counts ignore its own filter.

    The groups named in `sampled_groups` (and all but the kept totals when the search itself
    is estimated) are estimated, each from a sample of its own matches; so is the total when
    `total_is_capped` (its count stopped at the limit). `counted` holds the (facet, value,
    count, values in facet) rows to show of the shared facets when the count already counted
    and ranked them, `group_rows` those of the groups it counted, by param, and
    `coarse_hits` the sizes of the coarse samples it read, by the filters they leave out,
    and `finer_samples` the (stride, matches) of the finer samples it read beyond them.
    """
    group_rows, coarse_hits = group_rows or {}, coarse_hits or {}
    finer_samples = finer_samples or {}
    # Rows to show that the count already ranked: no query needs to count them again.
    ranked_rows = []
    active = set(search_filter.active_filter_names())
    groups = _groups()
    shared = _shared_facets(search_filter)
    querysets = []
    counted_facets: set[Facet] = set()  # the facets the querysets count
    sampled_facets: set[int] = set()
    # (facets, filters left out) of the counts taken on the sample.
    sampled_parts: list[tuple[list[Facet], tuple[str, ...]]] = []
    if shared and active:
        if result.estimated:
            sampled_facets.update(facet.value for facet in shared)
            result.estimated_groups.update(p for p, f, own in groups if f in shared)
            sampled_parts.append((shared, ()))
        elif counted is not None:
            ranked_rows += counted
        else:
            querysets.append(facet_counting.facet_counts(search_filter.queryset_without(), shared))
            counted_facets.update(shared)
    for param, facet, own in groups:
        if not active.intersection(own):
            continue
        if not active.difference(own):
            # Only this group's own filter is on, and its counts ignore it: the kept totals.
            querysets.append(facet_counting.kept_totals([facet]))
            counted_facets.add(facet)
        elif param in sampled_groups:
            sampled_facets.add(facet.value)
            result.estimated_groups.add(param)
            sampled_parts.append(([facet], own))
        elif param in group_rows:
            ranked_rows += group_rows[param]
        else:
            entries = search_filter.queryset_without(*own)
            querysets.append(facet_counting.facet_counts(entries, [facet]))
            counted_facets.add(facet)
    if total_is_capped and not any(without == () for _, without in sampled_parts):
        sampled_parts.append(([], ()))
    selected = _selected(cleaned)
    # Where the extension ranks the sampled counts as it counts them, their rows come ranked.
    ranks_keys = bool(sampled_parts) and facet_counting.uses_extension()
    ranked_parts = []
    for number, (facets, without) in enumerate(sampled_parts):
        if not ranks_keys:
            counted_facets.update(facets)
        (ranked_parts if ranks_keys else querysets).append(
            estimates.estimated_counts(
                search_filter,
                facets,
                without,
                number,
                total=total_is_capped and without == (),
                hits=count_limits.SAMPLE_HITS if without == () else count_limits.GROUP_SAMPLE_HITS,
                coarse_hits=coarse_hits.get(without),
                finer=finer_samples.get(without),
                shown=(selected, facet_limit) if ranks_keys else None,
            )
        )
    combined = facet_counting.union_all(querysets) if querysets else None
    counts: dict[int, dict[int, int]] = {}
    value_counts: dict[int, int] = {}
    estimated_total = None
    if active:
        rows = [tuple(row) for row in ranked_rows]
        if combined is not None or ranked_parts:
            rows += facet_counting.top_counts(
                combined, selected, facet_limit, counted_facets, ranked=ranked_parts
            )
    else:
        rows = facet_counting.top_kept_totals(shared, facet_limit)
    for facet, value, count, value_count in rows:
        if facet == facet_counting.SAMPLE_ROW:
            estimated_total = count
            continue
        counts.setdefault(facet, {})[value] = count
        value_counts[facet] = value_count
    if estimated_total is not None:
        # Never below what was counted.
        result.total = max(estimates.rounded(estimated_total), count_limits.EXACT_COUNT_LIMIT + 1)
    for facet in sampled_facets:
        by_value = counts.setdefault(facet, {})
        for value in by_value:
            by_value[value] = estimates.rounded(by_value[value])
        # A chosen value the sample missed stays listed (and ticked), or the next submit of
        # the form would drop the filter.
        for value in selected.get(facet, ()):
            by_value.setdefault(value, 0)
    shown = {}
    for definition in FACETS:
        by_value = counts.setdefault(definition.facet.value, {})
        shown[definition] = sorted(by_value, key=lambda pk, c=by_value: (-c[pk], pk))
    labels = lookup_values(shown, by="id")
    for definition in FACETS:
        number = definition.facet.value
        values = [
            FacetValue(label.key, label.name, counts[number][pk], pk in selected[number])
            for pk in shown[definition]
            if (label := labels.get((number, pk)))
        ]
        result.facets.append(
            FacetGroup(definition.param, definition.label, values, value_counts.get(number, 0))
        )

    decade_counts = counts.get(Facet.DECADE.value, {})
    result.decades = [
        FacetValue(str(decade), f"{decade}s", decade_counts[decade])
        for decade in sorted(decade_counts)
    ]
    result.with_scans = FacetValue(
        "1",
        "Has scans",
        counts.get(Facet.SCAN.value, {}).get(1, 0),
        bool(cleaned.get("has_scan")),
    )


def _selected(cleaned) -> dict[int, set[int]]:
    """{facet number: ids of its chosen values} of the cleaned parameters."""
    return {
        definition.facet.value: {label.id for label in cleaned.get(definition.param) or []}
        for definition in FACETS
    }
