"""A date range beside words or facet values is also said as the keys of its decades, so
that the GIN index of the words and keys keeps only the entries of those decades
(SearchFilter._decade_keys, PostgreSQL): the same entries, fewer rows read.

The keys only restate what the dates require, so every answer must be the one without
them: totals, pages, each facet group's counts, exact and estimated, drafts nowhere.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.search.engine import run_search
from accessions.search.filters import SearchFilter
from accessions.search.indexing import update_search_index
from accessions.search.models import Facet, SearchEntry, facet_key
from accessions.search.relevance import where_sql
from tests.search.test_estimates import BASE, languages, place, small_limits  # noqa: F401
from tests.search.test_unsampled_counts import answer

pytestmark = pytest.mark.django_db

# Single days, months, years, and ranges across decades (undated among them); each
# boundary of the queries below falls on or beside some of them.
DATES = [
    "1959-12-31",
    "1960-01-01",
    "1963-11-25",
    "1969-12-31",
    "1970-01-01",
    "1958/1962",
    "1948/1971",
    "1975-06",
    "",
    "1981",
    "1949-12-31",
    "1950/1950",
]


@pytest.fixture
def archive():
    """Cables and notes in English and French of the dates above, three times over, and
    drafts of the same dates holding every word, which must never count."""
    if connection.vendor != "postgresql":
        pytest.skip("the decades' keys are PostgreSQL's (SQLite tests facet rows)")
    english, french = languages()
    pks = []
    for number in range(3 * len(DATES)):
        pks.append(BASE + number)
        place(
            [BASE + number],
            title="Satellite cable" if number % 3 else "Trade note",
            language=english if number % 2 else french,
        )
    for number in range(len(DATES)):
        pks.append(BASE + 100 + number)
        place([BASE + 100 + number], title="Cable note", status="draft", language=english)
    for pk in pks:
        record = Record.objects.get(pk=pk)
        record.date_text = DATES[(pk - BASE) % len(DATES)]
        record.derive_dates()
        record.save()
    update_search_index(record_pks=pks)
    return english, french


def without_decades(monkeypatch, query: str, **options) -> tuple:
    with monkeypatch.context() as patched:
        patched.setattr(SearchFilter, "_decade_keys", lambda self, applied: None)
        return answer(run_search(QueryDict(query), **options))


# The first two, the fifth, sixth and eighth say their decades' keys; the others, ranges of
# days or months, or of four decades, do not, and must answer the same all the same.
QUERIES = [
    "q=cable&date_from=1960&date_to=1969",
    "q=satellite&language=en&date_from=1960&date_to=1969",
    "q=note&date_from=1959-12-31&date_to=1960-01-01",
    "q=cable&date_from=1969-12-31&date_to=1970-01-01&sort=date",
    "language=fr&date_from=1950&date_to=1975-06&sort=-date",
    "q=satellite&date_from=1950-06&date_to=1971&sort=title",
    "language=en&date_from=1962-10&date_to=1962-11",
    "q=cable&language=fr&date_from=1944-06&date_to=1949",
    # Four decades and more: no keys said, the same answers.
    "q=cable&date_from=1940&date_to=1979",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_decades_keys_change_no_answer(archive, monkeypatch, query):
    options = {"page_size": 5, "facet_limit": None}
    result = run_search(QueryDict(query), **options)
    assert result.total > 0
    assert answer(result) == without_decades(monkeypatch, query, **options)


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("query", QUERIES[:4])
def test_the_decades_keys_change_no_estimate(archive, monkeypatch, query):
    """Past a lowered limit the counts are estimated from samples, which carry the
    decades' keys too: the same samples, the same estimates."""
    options = {"page_size": 5, "facet_limit": None}
    result = run_search(QueryDict(query), **options)
    assert answer(result) == without_decades(monkeypatch, query, **options)


def where(query: str, *without: str) -> str:
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    sql, params = where_sql(search_filter.queryset_without(*without))
    return connection.ops.compose_sql(sql, params)


def decade(year: int) -> str:
    return str(facet_key(Facet.DECADE, year))


def test_the_decades_are_said_beside_words_or_facet_values_only():
    if connection.vendor != "postgresql":
        pytest.skip("the decades' keys are PostgreSQL's")
    beside_words = where("q=cable&date_from=1951-03&date_to=1978-10-02")
    assert all(decade(year) in beside_words for year in (1950, 1960, 1970))
    assert decade(1940) not in beside_words and decade(1980) not in beside_words
    # At least half of its decades' days: 1944-06 to 1949 is more than half the 1940s,
    # 1946 to 1949 less.
    assert decade(1940) in where("q=cable&date_from=1944-06&date_to=1949")
    assert decade(1940) not in where("q=cable&date_from=1946&date_to=1949")
    # A range of months is a small part of its decade's list: read by its dates.
    assert decade(1960) not in where("q=cable&date_from=1962-10&date_to=1962-11")
    assert decade(1960) not in where("q=cable&date_from=1958-03&date_to=1971-01-02")
    assert decade(1960) in where("language=en&date_from=1960&date_to=1969")
    # Dates alone are read in date order, through the date indexes: no keys.
    assert decade(1960) not in where("date_from=1960&date_to=1969")
    # Nor for a group counted without the word: its dates are alone.
    assert decade(1960) not in where("q=cable&date_from=1960&date_to=1969", "q")
    # Words too common to search for filter nothing: the dates are alone.
    assert decade(1960) not in where("q=the&date_from=1960&date_to=1969")
    # One end only, or more decades than MAX_DECADE_KEYS: none.
    assert decade(1960) not in where("q=cable&date_from=1960")
    assert decade(1960) not in where("q=cable&date_to=1969")
    assert decade(1960) not in where("q=cable&date_from=1940&date_to=1979")
