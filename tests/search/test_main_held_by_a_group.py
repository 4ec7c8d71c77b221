"""A search with a facet group counted without its own filter reads that group's matches
first; when they are within the limit, the search's own matches are those of its rows that
pass the group's own filters, and are not read again (PostgreSQL, counting.Narrowing).

Whichever way the matches are found, the total, the page and every facet count must be
those of the search's own matches: these tests compare them with plain ORM counts.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from accessions.catalogue.models import Record
from accessions.models import Subject
from accessions.search import count_limits, count_plan, counting
from accessions.search.engine import run_search
from tests.search.test_estimates import BASE, languages, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(monkeypatch):
    """What capped_counts returned, and whether a group held the search's matches."""
    calls = []
    original = counting.capped_counts

    def spy(main, cap, **kwargs):
        found = original(main, cap, **kwargs)
        holders = [group for group in kwargs.get("sized", ()) if group.narrowing]
        calls.append((found, holders))
        return found

    monkeypatch.setattr(counting, "capped_counts", spy)
    return calls


@pytest.fixture
def archive():
    """English and French satellite records, some on trade; drafts of each that must never
    count."""
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    place([BASE + offset for offset in range(8)], language=english, subject=trade)
    place([BASE + offset for offset in range(8, 14)], language=french, subject=trade)
    place([BASE + offset for offset in range(14, 17)], language=french)
    place([BASE + 20, BASE + 21], status="draft", language=french, subject=trade)
    return english, french, trade


def plain(language=None, subject=None) -> list[int]:
    """The pks of the published satellite records with these values, by the ORM alone."""
    records = Record.objects.filter(status="published", title__icontains="satellite")
    if language is not None:
        records = records.filter(languages=language)
    if subject is not None:
        records = records.filter(subjects=subject)
    return sorted(records.values_list("pk", flat=True))


def facet_counts(result, param):
    group = next(found for found in result.facets if found.param == param)
    return {value.value: value.count for value in group.values}


def test_the_group_within_the_limit_holds_the_search_matches(held, archive):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL counts facets from the rows a count reads")
    english, french, trade = archive
    result = run_search(QueryDict("q=satellite&language=fr&subject=trade"))
    (counted, holders) = held[-1]
    # A group held the matches, and the search's own coarse sample was never read (nor,
    # every group being bound by its other filters, made: see count_plan.samples_may_tell).
    assert len(holders) == 1 and counted.coarse.get(()) is None
    french_trade = plain(language=french, subject=trade)
    assert (result.total, result.estimated) == (len(french_trade), False) == (6, False)
    # Relevance (no title holds the words): oldest first, all dated alike, then by pk.
    assert [hit.record.pk for hit in result.hits] == french_trade
    # Each facet ignores its own filter: the languages over trade, the subjects over French.
    assert facet_counts(result, "language") == {
        "en": len(plain(language=english, subject=trade)),
        "fr": len(french_trade),
    }
    assert facet_counts(result, "subject") == {"trade": len(french_trade)}
    assert facet_counts(result, "collection") == {}


def test_a_held_search_without_words_is_sorted_by_date_and_counts_the_same(
    held, archive, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL counts facets from the rows a count reads")
    english, french, trade = archive
    # Samples built, though these groups' filters bound them (count_plan.samples_may_tell):
    # the search's own are then never read.
    monkeypatch.setattr(count_plan, "samples_may_tell", lambda *args: True)
    result = run_search(QueryDict("language=fr&subject=trade&sort=title"))
    (counted, holders) = held[-1]
    assert len(holders) == 1 and () in counted.coarse and counted.coarse[()] is None
    assert result.total == len(plain(language=french, subject=trade))
    assert facet_counts(result, "language") == {"en": 8, "fr": 6}
    assert facet_counts(result, "subject") == {"trade": 6}


def test_a_group_past_the_limit_leaves_the_search_to_read_its_own_matches(
    held, archive, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL counts facets from the rows a count reads")
    english, french, trade = archive
    # Every group is now past the limit (14 on trade, 9 French), the search (6) is not: its
    # matches are read from the index, and counted exactly all the same.
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 7)
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 10**6)
    result = run_search(QueryDict("q=satellite&language=fr&subject=trade"))
    (counted, holders) = held[-1]
    assert len(holders) == 1 and counted.coarse[()] is not None
    assert (result.total, result.estimated) == (6, False)
    assert [hit.record.pk for hit in result.hits] == plain(language=french, subject=trade)
    assert result.estimated_groups == {"language", "subject"}


def test_sqlite_and_a_search_without_groups_hold_nothing(held, archive):
    run_search(QueryDict("q=satellite"))
    assert held == [] or held[-1][1] == []
    result = run_search(QueryDict("q=satellite&language=fr&subject=trade"))
    if connection.vendor == "sqlite":
        assert held[-1][1] == []
    assert result.total == 6
