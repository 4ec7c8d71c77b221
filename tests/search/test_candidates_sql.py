"""relevance.candidates_sql writes the SQL of a search's candidate rows by hand from the
entries' WHERE condition (PostgreSQL): it must give the rows the ORM's statement gives, for
every kind of filter, and go through the ORM itself when the entries join another table."""

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict

from accessions.models import Subject
from accessions.search import relevance
from accessions.search.filters import SearchFilter
from accessions.search.models import SearchEntry
from tests.search.test_estimates import BASE, languages, place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the candidates' statement is PostgreSQL's")


@pytest.fixture
def archive():
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    place([BASE + n for n in range(6)], title="Satellite cable", language=english, subject=trade)
    place([BASE + n for n in range(6, 10)], title="Trade note", language=french)
    place([BASE + 10, BASE + 11], title="Satellite draft", status="draft", language=french)


def rows(sql_and_params) -> list[tuple]:
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) c ORDER BY candidate", params)
        return cursor.fetchall()


def by_the_orm(entries, keywords) -> tuple[str, list]:
    """The rows as the ORM writes them: the entries ranked, with their pk and keys."""
    ranked = relevance.ranked(entries, keywords).order_by()
    ranked = ranked.annotate(candidate=F("pk"), entry_keys=F("keys"))
    values = ranked.values("candidate", "tier", "date_start", "date_end", "entry_keys")
    return values.query.sql_with_params()


@pytest.mark.parametrize(
    "query",
    [
        "q=satellite",
        # In every summary, in no title: every match in the second tier.
        "q=files",
        "q=cable satellite&language=en",
        'q="satellite cable" OR note',
        "q=satellite -trade&subject=trade",
        "q=note&language=fr&date_from=1963&date_to=1964",
        "q=satellite OR note&has_scan=1",
        "q=cable&language=en&language=fr",
    ],
)
def test_the_hand_written_rows_are_the_orms(archive, query):
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    keywords = search_filter.keywords
    for entries in (search_filter.queryset_without(), search_filter.queryset_without("q")):
        expected = rows(by_the_orm(entries, keywords))
        assert rows(relevance.candidates_sql(entries, keywords)) == expected
    found = rows(relevance.candidates_sql(search_filter.queryset_without(), keywords))
    # The title tier is the title's own words: the cables' titles hold "satellite", and
    # no title holds "files".
    if query == "q=satellite":
        assert [(row[0], row[1]) for row in found] == [(BASE + n, 0) for n in range(6)]
    if query == "q=files":
        assert [(row[0], row[1]) for row in found] == [(BASE + n, 1) for n in range(10)]


def test_entries_joined_to_another_table_go_through_the_orm(archive):
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    joined = search_filter.queryset_without().filter(record__record_id__gte=BASE + 2)
    sql, _ = relevance.candidates_sql(joined, search_filter.keywords)
    assert "JOIN" in sql
    found = rows((sql, _))
    assert found == rows(by_the_orm(joined, search_filter.keywords))
    assert [row[0] for row in found] == [BASE + n for n in range(2, 6)]
