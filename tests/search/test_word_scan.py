"""A search for one rare word with filters counts everything from one scan of the word's
matches (engine._word_scan, word_scan.py; PostgreSQL with the archive_facets extension).

Its answer must be the general way's to the record: the total, the page in every order,
each facet group's counts (each ignoring its own filter), the facets counted with the
search, the decades and the scans, published records only. A word past the limit after all
falls back on the general way, with its samples.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.models import Subject
from accessions.search import counting, engine, facet_counting, word_scan
from accessions.search.engine import run_search
from accessions.search.filters import SearchFilter
from tests.engines import engine_unavailable
from tests.search.test_estimates import BASE, languages, place, small_limits  # noqa: F401
from tests.search.test_unsampled_counts import answer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def with_the_extension():
    if connection.vendor != "postgresql":
        pytest.skip("the word's scan is PostgreSQL's")
    if not facet_counting.uses_extension():
        engine_unavailable(
            "The archive_facets extension is not installed in PostgreSQL (make pg-extension)."
        )


@pytest.fixture
def scans(monkeypatch):
    """What each word_scan.scan call returned (None: the word was past the limit)."""
    calls = []
    original = word_scan.scan

    def spy(*args, **kwargs):
        found = original(*args, **kwargs)
        calls.append(found)
        return found

    monkeypatch.setattr(word_scan, "scan", spy)
    return calls


@pytest.fixture
def general(monkeypatch):
    """The capped_counts calls: the general way."""
    calls = []
    original = counting.capped_counts

    def spy(main, cap, **kwargs):
        calls.append(kwargs.get("coarse"))
        return original(main, cap, **kwargs)

    monkeypatch.setattr(counting, "capped_counts", spy)
    return calls


@pytest.fixture
def archive():
    """Cables and notes in English and French, trade on some: "cable" is in the cables'
    titles, "files" in every summary and no title, "note" in the notes' titles and every
    summary (so both tiers); drafts holding every word, which must never count."""
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    for number in range(24):
        place(
            [BASE + number],
            title="Satellite cable" if number % 3 else "Trade note",
            language=english if number < 14 else french,
            subject=trade if number % 2 == 0 else None,
        )
    place([BASE + 40, BASE + 41], title="Cable note", status="draft", language=french)
    return english, french, trade


def general_answer(monkeypatch, query: str, **options) -> tuple:
    with monkeypatch.context() as patched:
        patched.setattr(engine, "_word_scan", lambda *args: False)
        return answer(run_search(QueryDict(query), **options))


QUERIES = [
    "q=cable&language=fr",
    "q=note&language=en&language=fr",
    "q=files&language=en&date_from=1960&date_to=1969",
    "q=files&language=fr&sort=date",
    "q=files&language=en&sort=-date&page=2",
    "q=note&language=en&sort=title",
    "q=files&language=en&page=2",
    "q=files&language=en&has_scan=1",
    "q=files&date_from=1960",
    "q=note&date_from=1970",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("facet_limit", [10, 1, 0, None])
def test_one_scan_answers_as_the_general_way(
    archive, scans, general, monkeypatch, query, facet_limit
):
    options = {"page_size": 5, "facet_limit": facet_limit}
    result = run_search(QueryDict(query), **options)
    assert len(scans) == 1 and scans[0] is not None and general == []
    assert answer(result) == general_answer(monkeypatch, query, **options)


def test_the_scan_counts_published_records_and_each_group_without_its_own_filter(archive, scans):
    english, french, trade = archive
    result = run_search(QueryDict("q=note&language=fr&date_from=1950"))
    assert scans and scans[-1] is not None
    # Every summary holds "note"; the French are records 14 to 23, trade on the even ones.
    published = Record.objects.filter(status="published", summary__icontains="note")
    french = published.filter(languages=french)
    assert result.total == french.count() == 10
    facets = {group.param: {v.value: v.count for v in group.values} for group in result.facets}
    # The languages ignore their own filter, the subjects are the search's own; the drafts
    # count nowhere.
    assert facets["language"] == {"en": 14, "fr": 10}
    assert facets["subject"] == {"trade": french.filter(subjects=trade).count()} == {"trade": 5}
    assert [(d.value, d.count) for d in result.decades] == [("1960", 10)]
    # Relevance: the notes' titles hold the word, then the rest; each by date, then pk.
    notes = [BASE + n for n in (15, 18, 21)]
    rest = [BASE + n for n in range(14, 24) if BASE + n not in notes]
    assert [hit.record.pk for hit in result.hits] == notes + rest


@pytest.mark.usefixtures("small_limits")
def test_a_word_past_the_limit_falls_back_on_the_general_way(archive, scans, general, monkeypatch):
    # The limit is 3: the statistics call "files" rare, but it is in every record.
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    query = "q=files&language=en&date_from=1960"
    result = run_search(QueryDict(query))
    # The scan stopped past the limit, and the general way sampled its counts.
    assert scans == [None] and len(general) == 1 and general[0] is not None
    assert result.estimated
    assert answer(result) == general_answer(monkeypatch, query)


@pytest.mark.parametrize(
    "query",
    [
        "q=cable",  # no filter
        "q=satellite cable&language=fr",  # two words
        '"satellite cable"&language=fr',  # a phrase
        "q=cable -trade&language=fr",  # a word excluded
        "q=cable&language=fr&subject=trade",  # every group bounded by its other filters
        "language=fr&subject=trade",  # no word
    ],
)
def test_the_scan_is_not_tried_where_it_does_not_apply(archive, scans, monkeypatch, query):
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    run_search(QueryDict(query))
    assert scans == []


def test_nor_without_the_extension(archive, scans, monkeypatch):
    monkeypatch.setattr(facet_counting, "uses_extension", lambda: False)
    result = run_search(QueryDict("q=cable&language=fr"))
    assert scans == [] and result.total == 7


def test_a_scanned_search_keeps_a_fixed_number_of_queries(archive, django_assert_num_queries):
    # Resolve the slugs, ask the word's statistics, the scan, the facet values' labels and
    # the page's records.
    with django_assert_num_queries(5):
        result = run_search(QueryDict("q=files&language=en&date_from=1960"))
    assert result.total == 14
