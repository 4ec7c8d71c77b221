"""How relevance orders a search's matches: the same order on PostgreSQL and SQLite.

1. First the records whose title holds every required word or phrase, shortest title first:
   a short title that holds the words is about them (the length norm of BM25, in the field
   that weighs most).
2. Then every other match.
Within each, the oldest first by date (then the end of the date range), undated records
last, then by record pk: ties fall on a key a reader understands, never on chance.

Why this and not ts_rank or bm25: each is a score over every match, so that the best page
of a common word (half a million matches) means reading all of them; past a few thousand
matches the old engine ranked only the first ones the index gave, and its page was not the
best of all matches. Both parts of this order can be read from an index in order (the
title's own words and an index of (title length, date); the date index), so the first page
is exact at any size and reads a few thousand rows at most (page_by_tiers). The order is
also one a historian can check: the search page says how it ranks.
"""

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from accessions.search.indexing import FTS_TABLE, PG_CONFIG

# The order within each tier, after the tier itself and the title length.
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
    """The entries with their rank keys (tier, title_length), in relevance order."""
    title = in_title(keywords)
    return entries.annotate(
        tier=Case(When(title, then=Value(0)), default=Value(1), output_field=IntegerField()),
        title_length=Case(
            When(title, then=Length("sort_title")), default=Value(0), output_field=IntegerField()
        ),
    ).order_by("tier", "title_length", *TIE_ORDER)


def candidates_sql(entries, keywords) -> tuple[str, list]:
    """(SQL, parameters) of (candidate, tier, title_length, date_start, date_end) rows of the
    entries, unordered: counting.RankedPage orders them with CANDIDATE_ORDER."""
    rows = ranked(entries, keywords).order_by().annotate(candidate=F("pk"))
    values = rows.values("candidate", "tier", "title_length", "date_start", "date_end")
    return values.query.sql_with_params()


# The relevance order of candidates_sql's rows, in SQL.
CANDIDATE_ORDER = "tier, title_length, date_start NULLS LAST, date_end NULLS LAST, candidate"


def page_of_all(entries, keywords, offset: int, limit: int) -> list[int]:
    """A page by relevance from every match ranked at once: exact, costs every match."""
    pks = ranked(entries, keywords).values_list("pk", flat=True)
    return list(pks[offset : offset + limit])


def page_by_tiers(entries, keywords, offset: int, limit: int) -> list[int]:
    """The same page as page_of_all, reading each tier in its order no further than the page
    (PostgreSQL, for searches past the exact-count limit).

    The title tier is read by its own index: in order of (title length, date) when it is
    large, or found by the title words' index and sorted when it is small; the planner
    picks by its statistics. The rest is read in date order, which finds a page quickly
    because a search past the limit matches at least one record in a hundred.
    """
    title = in_title(keywords)
    first = (
        entries.filter(title)
        .annotate(candidate=F("pk"), title_length=Length("sort_title"))
        .order_by("title_length", *TIE_ORDER)
        .values("candidate", "title_length", "date_start", "date_end")
    )
    first_sql, first_params = first[: offset + limit].query.sql_with_params()
    rest = entries.exclude(title).annotate(candidate=F("pk")).order_by(*TIE_ORDER)
    rest_sql, rest_params = rest.values("candidate").query.sql_with_params()
    # The first tier's rows come first; the rest's offset is what the first tier leaves of
    # the page's offset, and it fills what the first tier leaves of the page.
    sql = (
        f"WITH first_tier AS MATERIALIZED ({first_sql}), "
        f"first_count AS MATERIALIZED (SELECT COUNT(*) AS n FROM first_tier) "
        f"SELECT ARRAY(SELECT candidate FROM first_tier ORDER BY title_length, "
        f"date_start NULLS LAST, date_end NULLS LAST, candidate OFFSET %s), "
        f"ARRAY(SELECT candidate FROM ({rest_sql} "
        f"OFFSET GREATEST(0, %s - (SELECT n FROM first_count)) "
        f"LIMIT GREATEST(0, %s - GREATEST(%s, (SELECT n FROM first_count)))) rest)"
    )
    params = [*first_params, offset, *rest_params, offset, offset + limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        first_pks, rest_pks = cursor.fetchone()
    return [*first_pks, *rest_pks][:limit]
