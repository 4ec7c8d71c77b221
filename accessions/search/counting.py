"""Capped counts for the search: how many entries a search and its facet groups match,
counted no further than just past the exact-count limit, in one statement that also ranks
the relevance page and counts the facets from the rows it reads (PostgreSQL).

run_search (engine.py) counts what count_plan.py chooses; past the limit the counts are
estimated (estimates.py), and the facet counts are ranked as facet_counting ranks them.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F

from accessions.search import count_limits as limits
from accessions.search.facet_counting import shown_key_counts_json
from accessions.search.indexing import FTS_TABLE
from accessions.search.models import SearchEntry
from accessions.search.relevance import CANDIDATE_ORDER
from archive.database_routing import reading_connection


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
    by the filters left out (None where not read), and `finer` the (stride, matches) of the
    finest sample read beyond it, where one was.
    """

    main: int
    sizes: list
    extra: list
    page_pks: list[int] | None = None
    facet_rows: list | None = None
    sized_rows: list = field(default_factory=list)
    coarse: dict = field(default_factory=dict)
    finer: dict = field(default_factory=dict)


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
            "TRUE"
            if number == holder
            else f"(SELECT main FROM counted) <= {limits.EXACT_COUNT_LIMIT}"
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
            # Counted once: each use of a count of the rows reads them all again.
            ctes.append(
                f"sized_{number}_size AS MATERIALIZED (SELECT COUNT(*) AS n FROM sized_{number})"
            )
            size = f"(SELECT n FROM sized_{number}_size)"
            columns.append(f"CASE WHEN {on} THEN {size} END")
            ranked, ranked_params = shown_key_counts_json(
                f"sized_{number}", "entry_keys", group.facets, shown
            )
            columns.append(
                f"CASE WHEN {on} AND {size} <= {limits.EXACT_COUNT_LIMIT} THEN {ranked} END"
            )
            column_params.extend(ranked_params)
            if number == holder:
                ctes.append(
                    f"main_holder AS MATERIALIZED (SELECT {on} AND {size} <= "
                    f"{limits.EXACT_COUNT_LIMIT} AS complete)"
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
            f"CASE WHEN counted.main <= {limits.EXACT_COUNT_LIMIT} THEN ARRAY(SELECT candidate "
            f"FROM main_rows ORDER BY {CANDIDATE_ORDER} LIMIT %s OFFSET %s) END"
        )
        column_params += [page.limit, page.offset]
    if main_read and facets:
        ranked, ranked_params = shown_key_counts_json("main_rows", "entry_keys", facets, shown)
        columns.append(f"CASE WHEN counted.main <= {limits.EXACT_COUNT_LIMIT} THEN {ranked} END")
        column_params += ranked_params
    sampled = []  # (name, filters left out) of the sources whose samples come back
    if coarse is not None:
        sampled.append(("main", ()))
        sampled += [
            (str(number), group.without)
            for number, group in enumerate(sized)
            if not group.within_limit
        ]
    for name, _ in sampled:
        # The main's samples are not read when a group held its matches.
        read = [f"(SELECT c FROM coarse_{name})", _finer_sample(name)]
        if name == "main":
            read = [f"CASE WHEN {held} THEN NULL ELSE {sql} END" for sql in read]
        columns += read
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} SELECT {', '.join(columns)} FROM counted",
            [*params, *column_params],
        )
        row = list(cursor.fetchone())
    result = CappedCounts(main=row.pop(0), sizes=[], extra=[])
    within = result.main <= limits.EXACT_COUNT_LIMIT
    for group in sized:
        size, rows = row.pop(0), None
        if postgresql and group.facets:
            rows = row.pop(0)
            if rows is None and size is not None and size <= limits.EXACT_COUNT_LIMIT:
                rows = []  # no match at all: json_agg of nothing is NULL
        result.sizes.append(size)
        result.sized_rows.append(rows)
    result.extra = [row.pop(0) for _ in extra]
    if page is not None:
        result.page_pks = row.pop(0)
    if main_read and facets:
        result.facet_rows = row.pop(0) or ([] if within else None)
    for _, without in sampled:
        result.coarse[without] = row.pop(0)
        if (finer := row.pop(0)) is not None:
            result.finer[without] = tuple(finer)
    return result


def _finer_sample(name: str) -> str:
    """SQL of ARRAY[stride, matches] of the finest sample _surely_past read beyond the coarse
    one of source `name` (NULL when it read none): the estimates size their samples by it,
    closer to the count than the coarse sample's bound."""
    hits, fine = f"(SELECT c FROM coarse_{name})", f"(SELECT c FROM fine_{name})"
    finest = f"ARRAY[{limits.FINE_STRIDE}, {fine}]"
    if limits.FINEST_STRIDE < limits.FINE_STRIDE:
        finest = (
            f"CASE WHEN {fine} >= {limits.at_the_limit(limits.FINE_STRIDE)} AND {fine} < "
            f"{limits.fine_surely_hits()} THEN ARRAY[{limits.FINEST_STRIDE}, "
            f"(SELECT c FROM finest_{name})] ELSE {finest} END"
        )
    return (
        f"CASE WHEN {hits} >= {limits.FINE_FROM} AND {hits} < {limits.SURELY_PAST_HITS} "
        f"THEN {finest} END"
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
    sample (coarse_<name>) or, when that is not sure, its finer one (fine_<name>), or, when
    that is not sure either, its finest (finest_<name>); each is read only then (see
    SURELY_PAST_HITS, FINE_STRIDE and FINEST_STRIDE in count_limits)."""
    coarse_sql, coarse_params = _coarse_count_sql(coarse(without))
    fine_sql, fine_params = _coarse_count_sql(coarse(without, limits.FINE_STRIDE))
    ctes = [
        f"coarse_{name} AS MATERIALIZED ({coarse_sql})",
        f"fine_{name} AS MATERIALIZED ({fine_sql})",
    ]
    params = [*coarse_params, *fine_params]
    hits, fine = f"(SELECT c FROM coarse_{name})", f"(SELECT c FROM fine_{name})"
    finer = f"{fine} >= {limits.fine_surely_hits()}"
    if limits.FINEST_STRIDE < limits.FINE_STRIDE:
        finest_sql, finest_params = _coarse_count_sql(coarse(without, limits.FINEST_STRIDE))
        ctes.append(f"finest_{name} AS MATERIALIZED ({finest_sql})")
        params += finest_params
        finer = (
            f"({finer} OR ({fine} >= {limits.at_the_limit(limits.FINE_STRIDE)} AND "
            f"(SELECT c FROM finest_{name}) >= {limits.surely_hits(limits.FINEST_STRIDE)}))"
        )
    condition = (
        f"({hits} >= {limits.SURELY_PAST_HITS} OR ({hits} >= {limits.FINE_FROM} AND {finer}))"
    )
    return condition, ctes, params


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
