"""A search with filters builds no samples of its counts where they cannot tell anything
(count_plan.samples_may_tell): when every facet group's other filters bound it within the
limit, and when the words are one word that PostgreSQL's statistics expect in few records.
Building and planning the samples was a third of such a search's count statement.

The answer must be the one the sampled way gives: the totals, pages and counts within the
limit to the record, whichever way. When the statistics are wrong and a count passes the
limit, it is counted to the limit and estimated from a sample read apart; its stride then
comes from the coarse sample alone, so the "about N" may differ from the sampled way's in
general, though not with the pks placed here.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.models import Subject
from accessions.search import count_plan
from accessions.search.engine import run_search
from accessions.search.filters import SearchFilter
from tests.search.test_estimates import BASE, languages, place, small_limits  # noqa: F401

pytestmark = pytest.mark.django_db

# Two facet filters: each group's other filter bounds it within the limit.
BOUNDED = "q=satellite&language=fr&subject=trade"
# The languages are counted under the words and the dates, which bound nothing.
UNBOUNDED = "q=satellite&language=fr&date_from=1950&date_to=1970"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL samples its counts in the count statement")


@pytest.fixture(autouse=True)
def general_way(monkeypatch):
    """The general way's samples, which a rare word takes without the extension: with it,
    one scan of the word's matches counts everything (test_word_scan.py)."""
    monkeypatch.setattr(count_plan, "scan_rare_word", lambda *args: False)


@pytest.fixture
def estimates_asked(monkeypatch):
    """The searches whose words' estimate was asked of PostgreSQL's statistics."""
    asked = []
    original = SearchFilter.keyword_estimate

    def spy(self):
        asked.append(self)
        return original(self)

    monkeypatch.setattr(SearchFilter, "keyword_estimate", spy)
    return asked


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
        patched.setattr(count_plan, "samples_may_tell", lambda *args: True)
        return answer(run_search(QueryDict(query)))


def facet_counts(result) -> dict:
    return {group.param: {v.value: v.count for v in group.values} for group in result.facets}


def test_groups_bound_by_their_other_filters_are_not_sampled(
    archive, samplers, estimates_asked, monkeypatch
):
    english, french, trade = archive
    result = run_search(QueryDict(BOUNDED))
    # Nothing to sample, and nothing asked of the statistics to know it.
    assert samplers == [None] and estimates_asked == []
    french_trade = Record.objects.filter(
        status="published", languages=french, subjects=trade, title__icontains="satellite"
    )
    assert (result.total, result.estimated) == (french_trade.count(), False) == (6, False)
    # Each group ignores its own filter: the languages over trade, the subjects over French.
    assert facet_counts(result)["language"] == {"en": 8, "fr": 6}
    assert facet_counts(result)["subject"] == {"trade": 6}
    assert answer(result) == sampled_answer(monkeypatch, BOUNDED)
    assert samplers[-1] is not None


def test_one_rare_word_with_a_group_left_unbounded_is_not_sampled(
    archive, samplers, estimates_asked, monkeypatch
):
    result = run_search(QueryDict(UNBOUNDED))
    assert samplers == [None] and estimates_asked
    assert (result.total, result.estimated) == (12, False)
    assert facet_counts(result)["language"] == {"en": 16, "fr": 12}
    assert answer(result) == sampled_answer(monkeypatch, UNBOUNDED)
    assert samplers[-1] is not None


@pytest.mark.usefixtures("small_limits")
def test_statistics_that_call_a_common_word_rare_only_cost_time(archive, samplers, monkeypatch):
    # The limit is 3: the search (12 French) and the languages under the dates (28) are
    # past it, while the statistics call the word rare.
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    result = run_search(QueryDict(UNBOUNDED))
    assert samplers == [None]
    assert result.estimated and "language" in result.estimated_groups
    assert answer(result) == sampled_answer(monkeypatch, UNBOUNDED)


@pytest.mark.parametrize(
    "words",
    [
        # The statistics take words as independent: words that go together, or a phrase,
        # are expected in far fewer records than hold them, so no estimate bounds them.
        '"satellite cable"',
        "satellite cable",
        "satellite OR cable",
        "satellite -telegram",
    ],
)
def test_words_the_statistics_cannot_bound_are_sampled(archive, samplers, monkeypatch, words):
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 0)
    run_search(QueryDict(UNBOUNDED.replace("q=satellite", f"q={words}")))
    assert samplers and samplers[-1] is not None


@pytest.mark.parametrize(
    ("query", "estimate", "asked"),
    [
        # Without a filter there is one count to sample, and no statistics are asked.
        ("q=satellite", 0, False),
        # A word the statistics expect in many records is sampled.
        (UNBOUNDED, 10**4, True),
        # At the threshold, half the limit, a word is still rare; past it, not.
        (UNBOUNDED, 5000, True),
        (UNBOUNDED, 5001, True),
    ],
)
def test_samples_are_built_without_filters_or_for_a_word_not_rare(
    archive, samplers, monkeypatch, query, estimate, asked
):
    calls = []

    def keyword_estimate(self):
        calls.append(self)
        return estimate

    monkeypatch.setattr(SearchFilter, "keyword_estimate", keyword_estimate)
    run_search(QueryDict(query))
    rare = asked and estimate <= 5000
    assert samplers and (samplers[-1] is None) == rare
    assert bool(calls) == asked
