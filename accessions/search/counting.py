"""Counting for the search: capped counts, facet counts, the kept totals, and the samples.

Up to EXACT_COUNT_LIMIT matches everything is counted exactly. Past it, each count is
estimated from a sample of its own matches, sized for the error the estimate may have
(see "How estimates are sized" below); run_search (engine.py) decides what to count how.
"""

import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F

from accessions.search.indexing import ENTRIES_TOTAL, FTS_TABLE
from accessions.search.models import (
    FACET_KEY_BASE,
    Facet,
    SearchEntry,
    SearchFacet,
    SearchFacetTotal,
)
from accessions.search.relevance import CANDIDATE_ORDER
from archive.database_routing import reading_connection

# Up to this many matches, the total and every facet count are exact. Past it they are
# estimated and shown as "about N".
EXACT_COUNT_LIMIT = 10_000

# How estimates are sized. An estimate counts the matches among the entries whose pk is a
# multiple of a stride (a power of two), and multiplies by the stride. With h sampled
# matches its relative error is within 1.96 / sqrt(h) nineteen times in twenty (the sample
# is a binomial draw of the matches), so ±5 % needs h >= (1.96 / 0.05)² = 1,537: the stride
# is chosen to expect SAMPLE_HITS = 2,000 of them. It is chosen from a coarse sample first
# (every COARSE_STRIDE-th entry): from its c matches, (c - 2·sqrt(c)) · COARSE_STRIDE is a
# lower bound of the matches (97.7 % of the time), and the stride is the largest power of
# two that still expects SAMPLE_HITS matches at that bound. A count past the limit reads
# a few thousand of its matches whatever its size; one just past it is counted exactly.
ESTIMATE_ERROR = 0.05
SAMPLE_HITS = 2000
# The facet counts of a group whose own filter is on (counted over more matches than the
# search finds) come from a sample of their own, which costs its matches' rows: a quarter
# of the hits keeps a search with three filters within its time, at ±9 % for a whole group
# (a single value's count, a part of the group, varies more: the bench reports it).
GROUP_SAMPLE_HITS = 500
COARSE_STRIDE = 1024  # at most models.SAMPLE_LEVELS_UP_TO
# A group whose coarse sample holds at least this many matches is past the exact-count
# limit beyond doubt: within the limit, the coarse sample expects fewer than 10 at a
# million records, and seeing 25 or more is a chance below one in twenty thousand.
SURELY_PAST_HITS = 25
# A count whose coarse sample is not that sure, but holds at least FINE_FROM matches, reads
# a finer sample (every FINE_STRIDE-th entry) to decide: it is past the limit beyond doubt
# when that sample holds fine_surely_hits() matches, four standard deviations above what a
# count at the limit gives it. The finer sample costs a few hundred rows where counting up
# to the limit costs ten thousand; below FINE_FROM coarse matches a count is likely within
# the limit and is counted anyway.
FINE_STRIDE = 128  # a sample level: a power of two up to models.SAMPLE_LEVELS_UP_TO
FINE_FROM = 5


def fine_surely_hits() -> int:
    """The fewest matches of the finer sample that put its count past the limit beyond
    doubt: λ + 4·sqrt(λ), λ being what a count at the limit leaves in it."""
    expected = EXACT_COUNT_LIMIT / FINE_STRIDE
    return max(1, math.ceil(expected + 4 * math.sqrt(expected)))


# Facet number of the row carrying a search's estimated total among the facet-count rows.
SAMPLE_ROW = 0


def fts_matches(keywords, *, indexed_only: bool) -> tuple[str, list]:
    """SQL and parameters for the FTS5 rows the required words match (SQLite).

    `indexed_only` keeps the rows that have a search entry, looked up one by one as FTS5
    yields them: the FTS5 table follows the entries in every write, but nothing else keeps
    it from outliving them (a database flush empties the entries only).
    """
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    if indexed_only:
        sql += f" AND {FTS_ROW_HAS_ENTRY}"
    return sql, [keywords.fts5_positive()]


# An FTS5 row's search entry, probed by primary key for each row FTS5 yields.
FTS_ROW_HAS_ENTRY = (
    f"EXISTS (SELECT 1 FROM {SearchEntry._meta.db_table} kept "
    f"WHERE kept.record_id = {FTS_TABLE}.rowid)"
)


@dataclass
class RankedPage:
    """A page of entries by relevance, asked of capped_counts (PostgreSQL): `candidates` is
    the (SQL, parameters) of relevance.candidates_sql's rows of the matching entries."""

    candidates: tuple[str, list]
    offset: int
    limit: int


@dataclass
class Sized:
    """A facet group counted over other entries than the search's own (its own filters are
    left out), asked of capped_counts: `source` is the queryset of those entries, `without`
    the filters left out, and `facets` those to count over the same rows (PostgreSQL)."""

    source: object
    without: tuple[str, ...]
    facets: list = field(default_factory=list)
    # Known to be within the limit (its other filters bound it): no sample is read to ask.
    within_limit: bool = False
    # When set, the main source's matches are taken from this group's rows whenever the
    # group is within the limit, instead of being read again (see Narrowing).
    narrowing: "Narrowing | None" = None


@dataclass
class Narrowing:
    """How a Sized group's rows give the main source's (PostgreSQL): the group's entries are
    the main's with the group's own filters left out, so the main's are those of its rows
    that pass them. `rows` is the (SQL, parameters) of the group's entries as rows of the
    main source's columns (relevance.candidates_sql's with a page; candidate, date_start,
    date_end and entry_keys without), `condition` the (SQL, parameters) of the group's own
    filters over the entries table's columns (relevance.where_sql)."""

    rows: tuple[str, list]
    condition: tuple[str, list]


@dataclass
class CappedCounts:
    """What capped_counts counted.

    `main` is the search's count (the cap when it stopped there); `sizes` the count of each
    Sized (None when not counted); `extra` each extra source's count; `page_pks` the
    relevance page when it came with the count; `facet_rows` the rows to show (facet, value,
    count, values in facet) of the main facets and `sized_rows` those of each Sized, ranked
    (see ranked_counts_sql), None where not within the
    limit; `coarse` the matches of the coarse sample of the main source and of each Sized,
    by the filters left out (None where not read).
    """

    main: int
    sizes: list
    extra: list
    page_pks: list[int] | None = None
    facet_rows: list | None = None
    sized_rows: list = field(default_factory=list)
    coarse: dict = field(default_factory=dict)


def capped_counts(
    main,
    cap: int,
    *,
    sized=(),
    extra=(),
    page: RankedPage | None = None,
    facets=(),
    shown=({}, None),
    coarse=None,
) -> CappedCounts:
    """How many entries the main source matches, counting no further than `cap`, and then
    each Sized the same way, and each (source, cap) of `extra` to its own cap, in one query.
    A source is a queryset of entries or the (SQL, parameters) of a query of pks.

    The Sized sources are counted only when the main count is within EXACT_COUNT_LIMIT
    (None otherwise): past it, everything is estimated anyway, and the database skips their
    subqueries. With `page`, its candidates replace the main source: the same entries the
    count reads are ranked, and the best of them make the page, so that one reading of a
    word's matches serves both; past the limit there is no page (relevance.page_by_tiers
    makes it).

    On PostgreSQL the main source's `facets` and each Sized's own are counted from the rows
    its count reads, when they are within the limit: every set of matches is read once.
    They come back as the rows to show (see ranked_counts_sql), given `shown`, the
    (selected values, values per facet) of the page, ranked in the same statement.

    With `coarse`, a function giving the (SQL, parameters) of the coarse sample of the
    entries without some filters (or of the sample of a given stride), a source that its
    samples already show past the limit is not counted: the main count is then `cap`, a
    sized one None (see _surely_past).
    The coarse samples' sizes come back for the estimates, which need not read them again.
    """
    sized, extra, facets = list(sized), list(extra), list(facets)
    postgresql = connection.vendor == "postgresql"
    ctes, params = [], []
    main_read = page is not None or (postgresql and facets)
    # The columns of the main rows: what the page ranks by, and the keys the facets count.
    main_columns = "candidate, tier, date_start, date_end, entry_keys" if page else "entry_keys"
    # The group whose rows hold the main's matches, read before them (see Narrowing).
    holder = next(
        (n for n, group in enumerate(sized) if group.narrowing and group.facets and main_read),
        None,
    )
    # Each group's result columns and their parameters, by the group's number.
    group_columns: dict[int, tuple[list[str], list]] = {}

    def add_group(number: int, group: Sized) -> None:
        """The CTEs of a Sized group, and its result columns in group_columns."""
        unless = "FALSE"
        if coarse is not None and not group.within_limit:
            unless, surely_ctes, surely_params = _surely_past(str(number), coarse, group.without)
            ctes.extend(surely_ctes)
            params.extend(surely_params)
        # Whether to count the group at all, decided once for its count and its facets. The
        # holder of the main's matches is read first, whatever the main count.
        within = (
            "TRUE" if number == holder else f"(SELECT main FROM counted) <= {EXACT_COUNT_LIMIT}"
        )
        ctes.append(
            f"sized_{number}_on AS MATERIALIZED (SELECT {within} AND NOT {unless} AS counting)"
        )
        on = f"(SELECT counting FROM sized_{number}_on)"
        columns, column_params = group_columns[number] = ([], [])
        if postgresql and group.facets:
            if number == holder:
                rows_sql, rows_params = group.narrowing.rows
            else:
                rows_sql, rows_params = _keys_of(group.source)
            ctes.append(
                f"sized_{number} AS MATERIALIZED (SELECT * FROM ({rows_sql}) s WHERE {on} LIMIT %s)"
            )
            params.extend([*rows_params, cap])
            size = f"(SELECT COUNT(*) FROM sized_{number})"
            columns.append(f"CASE WHEN {on} THEN {size} END")
            counts = _unnested_key_counts(f"sized_{number}", "entry_keys", group.facets)
            ranked, ranked_params = _shown_json(counts, shown)
            columns.append(f"CASE WHEN {on} AND {size} <= {EXACT_COUNT_LIMIT} THEN {ranked} END")
            column_params.extend(ranked_params)
            if number == holder:
                ctes.append(
                    f"main_holder AS MATERIALIZED (SELECT {on} AND {size} <= "
                    f"{EXACT_COUNT_LIMIT} AS complete)"
                )
        else:
            sql, source_params = _capped_sql(group.source, cap)
            columns.append(f"CASE WHEN {on} THEN {sql} END")
            column_params.extend(source_params)

    if holder is not None:
        add_group(holder, sized[holder])
        held = "(SELECT complete FROM main_holder)"
    else:
        held = "FALSE"
    if coarse is not None:
        surely, surely_ctes, surely_params = _surely_past("main", coarse, ())
        ctes += surely_ctes
        params += surely_params
    else:
        surely = "FALSE"
    if main_read:
        if page is not None:
            # The matches are read once, unless the coarse sample shows them far past the
            # limit: the database then never reads the capped matches (nor ranks them).
            source_sql, source_params = page.candidates
            limit = max(cap, page.offset + page.limit)
        else:
            source_sql, source_params = _keys_of(main)
            limit = cap
        read = (
            f"SELECT {main_columns} FROM ({source_sql}) c "
            f"WHERE NOT {held} AND NOT {surely} LIMIT %s"
        )
        read_params = [*source_params, limit]
        if holder is not None:
            # The holder's rows that pass its own filters, when it was read whole; the
            # entries' own reading otherwise.
            condition, condition_params = sized[holder].narrowing.condition
            table = connection.ops.quote_name(SearchEntry._meta.db_table)
            ctes.append(
                f"main_rows AS MATERIALIZED (SELECT {main_columns} FROM (SELECT *, "
                f"candidate AS record_id, entry_keys AS keys FROM sized_{holder}) AS {table} "
                f"WHERE {held} AND ({condition}) UNION ALL ({read}))"
            )
            params += [*condition_params, *read_params]
        else:
            ctes.append(f"main_rows AS MATERIALIZED ({read})")
            params += read_params
        inner, inner_params = "(SELECT COUNT(*) FROM main_rows)", []
    else:
        inner, inner_params = _capped_sql(main, cap)
    # MATERIALIZED: counted once, not again in each CASE once the planner inlines it. A
    # main held by a group is counted without asking its samples.
    if holder is not None:
        ctes.append(
            f"counted AS MATERIALIZED (SELECT CASE WHEN {held} THEN {inner} "
            f"WHEN {surely} THEN %s ELSE {inner} END AS main)"
        )
        params += [*inner_params, cap, *inner_params]
    else:
        ctes.append(
            f"counted AS MATERIALIZED (SELECT CASE WHEN {surely} THEN %s ELSE {inner} END AS main)"
        )
        params += [cap, *inner_params]
    for number, group in enumerate(sized):
        if number != holder:
            add_group(number, group)
    columns, column_params = ["counted.main"], []
    for number in range(len(sized)):
        columns += group_columns[number][0]
        column_params += group_columns[number][1]
    for source, extra_cap in extra:
        sql, source_params = _capped_sql(source, extra_cap)
        columns.append(sql)
        column_params += source_params
    if page is not None:
        columns.append(
            f"CASE WHEN counted.main <= {EXACT_COUNT_LIMIT} THEN ARRAY(SELECT candidate "
            f"FROM main_rows ORDER BY {CANDIDATE_ORDER} LIMIT %s OFFSET %s) END"
        )
        column_params += [page.limit, page.offset]
    if main_read and facets:
        counts = _unnested_key_counts("main_rows", "entry_keys", facets)
        ranked, ranked_params = _shown_json(counts, shown)
        columns.append(f"CASE WHEN counted.main <= {EXACT_COUNT_LIMIT} THEN {ranked} END")
        column_params += ranked_params
    if coarse is not None:
        # The main's coarse sample is not read when a group held its matches.
        columns.append(f"CASE WHEN {held} THEN NULL ELSE (SELECT c FROM coarse_main) END")
        columns += [
            f"(SELECT c FROM coarse_{number})"
            for number, group in enumerate(sized)
            if not group.within_limit
        ]
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} SELECT {', '.join(columns)} FROM counted",
            [*params, *column_params],
        )
        row = list(cursor.fetchone())
    result = CappedCounts(main=row.pop(0), sizes=[], extra=[])
    within = result.main <= EXACT_COUNT_LIMIT
    for group in sized:
        size, rows = row.pop(0), None
        if postgresql and group.facets:
            rows = row.pop(0)
            if rows is None and size is not None and size <= EXACT_COUNT_LIMIT:
                rows = []  # no match at all: json_agg of nothing is NULL
        result.sizes.append(size)
        result.sized_rows.append(rows)
    result.extra = [row.pop(0) for _ in extra]
    if page is not None:
        result.page_pks = row.pop(0)
    if main_read and facets:
        result.facet_rows = row.pop(0) or ([] if within else None)
    if coarse is not None:
        result.coarse[()] = row.pop(0)
        for group in sized:
            if not group.within_limit:
                result.coarse[group.without] = row.pop(0)
    return result


def _shown_json(counts: str, shown) -> tuple[str, list]:
    """(SQL, parameters) of a JSON array of the rows to show of `counts` (facet, value,
    count rows), ranked as top_counts ranks them; `shown` is (selected values, limit)."""
    ranked, params = ranked_counts_sql(counts, *shown)
    return (
        f"(SELECT json_agg(json_build_array(facet, value, count, value_count)) "
        f"FROM ({ranked}) shown)",
        params,
    )


def keyed_rows(source) -> tuple[str, list]:
    """(SQL, parameters) of (candidate, date_start, date_end, entry_keys) rows of a queryset
    of entries: a Narrowing's rows when there is no page to rank."""
    rows = source.order_by().annotate(candidate=F("pk"), entry_keys=F("keys"))
    return rows.values("candidate", "date_start", "date_end", "entry_keys").query.sql_with_params()


def _keys_of(source) -> tuple[str, list]:
    """(SQL, parameters) of the entry_keys of a queryset of entries (PostgreSQL)."""
    return (
        source.order_by().annotate(entry_keys=F("keys")).values("entry_keys")
    ).query.sql_with_params()


def _surely_past(name: str, coarse, without) -> tuple[str, list[str], list]:
    """(condition, common table expressions, their parameters): whether the count of the
    entries without the filters named is past the limit beyond doubt, from its coarse
    sample (coarse_<name>) or, when that is not sure, its finer one (fine_<name>), which is
    read only then (see SURELY_PAST_HITS and FINE_STRIDE)."""
    coarse_sql, coarse_params = _coarse_count_sql(coarse(without))
    fine_sql, fine_params = _coarse_count_sql(coarse(without, FINE_STRIDE))
    ctes = [
        f"coarse_{name} AS MATERIALIZED ({coarse_sql})",
        f"fine_{name} AS MATERIALIZED ({fine_sql})",
    ]
    hits = f"(SELECT c FROM coarse_{name})"
    condition = (
        f"({hits} >= {SURELY_PAST_HITS} OR ({hits} >= {FINE_FROM} AND "
        f"(SELECT c FROM fine_{name}) >= {fine_surely_hits()}))"
    )
    return condition, ctes, [*coarse_params, *fine_params]


def _coarse_count_sql(coarse_sample) -> tuple[str, list]:
    """(SQL, parameters) of a coarse sample's number of matches, as a row (c)."""
    sql, params = coarse_sample
    return f"SELECT COUNT(*) AS c FROM ({sql}) coarse", list(params)


def _capped_sql(source, cap: int) -> tuple[str, list]:
    if isinstance(source, tuple):
        sql, params = source
    else:
        sql, params = source.order_by().values("pk").query.sql_with_params()
    return f"(SELECT COUNT(*) FROM ({sql} LIMIT %s) capped)", [*params, cap]


def top_counts(combined, selected: dict[int, set[int]], limit: int | None) -> list[tuple]:
    """Rows (facet, value, count, values in facet) of the top `limit` values of each facet,
    from `combined`, the (SQL, parameters) of every count row (see union_all), plus the
    selected values and every decade (see ranked_counts_sql)."""
    sql, params = combined
    ranked, ranked_params = ranked_counts_sql(sql, selected, limit)
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(ranked, [*params, *ranked_params])
        return cursor.fetchall()


def ranked_counts_sql(counts: str, selected: dict[int, set[int]], limit: int | None):
    """(SQL, parameters) of the rows (facet, value, count, values in facet) to show of the
    (facet, value, count) rows of `counts`: the top `limit` values of each facet, the
    selected values, every decade, the scan count and the sample-size row. The database
    ranks them, so a facet with thousands of values costs no more to send than one with ten.
    """
    keep = ["facet IN (%s, %s, %s)"]
    keep_params = [Facet.DECADE.value, Facet.SCAN.value, SAMPLE_ROW]
    if limit is None:
        keep.append("1 = 1")
    else:
        keep.append("position_in_facet <= %s")
        keep_params.append(limit)
    for facet, values in selected.items():
        for value in values:
            keep.append("(facet = %s AND value = %s)")
            keep_params += [facet, value]
    sql = (
        "SELECT facet, value, count, value_count FROM ("
        'SELECT facet, value, "count" AS count, '
        'ROW_NUMBER() OVER (PARTITION BY facet ORDER BY "count" DESC, value) '
        "AS position_in_facet, "
        "COUNT(*) OVER (PARTITION BY facet) AS value_count "
        f"FROM ({counts}) counts) ranked WHERE {' OR '.join(keep)}"
    )
    return sql, keep_params


def top_kept_totals(facets, limit: int | None) -> list[tuple]:
    """Rows (facet, value, count, values in facet) of the top `limit` kept totals of each
    facet (every decade and the scan count): what the unfiltered search page shows.

    Each facet's top values are picked apart, so the database never ranks every value of
    every facet at once (thousands of subjects and places) as the window in top_counts does.
    """
    table = SearchFacetTotal._meta.db_table
    parts, params = [], []
    for facet in facets:
        capped = limit is not None and facet not in (Facet.DECADE, Facet.SCAN)
        parts.append(
            f"SELECT * FROM (SELECT facet, value, count, (SELECT COUNT(*) FROM {table} every "
            f"WHERE every.facet = %s AND every.count > 0) AS value_count FROM {table} "
            f"WHERE facet = %s AND count > 0 ORDER BY count DESC, value"
            f"{' LIMIT %s' if capped else ''}) top_{facet.value}"
        )
        params += [facet.value, facet.value, *([limit] if capped else [])]
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def kept_totals(facets):
    """The kept per-value totals of these facets, in the shape of the facet-count rows."""
    return (
        SearchFacetTotal.objects.filter(facet__in=[f.value for f in facets], count__gt=0)
        .values("facet", "value", "count")
        .order_by()
    )


def published_total() -> int:
    row = SearchFacetTotal.objects.filter(facet=ENTRIES_TOTAL, value=0).first()
    return row.count if row else 0


def coarse_hits_for(stride: int, hits: int | None = None) -> int:
    """The fewest matches a coarse sample must hold for `stride` to expect `hits` (by
    default SAMPLE_HITS) matches at the lower bound (c - 2·sqrt(c)) · COARSE_STRIDE of the
    count."""
    needed = stride * (SAMPLE_HITS if hits is None else hits) / COARSE_STRIDE
    hits = math.ceil(needed)
    while hits - 2 * math.sqrt(hits) < needed:
        hits += 1
    return hits


def _stride_case(hits: int) -> str:
    """SQL: the stride of a sample expecting `hits` matches, from `c`, the matches its coarse
    sample holds."""
    cases = []
    stride = COARSE_STRIDE
    while stride > 1:
        cases.append(f"WHEN c >= {coarse_hits_for(stride, hits)} THEN {stride}")
        stride //= 2
    return f"CASE {' '.join(cases)} ELSE 1 END" if cases else "1"


def coarse_sample(search_filter, without=(), stride: int | None = None) -> tuple[str, list]:
    """(SQL, parameters) of the pks of the coarse sample of the entries matching the
    filters less those named: every COARSE_STRIDE-th entry (or every `stride`-th)."""
    stride_sql = str(stride or COARSE_STRIDE)
    coarse = search_filter.sampled_queryset_without(*without, stride_sql=stride_sql)
    return coarse.order_by().values("pk").query.sql_with_params()


def stride_for(coarse_hits: int, hits: int | None = None) -> int:
    """The stride of a sample expecting `hits` matches (SAMPLE_HITS by default), from the
    matches its coarse sample holds: what _stride_case computes in SQL."""
    stride = COARSE_STRIDE
    while stride > 1:
        if coarse_hits >= coarse_hits_for(stride, hits):
            return stride
        stride //= 2
    return 1


def estimated_counts(
    search_filter,
    facets,
    without,
    number: int,
    *,
    total: bool,
    hits: int | None = None,
    coarse_hits: int | None = None,
):
    """(SQL, parameters) of the estimated counts of the facets' values over the entries
    matching the filters less those named, as (facet, value, count) rows, and with `total`
    a (SAMPLE_ROW, 0, estimated matches) row: each count of the sample times its stride.

    The stride is chosen in the same statement from the coarse sample to expect `hits`
    sampled matches (SAMPLE_HITS by default; see "How estimates are sized"); `number` names
    the statement's own common table expressions, so that several estimates can go in one
    UNION. `coarse_hits`, when the count already read the coarse sample, is its number of
    matches: the stride then follows from it without reading the coarse sample again.
    """
    ctes, params = [], []
    if coarse_hits is not None:
        stride = str(stride_for(coarse_hits, hits))
    else:
        coarse_sql, coarse_params = coarse_sample(search_filter, without)
        name = f"stride_{number}"
        stride = f"(SELECT s FROM {name})"
        ctes.append(
            f"{name} AS MATERIALIZED (SELECT {_stride_case(hits or SAMPLE_HITS)} AS s FROM "
            f"(SELECT COUNT(*) AS c FROM ({coarse_sql}) coarse) coarse_count)"
        )
        params += coarse_params
    sample = search_filter.sampled_queryset_without(*without, stride_sql=stride)
    total_row = f"SELECT {SAMPLE_ROW} AS facet, 0 AS value, COUNT(*) * {stride} AS count"
    parts = []
    if connection.vendor == "postgresql":
        # The sample is read once for its keys and its size.
        sample_sql, sample_params = (
            sample.order_by().annotate(entry_keys=F("keys")).values("entry_keys")
        ).query.sql_with_params()
        ctes.append(f"sample_{number} AS MATERIALIZED ({sample_sql})")
        params += sample_params
        if facets:
            counts = _unnested_key_counts(f"sample_{number}", "entry_keys", facets)
            parts.append((f"SELECT facet, value, count * {stride} AS count FROM ({counts}) c", []))
        if total:
            parts.append((f"{total_row} FROM sample_{number}", []))
    else:
        if facets:
            counts_sql, counts_params = facet_counts(sample, facets).query.sql_with_params()
            scaled = f"SELECT facet, value, count * {stride} AS count FROM ({counts_sql}) c"
            parts.append((scaled, list(counts_params)))
        if total:
            total_sql, total_params = sample.order_by().values("pk").query.sql_with_params()
            parts.append((f"{total_row} FROM ({total_sql}) t", list(total_params)))
    sql = (f"WITH {', '.join(ctes)} " if ctes else "") + " UNION ALL ".join(
        f"SELECT * FROM ({part}) part_{index}" for index, (part, _) in enumerate(parts)
    )
    for _, part_params in parts:
        params += part_params
    return sql, params


def rounded(number: int) -> int:
    """An estimate to three significant figures: more digits would claim a precision it
    lacks, and two would add up to 5 % of error of their own."""
    if number < 1000:
        return number
    return round(number, 3 - len(str(number)))


def union_all(parts) -> tuple[str, list]:
    """The (SQL, parameters) of all the count rows of `parts`: querysets of (facet, value,
    count) rows, or (SQL, parameters) of such rows."""
    parts = list(parts)
    if not any(isinstance(part, tuple) for part in parts):
        # Django's own compound: SQLite planned the wrapped form below slower.
        combined = parts[0].union(*parts[1:], all=True) if parts[1:] else parts[0]
        return combined.query.sql_with_params()
    sqls, params = [], []
    for number, part in enumerate(parts):
        sql, part_params = part if isinstance(part, tuple) else part.query.sql_with_params()
        # Each part a subquery of its own, so that a part may carry its own WITH.
        sqls.append(f"SELECT * FROM ({sql}) part_{number}")
        params += part_params
    return " UNION ALL ".join(sqls), params


def _unnested_key_counts(source: str, column: str, facets, where: str = "TRUE") -> str:
    """SQL of (facet, value, count) rows of the facets' keys held in `column` (an array of
    keys on PostgreSQL) of `source` (a table name or a parenthesised query with its alias),
    over its rows that pass `where`."""
    # unnest() in the select list, not joined beside the rows: PostgreSQL then expands each
    # array in place instead of starting a function scan per row, which took most of the
    # time of counting a few thousand entries' keys. Adjacent facets test one range.
    return (
        f"SELECT k / {FACET_KEY_BASE} AS facet, MOD(k, {FACET_KEY_BASE}) AS value, "
        f"COUNT(*) AS count FROM (SELECT unnest({column}) AS k FROM {source} "
        f"WHERE {where}) unnested WHERE {_key_ranges(facets)} GROUP BY k"
    )


def _key_ranges(facets) -> str:
    """SQL testing that a key `k` belongs to one of the facets."""
    numbers = sorted({int(facet) for facet in facets})
    runs = []  # [first, last] facet numbers of each run of adjacent facets
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return " OR ".join(
        f"(k >= {first * FACET_KEY_BASE} AND k < {(last + 1) * FACET_KEY_BASE})"
        for first, last in runs
    )


def _key_counts_sql(entries, facets) -> tuple[str, list]:
    """(SQL, parameters) of the facets' counts over `entries` on PostgreSQL, from the keys on
    each entry's row (SearchEntry.keys): the rows the filters read are counted as they are,
    where joining the facet rows cost an index lookup per entry."""
    sql, params = (
        entries.order_by()
        .annotate(entry_keys=F("keys"))
        .values("entry_keys")
        .query.sql_with_params()
    )
    return _unnested_key_counts(f"({sql}) matched", "entry_keys", facets), params


def value_counts(entries, facet) -> dict[int, int]:
    """{value: count} of one facet's values over `entries` (a "show all" list)."""
    counts = facet_counts(entries, [facet])
    if isinstance(counts, tuple):  # PostgreSQL's SQL and parameters
        with reading_connection(SearchEntry).cursor() as cursor:
            cursor.execute(*counts)
            return {value: count for _, value, count in cursor.fetchall()}
    return {row["value"]: row["count"] for row in counts}


def facet_counts(entries, facets):
    """Counts of the facets' values over `entries`: on PostgreSQL the (SQL, parameters) of
    (facet, value, count) rows, on SQLite a queryset of them."""
    if connection.vendor == "postgresql":
        return _key_counts_sql(entries, facets)
    kinds = [facet.value for facet in facets]
    # "facet + 0" keeps SQLite from walking the (facet, value) index through every record's
    # rows; the matching entries are what should drive the lookup, by primary key.
    counts = SearchFacet.objects.alias(facet_kind=F("facet") + 0).filter(
        facet_kind__in=kinds, entry__in=entries.values("pk")
    )
    return counts.values("facet", "value").annotate(count=Count("*")).order_by()
