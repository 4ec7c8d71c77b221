"""Facet counts for the search: counted from the index's keys, ranked for the page, and the
kept per-value totals that answer a search without filters.
"""

from django.db import connection
from django.db.models import Count, F

from accessions.search.indexing import ENTRIES_TOTAL
from accessions.search.models import (
    FACET_KEY_BASE,
    Facet,
    SearchEntry,
    SearchFacet,
    SearchFacetTotal,
)
from archive.database_routing import reading_connection

# Facet number of the row carrying a search's estimated total among the facet-count rows.
SAMPLE_ROW = 0


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
    # time of counting a few thousand entries' keys. Only the part of each array that can
    # hold the facets' keys is expanded (see _keys_slice); a test of the keys' ranges is
    # needed only when the facets leave gaps in that part.
    runs = _facet_runs(facets)
    kept = f" WHERE {_key_ranges(runs)}" if len(runs) > 1 else ""
    return (
        f"SELECT k / {FACET_KEY_BASE} AS facet, MOD(k, {FACET_KEY_BASE}) AS value, "
        f"COUNT(*) AS count FROM (SELECT unnest({_keys_slice(column, runs)}) AS k "
        f"FROM {source} WHERE {where}) unnested{kept} GROUP BY k"
    )


def _keys_slice(column: str, runs) -> str:
    """SQL of the part of each entry's keys (`column`) from the first facet of `runs` to the
    last: every key of those facets, and of any facet between them.

    An entry's keys are stored in ascending order (indexing writes them so), and a facet's
    keys are a range of numbers (models.facet_key), so each facet's keys sit side by side;
    width_bucket finds where a range starts and ends by bisecting the array. Expanding
    only that part, not all twenty-odd keys an entry has, made counting one facet over a
    few thousand entries (a facet group's counts under the other filters) twice as fast.
    """
    first, last = runs[0][0] * FACET_KEY_BASE, (runs[-1][1] + 1) * FACET_KEY_BASE
    return f"{column}[width_bucket({first - 1}, {column}) + 1 : width_bucket({last - 1}, {column})]"


def _facet_runs(facets) -> list[list[int]]:
    """[first, last] facet numbers of each run of adjacent facets among `facets`, in order."""
    runs = []
    for number in sorted({int(facet) for facet in facets}):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return runs


def _key_ranges(runs) -> str:
    """SQL testing that a key `k` belongs to one of the runs of facets (_facet_runs)."""
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
