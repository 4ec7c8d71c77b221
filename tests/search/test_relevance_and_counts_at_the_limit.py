"""Relevance and counts around the real exact-count limit (EXACT_COUNT_LIMIT, 10,000).

One archive of some eleven thousand records serves the module: every published record
holds the word "sputnik", most in their summary or text only; a few dozen hold it in their
title, and the best of them, the oldest of those, is made last, behind all the others, with
the longest title and a date younger than a dozen of the other matches. Most titles hold
the word "report": that title tier is large. Other words are held by exactly 2,999, 3,001,
10,000 and 10,001 records. Six hundred drafts and withdrawn records hold every word, in
their title and with the oldest date, so that any leak shows at the top of a page or as
hundreds too many in a count.

The expected orders and counts are worked out here from the records as made, not from the
engine: relevance is first the records whose title holds every word, then all other
matches; in each, oldest date first (then the end of the date range), undated last, then
by pk. The length of the title counts for nothing.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.urls import reverse

from accessions.catalogue.models import Language, Record, RecordText
from accessions.search import count_limits, relevance
from accessions.search.engine import run_search
from accessions.search.indexing import update_search_index
from accessions.search.rebuilding import rebuild_search_index

pytestmark = pytest.mark.django_db

WORD = "sputnik"
# Records holding each word (in their summary or text), either side of the limit.
COUNTED = {"mercury": 2_999, "gemini": 3_001, "vostok": 10_000, "telstar": 10_001}
# The records that hold the word only in their summary or text.
REST = 10_600
UNPUBLISHED = 300  # drafts, and as many withdrawn records
PAGE = 20
ESTIMATE_ERROR = 0.05
PUBLISHED_AT = datetime(2024, 1, 1, tzinfo=UTC)

# Titles holding the word, of a few lengths, with ties on dates. The first three share a
# start and differ in the end of their range; the fourth ties the third on everything but
# the pk. The ones marked True hold "luna" in their summary.
TITLED = [
    ("Sputnik memo", "1962", False),
    ("Sputnik memo", "1962-01", False),
    ("Sputnik memo", "1962-01-01", False),
    ("Sputnik note", "1962-01-01", False),
    ("Sputnik note", "undated", True),
    ("Sputnik note", "1950", False),
    ("Sputnik and Luna", "1970", False),
    ("Sputnik and Luna", "undated", False),
    ("Luna and Sputnik", "1958", False),
    ("Sputnik 1", "1957-10-04", True),
    ("The Sputnik crisis", "1957-10", False),
    ("A long report on Sputnik and the missile gap", "1958", False),
] + [
    # More lengths and years, a few undated.
    (
        "Sputnik " + " ".join(["report"] * (1 + k % 4)),
        "undated" if k % 7 == 3 else str(1955 + k),
        k % 5 == 0,
    )
    for k in range(19)
]
# The best match: the oldest title holding the word, made last (the last pk), with the
# longest title, and younger than the twelve oldest records without the word in the title.
BEST = (
    "Sputnik and the missile gap: a long retrospective on the first year of the space age",
    "1949-06",
)


@dataclass
class Made:
    pk: int
    title: str
    date_start: date | None
    date_end: date | None
    words: set[str]  # every word the record holds, anywhere
    title_words: set[str]


def rest_date(number: int) -> str:
    """The date of the number-th record without the word in its title: the first twelve
    share the oldest start and differ in the end of their range (against their pk order);
    one in ten of the others is undated."""
    if number < 12:
        return ["1945", "1945-01", "1945-01-01"][number % 3]
    if number % 10 == 0:
        return "undated"
    year = 1950 + (number * 7) % 40
    return str(year) if number % 3 == 0 else f"{year}-{1 + number % 12:02d}"


def rest_words(number: int) -> set[str]:
    words = {WORD, *(word for word, count in COUNTED.items() if number < count)}
    if number % 50 == 0:
        words.add("luna")
    return words


def make_archive() -> dict:
    """Make the records in bulk, index them once, and return what was made."""
    english = Language.objects.get(code="en")
    specs = []  # (title, date, words outside the title, status)
    titled = iter(TITLED)
    for number in range(REST):
        specs.append((f"Report {number} on the talks", rest_date(number), rest_words(number), "p"))
        if number % 337 == 100 and (found := next(titled, None)):
            title, date_text, luna = found
            specs.append((title, date_text, {"luna"} if luna else set(), "p"))
        if number == REST // 2:
            everything = {WORD, "luna", "zircon", *COUNTED}
            specs += [("Sputnik", "1940", everything, "draft")] * UNPUBLISHED
            specs += [("Sputnik", "1940", everything, "withdrawn")] * UNPUBLISHED
    assert next(titled, None) is None, "every titled record is placed"
    specs.append((*BEST, set(), "p"))
    statuses = {"p": Record.Status.PUBLISHED, "draft": Record.Status.DRAFT}
    records = []
    for index, (title, date_text, words, status) in enumerate(specs):
        text = " ".join(sorted(words))
        record = Record(
            record_id=1_000_000 + index,
            title=title,
            date_text=date_text,
            # Half the records hold their words in the summary, half in their text.
            summary=f"A note on {text}." if index % 2 else "A note from the files.",
            status=statuses.get(status, Record.Status.WITHDRAWN),
            published_at=None if status == "draft" else PUBLISHED_AT,
        )
        record.derive_dates()
        records.append(record)
    created = Record.objects.bulk_create(records, batch_size=2000)
    RecordText.objects.bulk_create(
        (
            RecordText(
                record=record,
                body=f"The text on {' '.join(sorted(words))}." if index % 2 == 0 else "A text.",
                language=english,
                is_primary=True,
            )
            for index, (record, (_, _, words, _)) in enumerate(zip(created, specs, strict=True))
        ),
        batch_size=2000,
    )
    Record.languages.through.objects.bulk_create(
        (Record.languages.through(record_id=r.pk, language_id=english.pk) for r in created),
        batch_size=2000,
    )
    rebuild_search_index()
    published, unpublished = [], []
    for record, (title, _, words, status) in zip(created, specs, strict=True):
        if status != "p":
            unpublished.append(record.pk)
            continue
        title_words = set(title.lower().split())
        every_word = words | title_words
        published.append(
            Made(record.pk, title, record.date_start, record.date_end, every_word, title_words)
        )
    return {"published": published, "unpublished": set(unpublished)}


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """The module's archive, made once in a transaction that is rolled back after its last
    test; each test runs in a savepoint inside it, as usual."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield make_archive()
            transaction.set_rollback(True)
        if connection.vendor == "postgresql":
            # The rebuild's ANALYZE is not rolled back: PostgreSQL would go on expecting ten
            # thousand records, and later tests that rely on its estimates (the staff lists'
            # counts) would see an "about" where three records are.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE accessions_record, accessions_searchentry, "
                    "accessions_searchfacet, accessions_searchfacettotal"
                )


def relevance_order(published, words: set[str]) -> list[int]:
    """The pks of the records holding every word, in relevance order."""

    def key(made: Made):
        return (
            0 if words <= made.title_words else 1,
            made.date_start is None,
            made.date_start or date.min,
            made.date_end is None,
            made.date_end or date.min,
            made.pk,
        )

    return [made.pk for made in sorted((m for m in published if words <= m.words), key=key)]


def page_pks(query: str) -> tuple[list[int], object]:
    result = run_search(QueryDict(query), page_size=PAGE)
    assert result.is_valid, result.errors
    return [hit.record.pk for hit in result.hits], result


def test_the_archive_is_as_planned(archive):
    published = archive["published"]
    assert len(published) == REST + len(TITLED) + 1
    for word, count in COUNTED.items():
        assert sum(1 for made in published if word in made.words) == count
    assert len(archive["unpublished"]) == 2 * UNPUBLISHED
    # The best match is the oldest title match and the longest, and a dozen other matches
    # are older still.
    best = published[-1]
    titled = [made for made in published if WORD in made.title_words]
    assert len(titled) == len(TITLED) + 1
    assert all(made.date_start is None or made.date_start > best.date_start for made in titled[:-1])
    assert all(len(made.title) < len(best.title) for made in titled[:-1])
    older = [made for made in published if made.date_start and made.date_start < best.date_start]
    assert len(older) == 12 and not any(WORD in made.title_words for made in older)


# How far PostgreSQL walks a tier in date order before it sorts the tier's matches instead
# (relevance.page_by_tiers): as set; far enough to walk every entry; no further than the
# page, so that most walks fall short and the fallback makes the page. Each gives the same
# pages. SQLite ranks every match at once.
WALKS = {
    "as-set": None,
    "walk-everything": (10**6, 200),
    "walk-the-page-only": (0, 1),
}


@pytest.fixture(params=list(WALKS))
def walks(request, monkeypatch):
    if WALKS[request.param] is None:
        return
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL walks the tiers in date order")
    at_least, span = WALKS[request.param]
    monkeypatch.setattr(relevance, "WALK_AT_LEAST", at_least)
    monkeypatch.setattr(relevance, "WALK_SPAN", span)


def test_the_best_match_comes_first_past_the_limit_and_every_page_follows_the_order(archive, walks):
    expected = relevance_order(archive["published"], {WORD})
    assert len(expected) > count_limits.EXACT_COUNT_LIMIT
    best = archive["published"][-1]
    assert expected[0] == best.pk
    first, result = page_pks(f"q={WORD}")
    assert result.estimated and result.sort == "relevance"
    assert first[0] == best.pk
    assert first == expected[:PAGE]
    # Page 2 crosses from the titles to the rest; page 3 is the rest, from the oldest
    # dates, where the end of the range and the pk break ties.
    for number in (2, 3):
        shown, _ = page_pks(f"q={WORD}&page={number}")
        assert shown == expected[(number - 1) * PAGE : number * PAGE], f"page {number}"
    assert PAGE < len(TITLED) + 1 < 2 * PAGE
    # The last page the estimate allows is deep in the undated records, in pk order.
    last = result.num_pages
    shown, _ = page_pks(f"q={WORD}&page={last}")
    assert shown == expected[(last - 1) * PAGE : last * PAGE]
    dates = {made.pk: made.date_start for made in archive["published"]}
    assert shown and all(dates[pk] is None for pk in shown)


def test_a_large_title_tier_is_ranked_by_date_then_pk_past_the_limit(archive, walks):
    # "report" is in most titles and nowhere else: one tier, past the limit, in date order;
    # the twelve oldest share a start and are ordered by the end of their range, then pk.
    expected = relevance_order(archive["published"], {"report"})
    assert len(expected) > count_limits.EXACT_COUNT_LIMIT
    by_pk = {made.pk: made for made in archive["published"]}
    assert all("report" in by_pk[pk].title_words for pk in expected)
    first, result = page_pks("q=report")
    assert result.estimated
    assert first == expected[:PAGE]
    oldest = [(by_pk[pk].date_start, by_pk[pk].date_end) for pk in first[:12]]
    assert len({start for start, _ in oldest}) == 1 and oldest == sorted(oldest)
    for number in (2, 50):
        shown, _ = page_pks(f"q=report&page={number}")
        assert shown == expected[(number - 1) * PAGE : number * PAGE], f"page {number}"


def test_a_relevance_page_past_the_limit_within_dates_follows_the_order(
    archive, walks, monkeypatch
):
    # Some five thousand matches end in 1970 or later, a few of them with the word in the
    # title: past a limit of a thousand, PostgreSQL walks the tiers from those dates on.
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 1000)
    within = [
        made
        for made in archive["published"]
        if made.date_start is not None and made.date_end >= date(1970, 1, 1)
    ]
    expected = relevance_order(within, {WORD})
    in_title = {made.pk for made in within if WORD in made.title_words}
    titled = [pk for pk in expected if pk in in_title]
    assert 0 < len(titled) < PAGE and len(expected) > 1000
    for number in (1, 2):
        shown, result = page_pks(f"q={WORD}&date_from=1970&page={number}")
        assert result.estimated
        assert shown == expected[(number - 1) * PAGE : number * PAGE], f"page {number}"
        if number == 1:
            assert shown[: len(titled)] == titled


def test_a_relevance_page_past_the_limit_with_sparse_tiers_follows_the_order(
    archive, walks, monkeypatch
):
    # "luna" is in three titles and in the summary or text of one record in fifty: past a
    # limit of a hundred, both tiers are sparse among the oldest records, and a walk that
    # falls short must leave the page to the tier's sorted matches.
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 100)
    expected = relevance_order(archive["published"], {"luna"})
    titles = {made.pk: made.title for made in archive["published"]}
    assert [titles[pk] for pk in expected[:3]] == [
        "Luna and Sputnik",
        "Sputnik and Luna",
        "Sputnik and Luna",
    ]
    assert 100 < len(expected) < 50 * PAGE
    for number in (1, 2, 5):
        shown, result = page_pks(f"q=luna&page={number}")
        assert result.estimated
        assert shown == expected[(number - 1) * PAGE : number * PAGE], f"page {number}"


def test_relevance_orders_an_exactly_counted_search_the_same_way(archive):
    # Both words: the title tier is the titles holding both; a title holding only one
    # of them ranks with the rest.
    expected = relevance_order(archive["published"], {WORD, "luna"})
    assert PAGE < len(expected) <= count_limits.EXACT_COUNT_LIMIT
    first, result = page_pks(f"q={WORD}+luna")
    assert (result.estimated, result.total) == (False, len(expected))
    assert first == expected[:PAGE]
    second, _ = page_pks(f"q={WORD}+luna&page=2")
    assert second == expected[PAGE : 2 * PAGE]
    titles = {made.pk: made.title for made in archive["published"]}
    both = ["Luna and Sputnik", "Sputnik and Luna", "Sputnik and Luna"]  # 1958, 1970, undated
    assert [titles[pk] for pk in first[:3]] == both
    assert titles[first[3]] not in ("Luna and Sputnik", "Sputnik and Luna")


@pytest.mark.parametrize("word", [*COUNTED, WORD])
def test_counts_are_exact_up_to_the_limit_and_within_five_percent_past_it(archive, word):
    truth = sum(1 for made in archive["published"] if word in made.words)
    result = run_search(QueryDict(f"q={word}"))
    language = next(group for group in result.facets if group.param == "language")
    (english,) = language.values
    if truth <= count_limits.EXACT_COUNT_LIMIT:
        assert (result.estimated, result.total, english.count) == (False, truth, truth)
    else:
        assert result.estimated
        assert abs(result.total - truth) <= ESTIMATE_ERROR * truth
        assert abs(english.count - truth) <= ESTIMATE_ERROR * truth


def test_drafts_and_withdrawn_records_never_appear_in_results_or_counts(archive):
    unpublished = archive["unpublished"]
    assert run_search(QueryDict("q=zircon")).total == 0
    # They hold every word in their title and have the oldest date: first by relevance or
    # by date if they leaked.
    for query in (f"q={WORD}", f"q={WORD}&sort=date", "q=mercury", "q=telstar&sort=date"):
        shown, result = page_pks(query)
        assert shown and not unpublished.intersection(shown), query
    assert run_search(QueryDict("q=mercury")).total == COUNTED["mercury"]


# The queries of a whole search page, as in test_search.py and test_estimates.py: the
# capped count, the page's ids, the facet counts (with the samples past the limit), their
# labels, the page's records and their thumbnails; a filter adds resolving its slugs.
# PostgreSQL ranks an exact relevance page with the count (one fewer); past the limit it
# drops that page and reads it apart (relevance.page_by_tiers), and a facet group counted
# under the words alone asks its statistics how common the words are (one more).
QUERIES = {
    "sqlite": {f"q={WORD}": 6, "q=gemini": 6, f"q={WORD}&language=en": 7},
    # PostgreSQL counts and ranks the facets of an exact search with its count: no UNION.
    "postgresql": {f"q={WORD}": 6, "q=gemini": 4, f"q={WORD}&language=en": 8},
}
ESTIMATED = {f"q={WORD}": True, "q=gemini": False, f"q={WORD}&language=en": True}


def test_the_number_of_queries_stays_the_same_when_the_archive_grows(
    archive, client, django_assert_num_queries
):
    def search_each():
        for query, queries in QUERIES[connection.vendor].items():
            with django_assert_num_queries(queries, info=query):
                response = client.get(reverse("accessions:search") + "?" + query)
            assert response.context["result"].estimated == ESTIMATED[query], query

    search_each()
    # Fifteen hundred more records with the word and "gemini": the estimated searches sample
    # more matches, and "gemini" is still counted exactly, at 4,501.
    english = Language.objects.get(code="en")
    more = [
        Record(
            record_id=2_000_000 + number,
            title=f"Later report {number}",
            date_text="1975",
            summary=f"A note on {WORD} and gemini.",
            status=Record.Status.PUBLISHED,
            published_at=PUBLISHED_AT,
        )
        for number in range(1500)
    ]
    for record in more:
        record.derive_dates()
    more = Record.objects.bulk_create(more)
    Record.languages.through.objects.bulk_create(
        Record.languages.through(record_id=r.pk, language_id=english.pk) for r in more
    )
    # As every write does; it also drops the cached pages.
    update_search_index(record_pks=[record.pk for record in more])
    assert run_search(QueryDict("q=gemini")).total == COUNTED["gemini"] + 1500
    # More matches, a larger coarse sample: from 11 coarse matches on (coarse_hits_for(2))
    # the estimate samples every second entry, and it is still within 5 %.
    truth = len(archive["published"]) + len(more)
    grown = run_search(QueryDict(f"q={WORD}"))
    assert grown.estimated and abs(grown.total - truth) <= ESTIMATE_ERROR * truth
    search_each()
