"""Ranking facet counts for the page (facet_counting.ranked_counts_sql), on both engines:
each facet's top values, ties broken by value, its number of values, and the rows always
shown, against the same ranking done in Python over many tied counts."""

import random

import pytest
from django.db import connection

from accessions.search.facet_counting import SAMPLE_ROW, ranked_counts_sql, top_counts
from accessions.search.models import Facet

pytestmark = pytest.mark.django_db


def counts_sql(rows) -> str:
    """SQL of literal (facet, value, count) rows (both engines name VALUES' columns so)."""
    listed = ", ".join(f"({facet}, {value}, {count})" for facet, value, count in rows)
    return f'SELECT column1 AS facet, column2 AS value, column3 AS "count" FROM (VALUES {listed}) t'


def ranked(rows, selected, limit, facets=None) -> set[tuple]:
    sql, params = ranked_counts_sql(counts_sql(rows), selected, limit, facets=facets)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {tuple(row) for row in cursor.fetchall()}


def expected(rows, selected, limit) -> set[tuple]:
    """The rows to show, ranked in Python: most counted first, ties by the lower value."""
    by_facet = {}
    for facet, value, count in rows:
        by_facet.setdefault(facet, []).append((value, count))
    always = {Facet.DECADE.value, Facet.SCAN.value, SAMPLE_ROW}
    shown = set()
    for facet, values in by_facet.items():
        ordered = sorted(values, key=lambda pair: (-pair[1], pair[0]))
        for position, (value, count) in enumerate(ordered, start=1):
            if (
                limit is None
                or position <= limit
                or facet in always
                or value in selected.get(facet, ())
            ):
                shown.add((facet, value, count, len(values)))
    return shown


def many_ties(seed: int):
    rng = random.Random(seed)
    rows = []
    # Thousands of values counted once or twice, a few counted more: the page's top ten
    # are decided among ties at its lowest count.
    for value in range(1, 2001):
        rows.append((Facet.PERSON.value, value, rng.choice([1, 1, 1, 2, 2, 3, 5, 5, 8])))
    for value in range(1, 6):  # fewer values than the page shows
        rows.append((Facet.LANGUAGE.value, value, rng.randint(1, 4)))
    for value in range(1, 11):  # exactly as many
        rows.append((Facet.SUBJECT.value, value, 7))
    for decade in range(1900, 2000, 10):  # every decade is shown, however rarely counted
        rows.append((Facet.DECADE.value, decade, rng.randint(1, 3)))
    rows.append((Facet.SCAN.value, 1, 4))
    rows.append((SAMPLE_ROW, 0, 12345))
    return rows


@pytest.mark.parametrize("limit", [1, 3, 10, 25, None])
@pytest.mark.parametrize("seed", [1, 2])
# Counts that hold a facet with many values are cut before they are ranked; counts of only
# facets with few values are ranked whole. Either way must rank any counts alike, so the
# rows below hold many-valued facets even where `facets` says they do not.
@pytest.mark.parametrize("facets", [None, [Facet.LANGUAGE, Facet.PERSON], [Facet.LANGUAGE]])
def test_ranked_counts_are_the_top_values_of_each_facet(limit, seed, facets):
    rows = many_ties(seed)
    # A chosen value counted once stays listed, wherever it ranks; one not counted at all,
    # or of a facet with no counts, adds no row.
    rarest = min(
        (value for facet, value, count in rows if facet == Facet.PERSON.value and count == 1),
    )
    selected = {
        Facet.PERSON.value: {rarest, 99999},
        Facet.LANGUAGE.value: set(),
        Facet.DONOR.value: {3},
    }
    shown = ranked(rows, selected, limit, facets)
    assert shown == expected(rows, selected, limit)
    # The number of values is an integer on both engines, as the page and the API need.
    assert all(type(values) is int for *_, values in shown)


def test_the_values_tied_at_the_last_place_go_by_value():
    # Twelve values tied at the top: the ten lowest are shown, and all twelve are counted.
    rows = [(Facet.PLACE.value, value, 3) for value in range(100, 112)]
    rows += [(Facet.PLACE.value, value, 1) for value in range(1, 50)]
    shown = ranked(rows, {}, 10, [Facet.PLACE])
    assert {value for _, value, _, _ in shown} == set(range(100, 110))
    assert {values for _, _, _, values in shown} == {61}


@pytest.mark.parametrize(
    "counts, shown",
    [
        # Exactly `limit` values above the fourth: only they are shown.
        ([5, 5, 5, 4], [1, 2, 3]),
        # One value above, then a tie across the cut: the tied go by value.
        ([5, 4, 4, 4, 4], [1, 2, 3]),
        # Fewer values than the page shows: all of them.
        ([2, 1], [1, 2]),
    ],
)
def test_the_cut_at_exactly_the_last_place(counts, shown):
    rows = [(Facet.SUBJECT.value, value, count) for value, count in enumerate(counts, start=1)]
    result = ranked(rows, {}, 3, [Facet.SUBJECT])
    assert sorted(value for _, value, _, _ in result) == shown


def test_counts_with_parameters_of_their_own_come_first():
    """top_counts passes the counts' own parameters before the ranking's."""
    rows = [(Facet.PERSON.value, value, value % 7 + 1) for value in range(1, 40)]
    sql = f"SELECT * FROM ({counts_sql(rows)}) counted WHERE value >= %s"
    result = {tuple(row) for row in top_counts((sql, [10]), {}, 5, [Facet.PERSON])}
    kept = [row for row in rows if row[1] >= 10]
    assert result == expected(kept, {}, 5)
