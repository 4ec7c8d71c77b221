"""How relevance orders a search's matches: the same order on PostgreSQL and SQLite.

1. First the records whose title holds every required word or phrase: the title is what
   the archivist wrote a record is about.
2. Then every other match.
Within each, the oldest first by date (then the end of the date range), undated records
last, then by record pk: ties fall on a key a reader understands, never on chance.

Why this and not ts_rank or bm25: each is a score over every match, so that the best page
of a common word (half a million matches) means reading all of them; past a few thousand
matches the old engine ranked only the first ones the index gave, and its page was not the
best of all matches. Both parts of this order can be read in order from the date index
(and a sparse title tier from the title's own words' index), so the first page is exact at
any size and reads a few thousand rows at most (page_by_tiers). The order is
also one a historian can check: the search page says how it ranks. (Ordering the title
tier by the title's length, a length norm, was tried: short titles rarely hold the words,
so walking that order found nothing for a page and fell back on sorting every title
match, 0.4 s for a common phrase at a million records.)
"""

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import FullResultSet
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL

from accessions.search.indexing import FTS_TABLE, PG_CONFIG
from archive.database_routing import reading_connection

# The order within each tier.
TIE_ORDER = [
    F("date_start").asc(nulls_last=True),
    F("date_end").asc(nulls_last=True),
    F("pk").asc(),
]


def in_title(keywords) -> Q:
    """Whether an entry's title holds every required clause of the words."""
    if connection.vendor == "postgresql":
        query = SearchQuery(
            keywords.positive_websearch(), search_type="websearch", config=PG_CONFIG
        )
        return Q(title_document=query)
    match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    # An FTS5 column filter applies to every phrase of the bracketed expression.
    return Q(pk__in=RawSQL(match, [f"title : ({keywords.fts5_positive()})"]))


def ranked(entries, keywords):
    """The entries with their tier (0: the title holds the words), in relevance order."""
    title = in_title(keywords)
    return entries.annotate(
        tier=Case(When(title, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("tier", *TIE_ORDER)


def candidates_sql(entries, keywords) -> tuple[str, list]:
    """(SQL, parameters) of (candidate, tier, date_start, date_end, entry_keys) rows of the
    entries, unordered: counting.RankedPage orders them with CANDIDATE_ORDER (PostgreSQL;
    the facet keys come along so that the same reading of the matches counts the facets).

    Written from the entries' WHERE condition: a search asks for two of these, and building
    each through the ORM (annotations, a CASE, values) cost 0.4-0.5 ms of Python. Should a
    filter ever join another table, the ORM writes it.
    """
    if len(entries.query.alias_map) > 1:
        rows = ranked(entries, keywords).order_by()
        rows = rows.annotate(candidate=F("pk"), entry_keys=F("keys"))
        values = rows.values("candidate", "tier", "date_start", "date_end", "entry_keys")
        return values.query.sql_with_params()
    where, params = where_sql(entries)
    table = connection.ops.quote_name(entries.model._meta.db_table)
    tier, tier_params = tier_sql(table, keywords)
    return (
        f'SELECT {table}."record_id" AS "candidate", {tier} AS "tier", '
        f'{table}."date_start" AS "date_start", {table}."date_end" AS "date_end", '
        f'{table}."keys" AS "entry_keys" FROM {table} WHERE {where}',
        [*tier_params, *params],
    )


def tier_sql(table: str, keywords) -> tuple[str, list]:
    """(SQL, parameters) of an entry's tier over the entries `table` (PostgreSQL): 0 when
    its title holds every required clause (in_title's condition, as the ORM writes it)."""
    title = f'{table}."title_document" @@ (websearch_to_tsquery(%s::regconfig, %s))'
    return f"CASE WHEN {title} THEN 0 ELSE 1 END", [PG_CONFIG, keywords.positive_websearch()]


# The relevance order of candidates_sql's rows, in SQL.
CANDIDATE_ORDER = "tier, date_start NULLS LAST, date_end NULLS LAST, candidate"


def page_of_all(entries, keywords, offset: int, limit: int) -> list[int]:
    """A page by relevance from every match ranked at once: exact, costs every match."""
    pks = ranked(entries, keywords).values_list("pk", flat=True)
    return list(pks[offset : offset + limit])


# How many entries page_by_tiers walks in a tier's order, per entry of the page asked for,
# before it falls back on finding the tier's matches through the words' index and sorting
# them; a tier that fills the page within the walk matches at least one entry in WALK_SPAN.
WALK_SPAN = 200
WALK_AT_LEAST = 4000


def page_by_tiers(
    entries, keywords, offset: int, limit: int, *, walked=None, titled=None
) -> list[int]:
    """The same page as page_of_all, reading each tier in date order no further than the
    page (PostgreSQL, for searches past the exact-count limit).

    Each tier is walked in date order through the date index for at most a few thousand
    entries, testing each: a tier dense enough fills the page within them, and the walk
    stops as soon as it does. A tier too sparse for that holds few entries in all (fewer
    than the archive's size times the page over the walk), and those are found through the
    words' index and sorted instead. Either way the page is exactly the one that ranking
    every match gives, and it costs a few thousand rows at most.

    `walked`, a queryset of entries that `entries` only narrows (the date filters), bounds
    the walks: the date index then starts at the dates asked for, which a walk from the
    oldest record would reach only after every older entry.

    `titled`, a queryset of entries that `entries` narrows only by the words, may stand in
    for `entries` in the title tier when no word is excluded: an entry's text vector holds
    its title's (indexing._document_sql), so a title holding every word is enough, and the
    tier is found through the title's index alone, not by also reading the words' lists in
    the whole texts (a common word's, hundreds of thousands of entries). That index holds
    the facet keys too, so a filter's values are intersected with the title's words inside
    it, not read whole into a bitmap of their own (migration 0027).
    """
    title = in_title(keywords)
    table = connection.ops.quote_name(entries.model._meta.db_table)
    end = offset + limit
    walk = max(WALK_AT_LEAST, WALK_SPAN * end)
    first_where, first_params = where_sql((entries if titled is None else titled).filter(title))
    rest_where, rest_params = where_sql(entries.exclude(title))
    walked_where, walked_params = where_sql(walked if walked is not None else entries.model.objects)
    columns = "record_id AS candidate, date_start, date_end"
    in_order = (
        f"SELECT * FROM {table} WHERE {walked_where} "
        f"ORDER BY date_start, date_end, record_id LIMIT %s"
    )
    # The walks keep the order of the rows they walk (PostgreSQL sorts nothing again), and
    # stop at the page. The fallbacks order by an expression no index has, so that the
    # planner finds the tier through the words' index instead of walking the date index.
    sql = f"""
    WITH first_walk AS MATERIALIZED (
        SELECT {columns} FROM ({in_order}) AS {table} WHERE {first_where}
        ORDER BY date_start, date_end, record_id LIMIT %s
    ), first_tier AS MATERIALIZED (
        SELECT * FROM first_walk WHERE (SELECT COUNT(*) FROM first_walk) >= %s
        UNION ALL
        SELECT * FROM (
            SELECT {columns} FROM {table} WHERE {first_where}
            ORDER BY date_start + 0, date_end, record_id LIMIT %s
        ) sorted WHERE (SELECT COUNT(*) FROM first_walk) < %s
    ), rest_needed AS MATERIALIZED (
        SELECT GREATEST(0, %s - n) AS skip, GREATEST(0, %s - GREATEST(%s, n)) AS take
        FROM (SELECT COUNT(*) AS n FROM first_tier) counted
    ), rest_walk AS MATERIALIZED (
        SELECT {columns} FROM ({in_order}) AS {table}
        WHERE (SELECT take FROM rest_needed) > 0 AND {rest_where}
        ORDER BY date_start, date_end, record_id LIMIT (SELECT skip + take FROM rest_needed)
    ), rest_tier AS MATERIALIZED (
        SELECT * FROM rest_walk
        WHERE (SELECT COUNT(*) FROM rest_walk) >= (SELECT skip + take FROM rest_needed)
        UNION ALL
        SELECT * FROM (
            SELECT {columns} FROM {table} WHERE {rest_where}
            ORDER BY date_start + 0, date_end, record_id
            LIMIT (SELECT skip + take FROM rest_needed)
        ) sorted
        WHERE (SELECT take FROM rest_needed) > 0
        AND (SELECT COUNT(*) FROM rest_walk) < (SELECT skip + take FROM rest_needed)
    )
    SELECT
        ARRAY(SELECT candidate FROM first_tier
              ORDER BY date_start NULLS LAST, date_end NULLS LAST, candidate OFFSET %s),
        ARRAY(SELECT candidate FROM rest_tier
              ORDER BY date_start NULLS LAST, date_end NULLS LAST, candidate
              OFFSET (SELECT skip FROM rest_needed))
    """
    params = [
        *[*walked_params, walk, *first_params, end, end],
        *[*first_params, end, end],
        *[offset, end, offset],
        *[*walked_params, walk, *rest_params],
        *rest_params,
        offset,
    ]
    with reading_connection(entries.model).cursor() as cursor:
        cursor.execute(sql, params)
        first_pks, rest_pks = cursor.fetchone()
    return [*first_pks, *rest_pks][:limit]


def where_sql(queryset) -> tuple[str, list]:
    """The WHERE condition of a queryset of entries alone, naming the table's columns."""
    queryset = queryset.all()
    compiler = queryset.query.get_compiler(connection=connection)
    try:
        sql, params = compiler.compile(queryset.query.where)
    except FullResultSet:  # no condition at all
        return "TRUE", []
    return sql or "TRUE", list(params)
