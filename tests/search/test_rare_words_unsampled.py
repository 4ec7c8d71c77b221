"""A search with filters whose words PostgreSQL's statistics expect in few records builds no
samples of its counts (engine._words_surely_rare): the words bound every count under them
near the limit, so the samples would tell nothing, and building and planning them cost a
third of such a search's count.

Whether the samples are built or not, the answer must be the same to the record, also when
the statistics are wrong and the counts pass the limit (they are then counted to it and
estimated from samples read apart), and drafts never count.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.models import Subject
from accessions.search import counting, engine
from accessions.search.engine import run_search
from accessions.search.filters import SearchFilter
from tests.search.test_estimates import BASE, languages, place, small_limits  # noqa: F401

pytestmark = pytest.mark.django_db

QUERY = "q=satellite&language=fr&subject=trade"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL samples its counts in the count statement")


@pytest.fixture
def samplers(monkeypatch):
    """The `coarse` given to each capped_counts call: None when no sample was built."""
    calls = []
    original = counting.capped_counts

    def spy(main, cap, **kwargs):
        calls.append(kwargs.get("coarse"))
        return original(main, cap, **kwargs)

    monkeypatch.setattr(counting, "capped_counts", spy)
    return calls


@pytest.fixture
def archive():
    """Satellite records: 16 English, 12 French, trade on every other one of each; drafts
    of each that must never count."""
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    for number in range(28):
        place(
            [BASE + number],
            language=english if number < 16 else french,
            subject=trade if number % 2 == 0 else None,
        )
    place([BASE + 40, BASE + 41], status="draft", language=french, subject=trade)
    return english, french, trade


def answer(result) -> tuple:
    """Everything a search shows, to compare two ways of finding it."""
    return (
        result.total,
        result.estimated,
        sorted(result.estimated_groups),
        [hit.record.pk for hit in result.hits],
        [
            (group.param, [(v.value, v.count, v.selected) for v in group.values], group.value_count)
            for group in result.facets
        ],
        [(decade.value, decade.count) for decade in result.decades],
        result.with_scans.count,
    )


def sampled_answer(monkeypatch, query: str) -> tuple:
    """The search's answer with its samples built, as for words of any frequency."""
    with monkeypatch.context() as patched:
        patched.setattr(engine, "_words_surely_rare", lambda search_filter: False)
        return answer(run_search(QueryDict(query)))


def test_rare_words_with_filters_build_no_samples_and_answer_the_same(
    archive, samplers, monkeypatch
):
    english, french, trade = archive
    result = run_search(QueryDict(QUERY))
    assert samplers == [None]
    french_trade = Record.objects.filter(
        status="published", languages=french, subjects=trade, title__icontains="satellite"
    )
    assert (result.total, result.estimated) == (french_trade.count(), False) == (6, False)
    facets = {group.param: {v.value: v.count for v in group.values} for group in result.facets}
    # Each group ignores its own filter: the languages over trade, the subjects over French.
    assert facets["language"] == {"en": 8, "fr": 6}
    assert facets["subject"] == {"trade": 6}
    assert answer(result) == sampled_answer(monkeypatch, QUERY)
    assert samplers[-1] is not None


@pytest.mark.usefixtures("small_limits")
def test_statistics_that_call_common_words_rare_only_cost_time(archive, samplers, monkeypatch):
    # The limit is 3: the search (6), the languages over trade (14) and the subjects over
    # French (12) are all past it, while the statistics call the words rare.
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    result = run_search(QueryDict(QUERY))
    assert samplers == [None]
    assert result.estimated and result.estimated_groups >= {"language", "subject"}
    assert answer(result) == sampled_answer(monkeypatch, QUERY)


@pytest.mark.parametrize(
    ("query", "estimate"),
    [
        # Without a filter there is one count to sample, and no statistics are asked.
        ("q=satellite", None),
        # Words the statistics expect in many records are sampled as before.
        (QUERY, 10**6),
    ],
)
def test_samples_are_built_without_filters_or_for_common_words(
    archive, samplers, monkeypatch, query, estimate
):
    asked = []

    def keyword_estimate(self):
        asked.append(self)
        return estimate

    monkeypatch.setattr(SearchFilter, "keyword_estimate", keyword_estimate)
    run_search(QueryDict(query))
    assert samplers and samplers[-1] is not None
    assert bool(asked) == (estimate is not None)
