"""Counting for the search: capped counts, facet counts, the kept totals, and the sample.

Past EXACT_COUNT_LIMIT matches the search estimates from a sample of about SAMPLE_SIZE
entries, evenly spread by primary key; run_search (engine.py) decides what to count how.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Count, F, Value
from django.db.models.expressions import RawSQL

from accessions.search.indexing import ENTRIES_TOTAL, FTS_TABLE
from accessions.search.models import (
    FACET_KEY_BASE,
    Facet,
    SearchEntry,
    SearchFacet,
    SearchFacetTotal,
)

# Past this many matches, counting them all (and every facet row of each) costs more than a
# page is worth: the total and the facet counts are estimated from a sample of about
# SAMPLE_SIZE entries and shown as "about N", and relevance ranks only the first
# EXACT_COUNT_LIMIT matches the index yields.
EXACT_COUNT_LIMIT = 3000
SAMPLE_SIZE = 2000
# Facet number of the sample's own row in the facet-count query: (0, stride, matches).
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
    the (SQL, parameters) of (candidate, rank) rows of the matching entries, without limit."""

    candidates: tuple[str, list]
    offset: int
    limit: int


@dataclass
class SampleRows:
    """The sampled entries' keys, each with whether it passes each active filter
    (PostgreSQL): the SQL and parameters of a CTE to be named `sample`."""

    sql: str
    params: list
    names: list[str]

    @classmethod
    def of(cls, search_filter) -> "SampleRows":
        names = search_filter.active_filter_names()
        passes = {f"passes_{name}": search_filter.condition(name) for name in names}
        sample = (
            SearchEntry.objects.filter(_in_sample())
            .annotate(**passes)
            .values("keys", *passes)
            .order_by()
        )
        sql, params = sample.query.sql_with_params()
        return cls(sql, list(params), names)

    def passing(self, without=()) -> str:
        """SQL: whether a row of `sample` passes the filters, less those named."""
        kept = [f'sample."passes_{name}"' for name in self.names if name not in without]
        return " AND ".join(kept) or "TRUE"


def capped_counts(
    main,
    cap: int,
    *,
    sized=(),
    extra=(),
    page: RankedPage | None = None,
    sample: SampleRows | None = None,
) -> tuple[int, list, list, list[int] | None]:
    """How many entries the main source matches, counting no further than `cap`, and then
    each (source, filters it leaves out) of `sized` the same way, and each (source, cap) of
    `extra` to its own cap, in one query. A source is a queryset of entries or the (SQL,
    parameters) of a query of pks.

    The `sized` sources are counted only when the main count is within EXACT_COUNT_LIMIT
    (None otherwise): past it, everything is estimated anyway, and the database skips their
    subqueries. With `page`, its candidates replace the main source: the same entries the
    count reads are ranked, and the best of them make the page, so that one reading of a
    word's matches serves both (ts_rank reads each match's document: past the cap, the
    page ranks the capped candidates only). Returns (main count, sized counts, extra
    counts, the page's pks or None).

    With `sample` (PostgreSQL), a sized source that the sample already shows far past the
    limit is not counted (None): see _surely_past_the_limit.
    """
    sized, extra = list(sized), list(extra)
    if page is None:
        main_sql, params = _capped_sql(main, cap)
        counted = f"SELECT {main_sql} AS main"
    else:
        candidates_sql, params = page.candidates
        counted = "SELECT COUNT(*) AS main FROM candidates"
        params = [*params, max(cap, page.offset + page.limit)]
    columns = ["counted.main"]
    column_params = []
    for source, without in sized:
        unless = "FALSE" if sample is None else _surely_past_the_limit(sample, without)
        sql, source_params = _capped_sql(source, cap)
        columns.append(f"CASE WHEN counted.main <= %s AND NOT {unless} THEN {sql} END")
        column_params += [EXACT_COUNT_LIMIT, *source_params]
    for source, extra_cap in extra:
        sql, source_params = _capped_sql(source, extra_cap)
        columns.append(sql)
        column_params += source_params
    # MATERIALIZED: counted once, not again in each CASE once the planner inlines it.
    ctes = [f"counted AS MATERIALIZED ({counted})"]
    if page is not None:
        ctes.insert(0, f"candidates AS MATERIALIZED ({candidates_sql} LIMIT %s)")
    if sample is not None:
        ctes.insert(0, f"sample AS MATERIALIZED ({sample.sql})")
        params = [*sample.params, *params]
    statement = f"WITH {', '.join(ctes)} "
    if page is not None:
        columns.append(
            "ARRAY(SELECT candidate FROM candidates ORDER BY rank DESC, candidate "
            "LIMIT %s OFFSET %s)"
        )
        column_params += [page.limit, page.offset]
    with connection.cursor() as cursor:
        cursor.execute(
            f"{statement}SELECT {', '.join(columns)} FROM counted", [*params, *column_params]
        )
        row = list(cursor.fetchone())
    page_pks = row.pop() if page is not None else None
    return row[0], row[1 : 1 + len(sized)], row[1 + len(sized) :], page_pks


# A facet group whose filters the sample shows in more than SURELY_PAST times the exact-count
# limit, from at least SURELY_PAST_HITS sampled entries, is past the limit beyond doubt: if it
# were within it, the sample would expect a quarter as many hits (fewer than 6 at a million
# records), and seeing 24 or more is a chance below one in a million. It is estimated without
# counting its matches up to the limit, which read up to EXACT_COUNT_LIMIT rows each.
SURELY_PAST = 4
SURELY_PAST_HITS = 20


def _surely_past_the_limit(sample: SampleRows, without) -> str:
    return (
        f"(SELECT COUNT(*) >= {SURELY_PAST_HITS} AND COUNT(*) * COALESCE({stride_sql()}, 1) "
        f"> {SURELY_PAST * EXACT_COUNT_LIMIT} FROM sample WHERE {sample.passing(without)})"
    )


def _capped_sql(source, cap: int) -> tuple[str, list]:
    if isinstance(source, tuple):
        sql, params = source
    else:
        sql, params = source.order_by().values("pk").query.sql_with_params()
    return f"(SELECT COUNT(*) FROM ({sql} LIMIT %s) capped)", [*params, cap]


def top_counts(combined, selected: dict[int, set[int]], limit: int | None) -> list[tuple]:
    """Rows (facet, value, count, values in facet) of the top `limit` values of each facet,
    from `combined`, the (SQL, parameters) of every count row (see union_all),
    plus the selected values and every decade; the database ranks them, so a facet with
    thousands of values costs no more to send than one with ten."""
    sql, params = combined
    # Every decade, the scan count and the sample-size row are always kept.
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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT facet, value, count, value_count FROM ("
            'SELECT facet, value, "count" AS count, '
            'ROW_NUMBER() OVER (PARTITION BY facet ORDER BY "count" DESC, value) '
            "AS position_in_facet, "
            "COUNT(*) OVER (PARTITION BY facet) AS value_count "
            f"FROM ({sql}) counts) ranked WHERE {' OR '.join(keep)}",
            [*params, *keep_params],
        )
        return cursor.fetchall()


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
    with connection.cursor() as cursor:
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


def stride_sql() -> str:
    """SQL for one in how many entries the sample keeps, from the kept published total.

    PostgreSQL rounds it to the nearest power of two (in proportion), so that the sample is
    the entries of a few slots of the sample-slot index (see _in_sample): between 0.7 and
    1.4 times SAMPLE_SIZE entries. SQLite keeps the plain quotient.
    """
    table = SearchFacetTotal._meta.db_table
    if connection.vendor == "postgresql":
        return (
            f"(SELECT 1::bigint << GREATEST(0, ROUND(LOG(2, GREATEST(count, 1)::numeric "
            f"/ {SAMPLE_SIZE})))::int FROM {table} WHERE facet = {ENTRIES_TOTAL} AND value = 0)"
        )
    return (
        f"(SELECT MAX(1, count / {SAMPLE_SIZE}) FROM {table} "
        f"WHERE facet = {ENTRIES_TOTAL} AND value = 0)"
    )


def sample_of(search_filter, *without: str):
    """The entries matching the filters (less those named) whose pk is a multiple of the
    stride, on SQLite: about SAMPLE_SIZE of the archive, evenly spread.

    A fixed rule keeps the estimate the same from request to request. Each filter's
    subquery keeps only the multiples itself, so that a common word's thousands of FTS5
    matches are never collected just to be dropped. (PostgreSQL: see _shared_sample_sql.)
    """
    return search_filter.sampled_queryset_without(
        *without, stride_sql=f"COALESCE({stride_sql()}, 1)"
    )


# The modulus of the sample-slot index on PostgreSQL (migration 0015): a stride that divides
# it keeps the entries of every stride-th slot.
SAMPLE_SLOTS = 4096


def _in_sample():
    """Whether an entry is in the sample, on PostgreSQL: its pk is a multiple of the stride.

    The slots (pk modulo SAMPLE_SLOTS) that a power-of-two stride keeps are looked up in
    their index, and their entries read in the table's order: one page each, where a lookup
    of each pk also read the primary key's pages. Past SAMPLE_SLOTS, the stride's own test
    keeps a part of slot 0.
    """
    column = f"{connection.ops.quote_name(SearchEntry._meta.db_table)}.record_id"
    stride = f"COALESCE({stride_sql()}, 1)"
    return RawSQL(
        f"({column} %% {SAMPLE_SLOTS}) = ANY(ARRAY(SELECT generate_series(0, "
        f"{SAMPLE_SLOTS - 1}, LEAST({stride}, {SAMPLE_SLOTS})))) AND {column} %% {stride} = 0",
        [],
        output_field=BooleanField(),
    )


def sample_row(sampled_entries):
    """(SAMPLE_ROW, stride, matches in the sample) in the shape of the facet-count rows."""
    return (
        sampled_entries.order_by()
        .annotate(
            facet=Value(SAMPLE_ROW),
            value=RawSQL(f"COALESCE({stride_sql()}, 1)", []),
        )
        .values("facet", "value")
        .annotate(count=Count("*"))
        .values("facet", "value", "count")
    )


def rounded(number: int) -> int:
    """An estimate to two significant figures: more digits would claim a precision it lacks."""
    if number < 100:
        return number
    return round(number, 2 - len(str(number)))


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


def sampled_counts(search_filter, parts) -> list:
    """The counts of each part, (facets, filters left out), over the sample, and the sample
    row, as parts for union_all.

    On PostgreSQL one reading of the sample serves every part: each sampled entry's keys
    come with whether it passes each filter, and each part counts the entries passing the
    filters it keeps. The sample itself is read through the sample-slot index (_in_sample).
    """
    if connection.vendor == "postgresql":
        return [_shared_sample_sql(search_filter, parts)]
    counted = [
        facet_counts(sample_of(search_filter, *without), facets) for facets, without in parts
    ]
    return [*counted, sample_row(sample_of(search_filter))]


def _shared_sample_sql(search_filter, parts) -> tuple[str, list]:
    sample = SampleRows.of(search_filter)
    counts = [
        _unnested_key_counts("sample", "keys", facets, sample.passing(without))
        for facets, without in parts
    ]
    counts.append(
        f"SELECT {SAMPLE_ROW} AS facet, COALESCE({stride_sql()}, 1) AS value, "
        f"COUNT(*) FILTER (WHERE {sample.passing()}) AS count FROM sample"
    )
    sql = f"WITH sample AS MATERIALIZED ({sample.sql}) " + " UNION ALL ".join(counts)
    return sql, sample.params


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
        with connection.cursor() as cursor:
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
