"""The archive_facets extension's aggregate (postgresql/archive_facets), which counts the facet
keys of a search's matches in C: what it counts, what it refuses, that migrate creates it,
and that a search's counts are the same through it as in plain SQL, exact and estimated.

PostgreSQL only; where the extension is not installed these tests skip (fail in CI)."""

import random
from collections import Counter

import pytest
from django.db import DataError, connection, transaction
from django.http import QueryDict

from accessions.search import estimates, facet_counting, key_tally
from accessions.search.engine import run_search
from accessions.search.facet_counting import shown_key_counts_json
from accessions.search.filters import SearchFilter
from accessions.search.models import FACET_KEY_BASE, Facet, SearchEntry
from tests.engines import engine_unavailable
from tests.search.test_estimates import languages, place, small_limits  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="an extension of PostgreSQL"),
]


@pytest.fixture(autouse=True)
def installed():
    if not key_tally.is_installed(connection):
        engine_unavailable(
            "The archive_facets extension is not installed in PostgreSQL (make pg-extension)."
        )


def tally(rows, ranges) -> Counter:
    """{key: count} the aggregate gives over `rows` (arrays of keys, or None)."""
    values = ", ".join("(%s::integer[])" for _ in rows) or "(NULL::integer[])"
    where = "" if rows else " WHERE FALSE"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tallied >> 32, tallied & 4294967295 FROM unnest(("
            f"SELECT archive_key_tally(keys, %s) FROM (VALUES {values}) t(keys){where})) tallied",
            [ranges, *rows],
        )
        found = cursor.fetchall()
    counts = Counter(dict(found))
    assert len(counts) == len(found), "one element per distinct key"
    return counts


def expected(rows, ranges) -> Counter:
    pairs = list(zip(ranges[::2], ranges[1::2], strict=True))
    return Counter(
        key
        for keys in rows
        if keys is not None
        for key in keys
        if any(low <= key < high for low, high in pairs)
    )


def test_it_counts_the_keys_within_the_ranges_only():
    rows = [[5, 10, 19, 20, 35], [10, 10, 29, 30], None, [], [0, 39, 40]]
    ranges = [10, 20, 30, 40]  # each from its first key up to, not including, its last
    assert tally(rows, ranges) == Counter({10: 3, 19: 1, 30: 1, 35: 1, 39: 1})


def test_many_distinct_keys_against_a_count_in_python():
    # Thousands of distinct keys make its table grow several times; keys near 2^31.
    generator = random.Random(27)
    top = 2**31 - 1
    rows = [
        [generator.choice([generator.randrange(0, 5000), generator.randrange(top - 3000, top)])]
        * generator.randrange(1, 3)
        + sorted(generator.randrange(0, 20_000) for _ in range(generator.randrange(0, 25)))
        for _ in range(800)
    ]
    ranges = [0, 2000, 4000, 12_000, top - 2000, top]
    result = tally(rows, ranges)
    assert len(result) > 4000
    assert result == expected(rows, ranges)


def test_no_rows_and_no_ranges_give_nothing():
    assert tally([], [0, 100]) == Counter()
    assert tally([[1, 2, 3]], []) == Counter()


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([1, 2, 3], "must come in pairs"),
        ([-5, 10], "never negative"),
        (None, "may not be NULL"),
    ],
)
def test_bad_ranges_are_refused_with_a_clear_error(ranges, message):
    with pytest.raises(DataError, match=message), transaction.atomic():
        tally([[1, 2]], ranges)


def test_keys_holding_null_are_refused():
    with pytest.raises(DataError, match="without NULLs"), transaction.atomic():
        tally([[1, None]], [0, 10])


def shown_rows(rows, ranges, base, shown, whole, always) -> list[tuple]:
    """The rows (facet, value, count, values in facet) archive_key_shown gives, sorted."""
    values = ", ".join("(%s::integer[])" for _ in rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT archive_key_shown(keys, %s, %s, %s, %s, %s) FROM (VALUES {values}) t(keys)",
            [ranges, base, shown, whole, always, *rows],
        )
        found = cursor.fetchone()[0]
    return sorted(tuple(row) for row in found)


def ranked_in_python(rows, ranges, base, shown, whole, always) -> list[tuple]:
    by_facet = {}
    for key, count in expected(rows, ranges).items():
        by_facet.setdefault(key // base, []).append((key % base, count))
    result = []
    for facet, values in by_facet.items():
        ordered = sorted(values, key=lambda pair: (-pair[1], pair[0]))
        for position, (value, count) in enumerate(ordered):
            if shown < 0 or position < shown or facet in whole or facet * base + value in always:
                result.append((facet, value, count, len(values)))
    return sorted(result)


@pytest.mark.parametrize("shown", [-1, 0, 1, 3, 10])
def test_the_rows_shown_are_each_facets_top_values_and_those_always_shown(shown):
    # Many tied counts, a facet shown whole, chosen values counted and one not counted.
    generator = random.Random(shown)
    base = 1000
    rows = [
        sorted(
            facet * base + generator.randrange(0, 12 if facet != 4 else 400)
            for facet in generator.sample(range(1, 7), 4)
        )
        for _ in range(300)
    ]
    ranges = [1 * base, 3 * base, 4 * base, 7 * base]  # facet 3 is not counted
    whole, always = [5], [2 * base + 11, 4 * base + 399, 3 * base + 1, 6 * base + 999]
    found = shown_rows(rows, ranges, base, shown, whole, always)
    assert found == ranked_in_python(rows, ranges, base, shown, whole, always)
    assert {facet for facet, *_ in found} <= {1, 2, 4, 5, 6}
    if shown >= 0:
        assert len([row for row in found if row[0] == 1]) <= shown  # none of it chosen
    assert (6, 999) not in {(facet, value) for facet, value, *_ in found}  # never counted


def test_shown_rows_of_no_rows_are_none():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT archive_key_shown(keys, ARRAY[0, 10], 5, 3, ARRAY[]::integer[], "
            "ARRAY[]::integer[]) FROM (SELECT NULL::integer[] WHERE FALSE) t(keys)"
        )
        assert cursor.fetchone()[0] == []


def test_a_database_without_one_of_its_functions_is_not_taken_for_one_with_them():
    # An older version of the extension, say: the search must keep to plain SQL there.
    signature = key_tally.FUNCTIONS[1]
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER EXTENSION archive_facets DROP AGGREGATE {signature}")
        cursor.execute(f"DROP AGGREGATE {signature}")
    assert not key_tally.is_installed(connection)


@pytest.fixture
def keyed_table():
    """A table of 600 entries' keys: many tied counts in facets of many values and of few."""
    generator = random.Random(2027)
    rows = []
    for _ in range(600):
        keys = {
            Facet.LANGUAGE * FACET_KEY_BASE + generator.randrange(1, 6),
            Facet.SUBJECT * FACET_KEY_BASE + generator.randrange(1, 300),
            Facet.SUBJECT * FACET_KEY_BASE + generator.randrange(1, 40),
            Facet.PLACE * FACET_KEY_BASE + generator.randrange(1, 900),
            Facet.DECADE * FACET_KEY_BASE + generator.randrange(190, 200),
        }
        if generator.random() < 0.3:
            keys.add(Facet.SCAN * FACET_KEY_BASE + 1)
        rows.append(sorted(keys))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE keyed (keys integer[])")
        cursor.executemany("INSERT INTO keyed VALUES (%s)", [[keys] for keys in rows])
    return "keyed"


def shown_both_ways(settings, table, facets, selected, limit) -> tuple[set, set]:
    found = {}
    for way in ("auto", "off"):
        settings.SEARCH_KEY_TALLY = way
        sql, params = shown_key_counts_json(table, "keys", facets, (selected, limit))
        assert ("archive_key_shown" in sql) == (way == "auto")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", params)
            rows = cursor.fetchone()[0] or []  # json_agg of no rows is NULL
        found[way] = {tuple(row) for row in rows}
    return found["auto"], found["off"]


@pytest.mark.parametrize("limit", [None, 1, 10])
@pytest.mark.parametrize(
    "facets",
    [
        [Facet.SUBJECT, Facet.PLACE],  # many values: the SQL tallies before ranking
        [Facet.LANGUAGE, Facet.DECADE, Facet.SCAN],  # closed lists: the SQL ranks them all
        [Facet.LANGUAGE, Facet.SUBJECT, Facet.PLACE, Facet.DECADE, Facet.SCAN],
    ],
    ids=lambda facets: "+".join(facet.name.lower() for facet in facets),
)
def test_the_rows_a_page_shows_are_the_same_ranked_in_c_and_in_sql(
    settings, keyed_table, facets, limit
):
    # Chosen values below every cut (counted once or twice), and one never counted.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k FROM (SELECT unnest(keys) k FROM keyed) u GROUP BY k ORDER BY COUNT(*), k "
            "LIMIT 3"
        )
        rarest = [key for (key,) in cursor.fetchall()]
    selected = {}
    for key in [*rarest, Facet.PLACE * FACET_KEY_BASE + 5000]:
        selected.setdefault(key // FACET_KEY_BASE, set()).add(key % FACET_KEY_BASE)
    in_c, in_sql = shown_both_ways(settings, keyed_table, facets, selected, limit)
    assert in_c == in_sql
    assert {facet for facet, *_ in in_c} == {int(facet) for facet in facets}
    counted_rarest = {
        (key // FACET_KEY_BASE, key % FACET_KEY_BASE)
        for key in rarest
        if key // FACET_KEY_BASE in {int(facet) for facet in facets}
    }
    assert counted_rarest <= {(facet, value) for facet, value, *_ in in_c}


def test_migrate_creates_the_extension_where_the_server_has_it():
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION archive_facets")
    assert not key_tally.is_installed(connection)
    key_tally.install(using=connection.alias)
    assert key_tally.is_installed(connection)
    key_tally.install(using=connection.alias)  # again: nothing to do, no error
    assert key_tally.is_installed(connection)


def shown(result) -> tuple:
    """Everything a search page shows of its counts."""
    return (
        result.total,
        result.estimated,
        sorted(result.estimated_groups),
        [
            (group.param, group.value_count, [(v.value, v.count, v.selected) for v in group.values])
            for group in result.facets
        ],
        [(v.value, v.count, v.selected) for v in result.decades],
        None
        if result.with_scans is None
        else (result.with_scans.count, result.with_scans.selected),
    )


@pytest.mark.parametrize("facet_limit", [10, 1, 0])
@pytest.mark.parametrize("limits", ["exact", "estimated"])
@pytest.mark.parametrize(
    "query",
    [
        "q=satellite",
        "q=cable",
        "q=cable&language=en",
        "language=fr",
        "q=satellite&language=fr&language=en",
        "q=satellite+-cable",
        "date_from=1960&date_to=1969&language=en",
    ],
)
def test_a_search_counts_the_same_through_the_aggregate_and_in_plain_sql(
    request, settings, limits, query, facet_limit
):
    # Within the limit every count is exact; past the small limits some are estimated from
    # samples; both ranked by archive_key_shown, or in SQL. With a page of one value (or
    # none) a chosen language ranks below the page and must still be shown.
    if limits == "estimated":
        request.getfixturevalue("small_limits")
    settings.SEARCH_KEY_TALLY = "auto"
    assert key_tally.in_use(connection)
    english, french = languages()
    place(range(4096 * 30, 4096 * 30 + 40), title="Satellite cable", language=english)
    place(range(4096 * 31, 4096 * 31 + 24), title="Satellite note", language=french)
    place(range(4096 * 32, 4096 * 32 + 6), title="Cable", status="draft", language=french)
    through_aggregate = run_search(QueryDict(query), facet_limit=facet_limit)
    settings.SEARCH_KEY_TALLY = "off"
    in_plain_sql = run_search(QueryDict(query), facet_limit=facet_limit)
    assert through_aggregate.is_valid and through_aggregate.total > 0
    assert through_aggregate.estimated == (limits == "estimated")
    assert shown(through_aggregate) == shown(in_plain_sql)


@pytest.mark.usefixtures("small_limits")
def test_an_estimated_total_alone_comes_back_the_same_ranked_by_the_extension(settings):
    # Every filter on and the total past the limit: the estimate counts no facet, only the
    # total's row, which the extension's path gives with a number of values of its own.
    english, _ = languages()
    place(range(4096 * 30, 4096 * 30 + 40), title="Satellite cable", language=english)
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    settings.SEARCH_KEY_TALLY = "auto"
    assert facet_counting.uses_extension()
    ranked = estimates.estimated_counts(search_filter, [], (), 0, total=True, shown=({}, 10))
    in_c = facet_counting.top_counts(None, {}, 10, set(), ranked=[ranked])
    counted = estimates.estimated_counts(search_filter, [], (), 0, total=True)
    in_sql = facet_counting.top_counts(facet_counting.union_all([counted]), {}, 10, set())
    assert [tuple(row) for row in in_c] == [tuple(row) for row in in_sql]
    assert len(in_c) == 1 and in_c[0][:2] == (facet_counting.SAMPLE_ROW, 0) and in_c[0][2] > 3
