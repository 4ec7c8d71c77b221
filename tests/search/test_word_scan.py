"""A search for one rare word with filters counts everything from one scan of the word's
matches (count_plan.scan_rare_word, word_scan.py; PostgreSQL with the archive_facets extension).

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
from accessions.scans.ingest import ingest_scan
from accessions.search import count_plan, facet_counting, word_scan
from accessions.search.engine import run_search
from accessions.search.filters import SearchFilter
from accessions.search.indexing import update_search_index
from tests.engines import engine_unavailable
from tests.scan_files import image_bytes, upload
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


# The dates the records get in turn: several decades, some the same, one undated.
DATES = ["1963-11-25", "1948-02", "", "1975-06-01", "1963-11-25", "1959", "1981-03-12"]


@pytest.fixture
def archive(settings):
    """Cables and notes in English and French, trade on some, of several dates (one in
    seven undated), every fifth with a scan: "cable" is in the cables' titles, "files" in
    every summary and no title, "note" in the notes' titles and every summary (so both
    tiers); drafts holding every word, which must never count."""
    settings.TESSERACT_COMMAND = ""  # no OCR of the scans
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
    for number in range(24):
        record = Record.objects.get(pk=BASE + number)
        record.date_text = DATES[number % len(DATES)]
        record.derive_dates()
        record.save()
        if number % 5 == 0:
            ingest_scan(
                record=record, upload=upload(image_bytes(text="Page"), "p.jpg"), name="p.jpg"
            )
    update_search_index(record_pks=[BASE + number for number in range(24)])
    return english, french, trade


def general_answer(monkeypatch, query: str, **options) -> tuple:
    with monkeypatch.context() as patched:
        patched.setattr(count_plan, "scan_rare_word", lambda *args: False)
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
    "q=files&has_scan=1&sort=-uploaded",
    "q=files&date_from=1960",
    "q=files&date_to=1965",
    "q=note&date_from=1970",
    "q=note&subject=trade&date_to=1980",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("facet_limit", [10, 1, 0, None])
def test_one_scan_answers_as_the_general_way(
    archive, scans, samplers, monkeypatch, query, facet_limit
):
    options = {"page_size": 5, "facet_limit": facet_limit}
    result = run_search(QueryDict(query), **options)
    assert len(scans) == 1 and scans[0] is not None and samplers == []
    assert answer(result) == general_answer(monkeypatch, query, **options)


def test_the_scan_counts_published_records_and_each_group_without_its_own_filter(archive, scans):
    english, french, trade = archive
    result = run_search(QueryDict("q=note&language=fr&date_to=1990"))
    assert scans and scans[-1] is not None
    # Every summary holds "note"; the French are records 14 to 23, trade on the even ones;
    # the date filter leaves the undated out.
    published = Record.objects.filter(status="published", summary__icontains="note")
    dated = published.filter(date_start__isnull=False)
    french_dated = dated.filter(languages=french)
    assert result.total == french_dated.count() == 8
    facets = {group.param: {v.value: v.count for v in group.values} for group in result.facets}
    # The languages ignore their own filter, the decades theirs (the dates), the subjects
    # and the scans are the search's own; the drafts count nowhere.
    assert facets["language"] == {
        "en": dated.filter(languages=english).count(),
        "fr": french_dated.count(),
    }
    assert facets["subject"] == {"trade": french_dated.filter(subjects=trade).count()}
    decades = {}
    for record in published.filter(languages=french, date_start__isnull=False):
        decade = str(record.date_start.year // 10 * 10)
        decades[decade] = decades.get(decade, 0) + 1
    assert {d.value: d.count for d in result.decades} == decades and len(decades) > 2
    assert result.with_scans.count == french_dated.filter(scans__isnull=False).distinct().count()
    assert result.with_scans.count > 0

    # Relevance: the notes' titles hold the word, then the rest; each by date, then pk.
    def order(record):
        return (
            0 if "note" in record.title.lower() else 1,
            record.date_start,
            record.date_end,
            record.pk,
        )

    expected = [record.pk for record in sorted(french_dated, key=order)]
    assert [hit.record.pk for hit in result.hits] == expected


@pytest.mark.usefixtures("small_limits")
def test_a_word_past_the_limit_falls_back_on_the_general_way(archive, scans, samplers, monkeypatch):
    # The limit is 3: the statistics call "files" rare, but it is in every record.
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    query = "q=files&language=en&date_from=1960"
    result = run_search(QueryDict(query))
    # The scan stopped past the limit, and the general way sampled its counts.
    assert scans == [None] and len(samplers) == 1 and samplers[0] is not None
    assert result.estimated
    assert answer(result) == general_answer(monkeypatch, query)


@pytest.mark.parametrize(
    "query",
    [
        "q=cable",  # no filter
        "q=satellite cable&language=fr",  # two words
        'q="satellite cable"&language=fr',  # a phrase
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
    english = Record.objects.filter(languages__code="en", date_end__gte="1960-01-01")
    assert result.total == english.count() == 8


def test_a_filter_joining_another_table_is_counted_the_general_way(archive, scans, monkeypatch):
    query = "q=files&language=en&date_from=1960"
    expected = general_answer(monkeypatch, query)
    original = SearchFilter.queryset_only

    def joined(self, *names):
        only = original(self, *names)
        return only.filter(record__record_id__gte=0) if names == ("language",) else only

    monkeypatch.setattr(SearchFilter, "queryset_only", joined)
    result = run_search(QueryDict(query))
    assert scans == [None]
    assert answer(result) == expected
