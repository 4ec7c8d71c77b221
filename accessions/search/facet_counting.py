"""Facet counts for the search: counted from the index's keys, ranked for the page, and the
kept per-value totals that answer a search without filters.
"""

from django.db import connection
from django.db.models import Count, F

from accessions.search import key_tally
from accessions.search.indexing import ENTRIES_TOTAL
from accessions.search.models import (
    FACET_KEY_BASE,
    Facet,
    SearchEntry,
    SearchFacet,
    SearchFacetTotal,
    facet_key,
)
from archive.database_routing import reading_connection

# Facet number of the row carrying a search's estimated total among the facet-count rows.
SAMPLE_ROW = 0


def top_counts(
    combined, selected: dict[int, set[int]], limit: int | None, facets=None, ranked=()
) -> list[tuple]:
    """Rows (facet, value, count, values in facet) of the top `limit` values of each facet,
    from `combined`, the (SQL, parameters) of every count row (see union_all) of `facets`
    (when known), plus the selected values and every decade (see ranked_counts_sql); and
    the rows of `ranked`, (SQL, parameters) of rows already ranked so (of other facets)."""
    parts, params = [], []
    if combined is not None:
        sql, combined_params = combined
        shown, shown_params = ranked_counts_sql(sql, selected, limit, facets=facets)
        parts.append(shown)
        params += [*combined_params, *shown_params]
    for sql, part_params in ranked:
        parts.append(sql)
        params += part_params
    with reading_connection(SearchEntry).cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT facet, value, count, value_count FROM ({part}) shown_{number}"
                for number, part in enumerate(parts)
            ),
            params,
        )
        return cursor.fetchall()


def uses_extension() -> bool:
    """Whether the facet keys are counted, and ranked as they are counted, by the
    extension's aggregates (key_tally; see shown_key_rows), rather than in plain SQL."""
    return key_tally.in_use(reading_connection(SearchEntry))


# The facets whose values are the archive's own open-ended lists (thousands of subjects,
# places and people at a million records); the others have a few dozen values at most.
MANY_VALUED = frozenset(
    {Facet.COLLECTION, Facet.SUBJECT, Facet.PLACE, Facet.PERSON, Facet.REPOSITORY, Facet.DONOR}
)


def ranked_counts_sql(counts: str, selected: dict[int, set[int]], limit: int | None, facets=None):
    """(SQL, parameters) of the rows (facet, value, count, values in facet) to show of the
    (facet, value, count) rows of `counts`: the top `limit` values of each facet, the
    selected values, every decade, the scan count and the sample-size row. The database
    ranks them, so a facet with thousands of values costs no more to send than one with ten.
    `facets`, when known, are those counted: with none of MANY_VALUED among them, every
    value is ranked at once. No count may be NULL.
    """
    always = ["facet IN (%s, %s, %s)"]
    always_params = [Facet.DECADE.value, Facet.SCAN.value, SAMPLE_ROW]
    for facet, values in selected.items():
        for value in values:
            always.append("(facet = %s AND value = %s)")
            always_params += [facet, value]
    if limit is None:
        return (
            'SELECT facet, value, "count" AS count, '
            "COUNT(*) OVER (PARTITION BY facet) AS value_count "
            f"FROM ({counts}) counts",
            [],
        )
    if facets is not None and not MANY_VALUED.intersection(facets):
        # A few dozen values: sorting them all costs less than tallying them first.
        return (
            "SELECT facet, value, count, value_count FROM ("
            'SELECT facet, value, "count" AS count, '
            'ROW_NUMBER() OVER (PARTITION BY facet ORDER BY "count" DESC, value) '
            "AS position_in_facet, COUNT(*) OVER (PARTITION BY facet) AS value_count "
            f"FROM ({counts}) counts) ranked "
            f"WHERE position_in_facet <= %s OR {' OR '.join(always)}",
            [limit, *always_params],
        )
    # Only values counted at least as often as the `limit`-th value of their facet can be
    # among its top `limit`: the counts are first tallied by how often they occur (a few
    # hundred rows where a facet has thousands of values once each), which tells each
    # facet's lowest count worth ranking and its number of values; only the values at or
    # above it are sorted. Ranking all 9,433 values of 6,359 entries took 10 ms; this, 5.
    sql = (
        f"WITH counts AS MATERIALIZED ({counts}), "
        'levels AS (SELECT facet, "count", COUNT(*) AS n FROM counts GROUP BY facet, "count"), '
        "cut AS (SELECT facet, CAST(SUM(n) AS bigint) AS value_count, "
        'MIN("count") FILTER (WHERE above < %s) AS lowest FROM ('
        'SELECT facet, "count", n, COALESCE(SUM(n) OVER (PARTITION BY facet ORDER BY "count" '
        "DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS above FROM levels"
        ") tallied GROUP BY facet) "
        "SELECT facet, value, count, value_count FROM ("
        'SELECT facet, value, "count" AS count, value_count, '
        'ROW_NUMBER() OVER (PARTITION BY facet ORDER BY "count" DESC, value) '
        "AS position_in_facet "
        f'FROM counts JOIN cut USING (facet) WHERE "count" >= lowest OR {" OR ".join(always)}'
        f") ranked WHERE position_in_facet <= %s OR {' OR '.join(always)}"
    )
    return sql, [limit, *always_params, limit, *always_params]


def top_kept_totals(facets, limit: int | None) -> list[tuple]:
    """Rows (facet, value, count, values in facet) of the top `limit` kept totals of each
    facet (every decade and the scan count): what the unfiltered search page shows.

    Each facet's top values are read apart from the index of the kept totals, so the
    database neither counts nor tallies the values of every facet (thousands of subjects
    and places) as ranked_counts_sql does.
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


def unnested_key_counts(source: str, column: str, facets, where: str = "TRUE") -> str:
    """SQL of (facet, value, count) rows of the facets' keys held in `column` (an array of
    keys on PostgreSQL) of `source` (a table name or a parenthesised query with its alias),
    over its rows that pass `where`."""
    # unnest() in the select list, not joined beside the rows: PostgreSQL then expands each
    # array in place instead of starting a function scan per row, which took most of the
    # time of counting a few thousand entries' keys. Only the parts of each array that hold
    # the facets' keys are expanded (see _keys_slices).
    runs = _facet_runs(facets)
    if uses_extension():
        return _tallied_key_counts(source, column, runs, where)
    return (
        f"SELECT k / {FACET_KEY_BASE} AS facet, MOD(k, {FACET_KEY_BASE}) AS value, "
        f"COUNT(*) AS count FROM (SELECT unnest({_keys_slices(column, runs)}) AS k "
        f"FROM {source} WHERE {where}) unnested GROUP BY k"
    )


def shown_key_counts_json(source: str, column: str, facets, shown) -> tuple[str, list]:
    """(SQL, parameters) of a JSON array of the rows (facet, value, count, values in facet)
    to show of the facets' counts over the rows of `source` (as unnested_key_counts counts
    them), ranked as top_counts ranks them; `shown` is (selected values, limit)."""
    if uses_extension():
        ranked, params = shown_key_rows(source, column, facets, shown)
    else:
        ranked, params = ranked_counts_sql(
            unnested_key_counts(source, column, facets), *shown, facets=facets
        )
    return (
        f"(SELECT json_agg(json_build_array(facet, value, count, value_count)) "
        f"FROM ({ranked}) shown)",
        params,
    )


def shown_key_rows(source: str, column: str, facets, shown) -> tuple[str, list]:
    """(SQL, parameters) of the rows (facet, value, count, values in facet) to show of the
    facets' counts over the rows of `source`, counted and ranked by the extension's
    archive_key_shown (uses_extension), as ranked_counts_sql ranks them; `shown` is
    (selected values, limit). A rare word's 8,000 counted values never become rows."""
    call, params = shown_keys_aggregate(column, facets, shown)
    return (
        "SELECT r[i][1] AS facet, r[i][2] AS value, CAST(r[i][3] AS bigint) AS count, "
        f"r[i][4] AS value_count FROM (SELECT {call} AS r "
        f"FROM {source}) shown, generate_subscripts(shown.r, 1) i",
        params,
    )


def shown_keys_aggregate(column: str, facets, shown) -> tuple[str, list]:
    """(SQL, parameters) of the extension's archive_key_shown over the keys in `column`:
    an aggregate whose value is the rows to show of the facets' counts, as an integer array
    of (facet, value, count, values in facet) rows; `shown` is (selected values, limit)."""
    selected, limit = shown
    always = [facet_key(facet, value) for facet, values in selected.items() for value in values]
    return (
        f"archive_key_shown({column}, ARRAY[{_ranges(_facet_runs(facets))}], "
        f"{FACET_KEY_BASE}, %s, ARRAY[{Facet.DECADE.value}, {Facet.SCAN.value}], "
        "%s::integer[])",
        [-1 if limit is None else limit, always],
    )


def _ranges(runs) -> str:
    """The half-open ranges of keys of each run of facets, as the extension takes them."""
    return ", ".join(
        f"{first * FACET_KEY_BASE}, {(last + 1) * FACET_KEY_BASE}" for first, last in runs
    )


def _tallied_key_counts(source: str, column: str, runs, where: str) -> str:
    """unnested_key_counts through the extension's aggregate (key_tally): one value per
    distinct key, key * 2^32 + count, unpacked into the same rows and types."""
    ranges = _ranges(runs)
    key = "(tallied >> 32)"
    return (
        f"SELECT CAST({key} / {FACET_KEY_BASE} AS integer) AS facet, "
        f"CAST(MOD({key}, {FACET_KEY_BASE}) AS integer) AS value, "
        f"tallied & 4294967295 AS count FROM unnest((SELECT archive_key_tally({column}, "
        f"ARRAY[{ranges}]) FROM {source} WHERE {where})) tallied"
    )


def _keys_slices(column: str, runs) -> str:
    """SQL of the parts of each entry's keys (`column`) that hold the keys of the facets of
    `runs`, one slice a run of adjacent facets, joined into one array.

    An entry's keys are stored in ascending order (indexing writes them so), and a facet's
    keys are a range of numbers (models.facet_key), so each facet's keys sit side by side;
    width_bucket finds where a range starts and ends by bisecting the array. Expanding
    only that part, not all twenty-odd keys an entry has, made counting one facet over a
    few thousand entries (a facet group's counts under the other filters) twice as fast.
    Where the facets leave a gap (a facet counted in a group of its own), joining two
    slices of an array costs less than testing every expanded key's range: counting the
    keys of 6,359 entries (96,060 keys) took 22 ms instead of 28.
    """
    slices = []
    for first, last in runs:
        start, end = first * FACET_KEY_BASE, (last + 1) * FACET_KEY_BASE
        slices.append(
            f"{column}[width_bucket({start - 1}, {column}) + 1 : width_bucket({end - 1}, {column})]"
        )
    return " || ".join(slices)


def _facet_runs(facets) -> list[list[int]]:
    """[first, last] facet numbers of each run of adjacent facets among `facets`, in order."""
    runs = []
    for number in sorted({int(facet) for facet in facets}):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return runs


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
    return unnested_key_counts(f"({sql}) matched", "entry_keys", facets), params


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
