"""Searches matching more than EXACT_COUNT_LIMIT records: the total and facet counts are
estimated, each from a sample of its own matches, said so on the page and in the API, and
still count published records only.

The limits are made small here. An estimate counts the matches whose pk is a multiple of a
stride and multiplies by it; the stride is the largest power of two up to COARSE_STRIDE
whose threshold (coarse_hits_for) the coarse sample (pks that are multiples of
COARSE_STRIDE) reaches. The total and the facets counted with it aim for SAMPLE_HITS
sampled matches; a facet group whose own filter is on, counted without it, aims for
GROUP_SAMPLE_HITS. With COARSE_STRIDE 4, SAMPLE_HITS 2 and GROUP_SAMPLE_HITS 1 the
thresholds are 6 coarse matches for a stride of 2 and 8 for a stride of 4 (5 and 6 for
such a group), so a few dozen records with chosen pks give every stride, and each expected
count is worked out by hand from the pks. On PostgreSQL the samples are read through the
sample-level keys of the entries, which exist for powers of two up to 1024: the strides
here are powers of two.
"""

import math
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accessions.catalogue.models import Record
from accessions.models import Language, Subject
from accessions.search import count_limits, counting, estimates, facet_counting
from accessions.search.filters import SearchFilter
from accessions.search.indexing import update_search_index
from accessions.search.models import DATE_SAMPLE_INDEX_STRIDES, Facet, SearchEntry

pytestmark = pytest.mark.django_db

# The pk of the first record a test places: a multiple of every stride used here, and far
# above the pks the database hands out to make_record.
BASE = 4096 * 30


@pytest.fixture
def small_limits(monkeypatch):
    """A limit of three matches; a coarse sample of every fourth pk, and thresholds of 6
    coarse matches for a stride of 2 and 8 for a stride of 4; a facet group counted without
    its own filter aims for half the sampled matches, at 5 and 6."""
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(count_limits, "COARSE_STRIDE", 4)
    monkeypatch.setattr(count_limits, "SAMPLE_HITS", 2)
    monkeypatch.setattr(count_limits, "GROUP_SAMPLE_HITS", 1)
    # c - 2·sqrt(c) >= stride · hits / 4, for the fewest c: worked by hand.
    assert [estimates.coarse_hits_for(2), estimates.coarse_hits_for(4)] == [6, 8]
    assert [estimates.coarse_hits_for(2, 1), estimates.coarse_hits_for(4, 1)] == [5, 6]


@pytest.fixture
def whole_sample(small_limits, monkeypatch):
    """A coarse stride of 1: every entry is sampled, so each estimate is the exact count."""
    monkeypatch.setattr(count_limits, "COARSE_STRIDE", 1)


def languages():
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    return english, french


def place(pks, *, title="Satellite cable", status="published", language=None, subject=None):
    """Records with these very pks (bulk-made, then indexed as every write indexes them)."""
    records = []
    for pk in pks:
        record = Record(
            pk=pk,
            record_id=pk,
            title=f"{title} {pk}",
            date_text="1963-11-25",
            summary="A note from the files.",
            status=status,
        )
        record.derive_dates()
        records.append(record)
    Record.objects.bulk_create(records)
    if language is not None:
        Record.languages.through.objects.bulk_create(
            Record.languages.through(record_id=pk, language_id=language.pk) for pk in pks
        )
    if subject is not None:
        Record.subjects.through.objects.bulk_create(
            Record.subjects.through(record_id=pk, subject_id=subject.pk) for pk in pks
        )
    update_search_index(record_pks=pks)


def stride_for(coarse_matches: int, hits: int) -> int:
    """The stride the design asks for: the largest power of two up to COARSE_STRIDE whose
    threshold for `hits` sampled matches the coarse sample's matches reach, else 1."""
    stride = count_limits.COARSE_STRIDE
    while stride > 1 and coarse_matches < estimates.coarse_hits_for(stride, hits):
        stride //= 2
    return stride


def estimate(pks, *, group: bool = False) -> tuple[int, int]:
    """(stride, estimated count) of matches with these pks, worked out from the pks alone:
    sized as the search's total is, or with `group` as a facet group counted without its
    own filter."""
    hits = count_limits.GROUP_SAMPLE_HITS if group else count_limits.SAMPLE_HITS
    stride = stride_for(sum(1 for pk in pks if pk % count_limits.COARSE_STRIDE == 0), hits)
    return stride, stride * sum(1 for pk in pks if pk % stride == 0)


def search(client, query):
    return client.get(reverse("accessions:search") + "?" + query)


def gather_statistics():
    """PostgreSQL's statistics of the entries, as a rebuild leaves them: without any, it
    takes every word for a rare one, and a search for one word with a filter first scans
    the word's matches (count_plan.scan_rare_word), one query more when they are past the limit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")


def group(result, param):
    return next(found for found in result.facets if found.param == param)


def listed(result, param):
    return [(value.value, value.count, value.selected) for value in group(result, param).values]


def counts(result, param):
    return {value.value: value.count for value in group(result, param).values}


@pytest.fixture
def satellites(make_record):
    english, _ = languages()
    published = [
        make_record(title=f"Satellite report {number}", languages=[english]) for number in range(5)
    ]
    for status in ("draft", "in_review", "withdrawn"):
        make_record(status=status, title=f"Satellite {status}", languages=[english])
    return published


def test_matches_up_to_the_limit_are_counted_exactly(client, small_limits, make_record):
    for number in range(3):
        make_record(title=f"Satellite report {number}")
    make_record(status="draft", title="Satellite draft")
    response = search(client, "q=satellite")
    result = response.context["result"]
    assert (result.total, result.estimated) == (3, False)
    assert "About" not in response.content.decode()
    api = client.get("/api/records/?q=satellite").json()
    assert (api["count"], api["count_is_estimate"]) == (3, False)


def test_past_the_limit_the_page_and_api_say_about_and_drafts_stay_out(
    client, whole_sample, satellites
):
    response = search(client, "q=satellite")
    result = response.context["result"]
    # The sample keeps every entry here, so the estimate is the published count exactly.
    assert (result.total, result.estimated) == (5, True)
    html = response.content.decode()
    assert "About <strong>5</strong> documents" in html
    assert "estimated from a sample" in html
    assert "Satellite draft" not in html and "Satellite withdrawn" not in html
    assert "Satellite in_review" not in html
    assert [(value.value, value.count) for value in group(result, "language").values] == [("en", 5)]
    api = client.get("/api/records/?q=satellite").json()
    assert (api["count"], api["count_is_estimate"]) == (5, True)
    assert {item["title"] for item in api["results"]} == {r.title for r in satellites}


@pytest.mark.parametrize(
    ("contiguous", "extra", "stride", "total"),
    [
        # 20 matches, 5 of them multiples of 4: below the threshold of a stride of 2, so
        # every match is sampled and the estimate is the count.
        (20, [], 1, 20),
        # 24 in a row and 3 odd pks: 6 coarse matches give a stride of 2; its sample holds
        # the 12 even pks, 24 estimated where 27 match.
        (24, [41, 43, 45], 2, 24),
        # 32 in a row and 4 more multiples of 4: 12 coarse matches give a stride of 4; its
        # sample holds 12, 48 estimated where 36 match.
        (32, [100, 104, 108, 112], 4, 48),
    ],
)
def test_the_estimate_is_the_sampled_matches_times_a_stride_the_coarse_sample_picks(
    client, small_limits, contiguous, extra, stride, total
):
    english, french = languages()
    pks = [BASE + offset for offset in [*range(contiguous), *extra]]
    # English where pk mod 8 is below 4, French otherwise: a stride of 4 samples both.
    place([pk for pk in pks if pk % 8 < 4], language=english)
    place([pk for pk in pks if pk % 8 >= 4], language=french)
    place([BASE + 200, BASE + 204], status="draft", language=english)
    assert estimate(pks) == (stride, total)
    result = search(client, "q=satellite").context["result"]
    assert (result.estimated, result.total) == (True, total)
    # The language counts come from the same sample as the total (no filter of their own).
    sampled = [pk for pk in pks if pk % stride == 0]
    assert counts(result, "language") == {
        code: stride * count
        for code, count in (
            ("en", sum(1 for pk in sampled if pk % 8 < 4)),
            ("fr", sum(1 for pk in sampled if pk % 8 >= 4)),
        )
        if count
    }
    assert "language" in result.estimated_groups


def test_relevance_past_the_limit_ranks_published_matches_only(client, whole_sample, satellites):
    response = search(client, "q=satellite&sort=relevance")
    shown = {hit.record.pk for hit in response.context["result"].hits}
    assert shown == {record.pk for record in satellites}


def test_an_estimated_search_keeps_the_same_number_of_queries(
    client, small_limits, django_assert_num_queries
):
    english, french = languages()
    # Resolve slugs, capped count, page ids, facet counts with the samples, labels, records,
    # and the first-page thumbnails: the same seven as an exact search (test_search.py). On
    # PostgreSQL the page ranked with the capped count is dropped past the limit (it ranks
    # the first matches only) and relevance.page_by_tiers reads it apart, and the language
    # group, counted under the words alone, asks how common the words are: eight.
    queries = 7 if connection.vendor == "sqlite" else 8
    place([BASE + offset for offset in range(40)], language=english)
    gather_statistics()
    with django_assert_num_queries(queries):
        response = search(client, "q=satellite&language=en")
    assert response.context["result"].estimated
    # Ten times the matches, with larger strides: the same number.
    place([BASE + offset for offset in range(40, 320)], language=english)
    place([BASE + offset for offset in range(320, 400)], language=french)
    gather_statistics()
    with django_assert_num_queries(queries):
        response = search(client, "q=satellite&language=en")
    result = response.context["result"]
    assert result.estimated and result.estimated_groups >= {"language"}


def test_a_page_past_the_estimated_end_is_reported(client, whole_sample, satellites):
    response = search(client, "q=satellite&page=9")
    assert response.context["result"].errors == {"page": ["There is no page 9; the last is 1."]}


def test_a_chosen_value_the_sample_misses_stays_ticked_and_each_count_has_its_own_sample(
    client, small_limits
):
    english, french = languages()
    english_pks = [BASE + offset for offset in range(40)]
    french_pks = [BASE + offset for offset in range(41, 80, 2)]  # 20 odd pks
    place(english_pks, language=english)
    place(french_pks, language=french)
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    # The 20 French matches are past the limit of 3. None is a multiple of 4: their coarse
    # sample is empty, the stride 1, and the estimate is their count.
    assert estimate(french_pks) == (1, 20)
    assert (result.estimated, result.total) == (True, 20)
    # The language counts ignore the language filter: the 60 matches of the words alone,
    # 10 of them in the coarse sample (all English), a stride of 4 (as for the total), which
    # samples no French record. French stays listed, at 0, and ticked, or the next submit
    # would drop it.
    assert estimate(english_pks + french_pks, group=True) == (4, 40)
    assert "language" in result.estimated_groups
    assert listed(result, "language") == [
        ("en", 40, False),
        ("fr", 0, True),
    ]
    assert 'value="fr" checked' in response.content.decode()


def test_an_estimate_under_keywords_and_a_filter_samples_what_both_keep(client, small_limits):
    english, french = languages()
    # 27 French matches: 24 in a row and three odd pks; 16 English matches after them; a
    # French record without the word on a sampled pk; a French draft with it.
    french_pks = [BASE + offset for offset in [*range(24), 41, 43, 45]]
    english_pks = [BASE + offset for offset in range(24, 40)]
    place(french_pks, language=french)
    place(english_pks, language=english)
    place([BASE + 48], title="Trade cable", language=french)
    place([BASE + 52], status="draft", language=french)
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    # The French matches' coarse sample holds 6: a stride of 2, whose sample holds the 12
    # even pks of the 24 in a row. The word and the language filter must both keep the same
    # multiples of the stride, or the sample holds more (or none).
    assert estimate(french_pks) == (2, 24)
    assert (result.estimated, result.total) == (True, 24)
    # The language counts ignore the language filter: 43 matches, 10 of them multiples of
    # 4 (6 French, 4 English), a stride of 4 of their own.
    assert estimate(french_pks + english_pks, group=True) == (4, 40)
    assert counts(result, "language") == {"fr": 24, "en": 16}


def test_a_facet_whose_filter_hides_many_matches_is_estimated_while_the_total_is_exact(
    client, small_limits
):
    english, french = languages()
    english_pks = [BASE + offset for offset in range(34)]
    place(english_pks, language=english)
    place([BASE + 35, BASE + 37], language=french)
    place([BASE + 40], status="draft", language=french)
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    # Two French matches: counted exactly. The language counts ignore the language filter,
    # which leaves 36 matches, past the limit of three: those are estimated, from their
    # coarse sample of 9 (all English), a stride of 4: 9 sampled English records, 36.
    assert (result.total, result.estimated) == (2, False)
    assert result.estimated_groups == {"language"}
    assert estimate([*english_pks, BASE + 35, BASE + 37], group=True) == (4, 36)
    # The chosen value stays listed (and ticked) even when the sample holds none of it.
    assert listed(result, "language") == [
        ("en", 36, False),
        ("fr", 0, True),
    ]
    html = response.content.decode()
    assert "Counts estimated from a sample." in html and "About" not in html


def test_a_group_counted_without_its_own_filter_aims_for_fewer_sampled_matches(
    client, small_limits
):
    english, french = languages()
    # 31 English matches: 28 in a row (7 of them multiples of 4) and three more that are
    # even but not multiples of 4; 5 French ones on odd pks.
    english_pks = [BASE + offset for offset in [*range(28), 50, 54, 58]]
    french_pks = [BASE + offset for offset in range(29, 39, 2)]
    place(english_pks, language=english)
    place(french_pks, language=french)
    # The words alone: 7 coarse matches, a stride of 2 for the total (6 <= 7 < 8), whose
    # sample holds the 17 even English pks.
    assert estimate(english_pks + french_pks) == (2, 34)
    alone = search(client, "q=satellite").context["result"]
    assert (alone.estimated, alone.total) == (True, 34)
    assert counts(alone, "language") == {"en": 34}
    # The same 36 matches as the language group of a search filtered by language: counted
    # without that filter, they aim for GROUP_SAMPLE_HITS, and 7 coarse matches give a
    # stride of 4 (at least 6), whose sample holds the 7 multiples of 4.
    assert estimate(english_pks + french_pks, group=True) == (4, 28)
    filtered = search(client, "q=satellite&language=fr").context["result"]
    # The 5 French matches, past the limit of 3, have no coarse match: every one is sampled.
    assert estimate(french_pks) == (1, 5)
    assert (filtered.estimated, filtered.total) == (True, 5)
    assert "language" in filtered.estimated_groups
    assert listed(filtered, "language") == [("en", 28, False), ("fr", 0, True)]


def test_postgresql_estimates_a_total_its_coarse_sample_shows_past_the_limit_uncounted(
    client, monkeypatch, small_limits
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads the coarse sample before counting")
    english, _ = languages()
    # Three matches, within the limit of three, all on multiples of 4: the coarse sample
    # holds all three.
    place([BASE, BASE + 4, BASE + 8], language=english)
    counted = search(client, "q=satellite").context["result"]
    assert (counted.total, counted.estimated) == (3, False)
    # With SURELY_PAST_HITS at 3 the coarse sample says "far past the limit": the count is
    # skipped and the total estimated (3 coarse matches: a stride of 1, all three sampled),
    # then shown no lower than one past the limit, as every estimated total is.
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 3)
    cache.clear()
    skipped = search(client, "q=satellite").context["result"]
    assert estimate([BASE, BASE + 4, BASE + 8]) == (1, 3)
    assert (skipped.total, skipped.estimated) == (4, True)
    assert len(skipped.hits) == 3
    # At 4 it is counted again.
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 4)
    cache.clear()
    assert search(client, "q=satellite").context["result"].estimated is False


def test_a_facet_whose_own_filter_is_the_only_one_reads_the_exact_kept_totals(client, small_limits):
    english, french = languages()
    english_pks = [BASE + offset for offset in range(34)]
    place(english_pks, language=english)
    place([BASE + 35], language=french)
    place([BASE + 36], status="draft", language=english)
    result = search(client, "language=en").context["result"]
    # One value alone: its kept total is the count, 34, past the limit of three.
    assert (result.total, result.estimated) == (34, True)
    # The language counts ignore the only filter: the kept totals, exact, without the draft.
    assert "language" not in result.estimated_groups
    assert counts(result, "language") == {"en": 34, "fr": 1}
    # The other groups are estimated from the sample of the English records: 9 coarse
    # matches, a stride of 4, 9 sampled, all in the 1960s.
    assert estimate(english_pks) == (4, 36)
    assert "decade" in result.estimated_groups
    assert [(decade.value, decade.count) for decade in result.decades] == [("1960", 36)]


def test_past_the_limit_relevance_still_puts_a_title_match_first(client, small_limits, make_record):
    for number in range(4):
        make_record(title=f"Report {number}", summary="A note that mentions a satellite once.")
    titled = make_record(title="Satellite launch", summary="A note about a launch.")
    response = search(client, "q=satellite&sort=relevance")
    result = response.context["result"]
    assert result.estimated
    assert result.hits[0].record.pk == titled.pk
    assert len(result.hits) == 5


def test_past_the_limit_the_title_tier_keeps_out_a_title_match_whose_text_has_an_excluded_word(
    client, small_limits, make_record
):
    # The title tier is found from the titles alone when no word is excluded (a title's
    # words are in its text); an excluded word must still be looked for in the whole text.
    for number in range(4):
        make_record(title=f"Report {number}", summary="A note that mentions a satellite once.")
    launch = make_record(title="Satellite launch", summary="A note about a launch.")
    moon = make_record(title="Satellite photographs", summary="Pictures of the moon.")
    older = make_record(
        title="Satellite tracking", summary="Tracking stations.", date_text="1958-02-01"
    )
    every = search(client, "q=satellite&sort=relevance").context["result"]
    assert every.estimated
    # Both title matches first, the oldest first; then the other matches.
    assert [hit.record.pk for hit in every.hits[:3]] == [older.pk, launch.pk, moon.pk]
    assert len(every.hits) == 7
    result = search(client, "q=satellite -moon&sort=relevance").context["result"]
    assert result.estimated
    shown = [hit.record.pk for hit in result.hits]
    assert moon.pk not in shown
    assert shown[:2] == [older.pk, launch.pk] and len(shown) == 6


def test_the_coarse_thresholds_give_a_lower_bound_that_expects_enough_sampled_matches():
    # At the real settings: a stride of s needs c coarse matches such that the lower bound
    # (c - 2·sqrt(c)) · COARSE_STRIDE of the count still expects SAMPLE_HITS sampled
    # matches, s · SAMPLE_HITS of them; and c is the fewest that do.
    assert (count_limits.COARSE_STRIDE, count_limits.SAMPLE_HITS) == (1024, 2000)
    stride = 2
    while stride <= count_limits.COARSE_STRIDE:
        hits = estimates.coarse_hits_for(stride)
        assert (hits - 2 * math.sqrt(hits)) * 1024 >= stride * 2000
        assert (hits - 1 - 2 * math.sqrt(hits - 1)) * 1024 < stride * 2000
        stride *= 2
    # Worked by hand: 11 - 2·sqrt(11) = 4.37 >= 2 · 2000 / 1024 = 3.91 > 10 - 2·sqrt(10);
    # for 1024, c - 2·sqrt(c) >= 2000 from c = (1 + sqrt(2001))² = 2091.5 on.
    assert estimates.coarse_hits_for(2) == 11
    assert estimates.coarse_hits_for(1024) == 2092


def test_an_estimate_keeps_three_significant_figures():
    assert [estimates.rounded(n) for n in (999, 10_001, 10_632, 123_456, 987_654)] == [
        999,
        10_000,
        10_600,
        123_000,
        988_000,
    ]


def test_postgresql_reads_the_sample_through_the_sample_level_keys(small_limits):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps the multiples of the stride in each filter's subquery")
    english, _ = languages()
    place([BASE + offset for offset in range(40)], language=english)
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    sql, params = estimates.estimated_counts(search_filter, [Facet.LANGUAGE], (), 0, total=True)
    with connection.cursor() as cursor:
        # A handful of rows is read fastest by a sequential scan; a million are not.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The titles' index holds the keys too (migration 0027): at a handful of rows, the
        # level's key read there and the words tested on the rows cost the planner the same
        # as both read in the full index; at a million, a word's list in the full index is
        # far more selective. The titles' index goes until the test's transaction rolls back.
        cursor.execute("DROP INDEX search_entry_title_words_keys")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Both the coarse sample and the sample itself test the words and the level's key in
    # the one GIN index they share, not the pks.
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert len(conditions) >= 2
    assert all("@@" in line and "&&" in line for line in conditions)
    assert plan.count("search_entry_words_keys") >= 2
    assert "search_entry_sample_slot" not in plan
    assert "accessions_searchentry_pkey" not in plan
    # And they read the right entries: 10 coarse matches, a stride of 4, 10 sampled.
    assert estimate([BASE + offset for offset in range(40)]) == (4, 40)
    assert sorted(rows) == [(facet_counting.SAMPLE_ROW, 0, 40), (Facet.LANGUAGE, english.pk, 40)]


def test_a_group_the_coarse_sample_shows_far_past_the_limit_is_estimated_without_sizing(
    client, monkeypatch, small_limits
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads the coarse sample before sizing the groups")
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    # 22 English matches on trade (6 of them multiples of 4), 2 French ones on odd pks.
    place([BASE + offset for offset in range(22)], language=english, subject=trade)
    place([BASE + 23, BASE + 25], language=french)
    query = "q=satellite&language=fr&subject=trade"
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()

    def surely_past(without) -> bool:
        sql, params = counting._coarse_count_sql(estimates.coarse_sample(search_filter, without))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0] >= count_limits.SURELY_PAST_HITS

    # Leaving the language out, the coarse sample holds 6 matches (of 22); leaving the
    # subject out, none (the two French pks are odd).
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 6)
    assert surely_past(("language",))
    assert not surely_past(("subject",))
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 7)
    assert not surely_past(("language",))
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 6)
    estimated = search(client, query).context["result"]
    assert (estimated.total, estimated.estimated) == (0, False)
    assert estimated.estimated_groups == {"language"}
    # 22 matches, 6 coarse ones: a stride of 4 for a group, 6 sampled English records.
    assert estimate([BASE + offset for offset in range(22)], group=True) == (4, 24)
    assert counts(estimated, "language") == {"en": 24, "fr": 0}
    # Sized instead of skipped, the groups come out the same (rendered afresh, not from the
    # page cache).
    monkeypatch.setattr(count_limits, "SURELY_PAST_HITS", 10**6)
    cache.clear()
    sized = search(client, query).context["result"]
    assert sized.estimated_groups == estimated.estimated_groups
    assert sized.facets == estimated.facets and sized.total == estimated.total


def test_the_stride_from_a_known_coarse_sample_is_the_one_the_database_picks():
    # The estimates take the stride from the coarse sample the count already read
    # (stride_for, in Python) or pick it in SQL (_stride_case): both must agree, at the
    # real settings, on every size of coarse sample around each threshold.
    sizes = sorted(
        {0, 1, 2, 5000}
        | {
            estimates.coarse_hits_for(stride, hits) + step
            for hits in (count_limits.SAMPLE_HITS, count_limits.GROUP_SAMPLE_HITS)
            for stride in (2, 4, 64, 1024)
            for step in (-1, 0, 1)
        }
    )
    for hits in (count_limits.SAMPLE_HITS, count_limits.GROUP_SAMPLE_HITS):
        rows = ", ".join(["(%s)"] * len(sizes))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sizes(c) AS (VALUES {rows}) "
                f"SELECT c, {estimates._stride_case(hits)} FROM sizes",
                sizes,
            )
            in_sql = dict(cursor.fetchall())
        assert {size: estimates.stride_for(size, hits) for size in sizes} == in_sql
        assert {size: stride_for(size, hits) for size in sizes} == in_sql
    # The same from the finer sample (fine_may_widen), around its own thresholds.
    fine = count_limits.FINE_STRIDE
    sizes = sorted(
        {0, 1, 40000}
        | {
            estimates.coarse_hits_for(stride, sampled_stride=fine) + step
            for stride in (2, 16, 64, 256)
            for step in (-1, 0, 1)
        }
    )
    rows = ", ".join(["(%s)"] * len(sizes))
    case = estimates._stride_case(count_limits.SAMPLE_HITS, sampled_stride=fine)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH sizes(c) AS (VALUES {rows}) SELECT c, {case} FROM sizes", sizes)
        in_sql = dict(cursor.fetchall())
    assert {size: estimates.stride_for(size, sampled_stride=fine) for size in sizes} == in_sql


def test_a_group_counted_under_one_facet_value_alone_is_sized_by_its_kept_total(
    client, small_limits
):
    english, french = languages()
    # 12 English records of 1963 and 2 French ones.
    english_pks = [BASE + offset for offset in range(12)]
    place(english_pks, language=english)
    place([BASE + 13, BASE + 15], language=french)
    query = "language=en&date_from=1963&date_to=1963"
    with CaptureQueriesContext(connection) as queries:
        result = search(client, query).context["result"]
    # Twelve matches, past the limit of three: estimated (3 coarse matches, a stride of 1).
    assert (result.total, result.estimated) == (12, True)
    # The decade counts ignore the dates, which leaves English alone: its kept total (12)
    # is past the limit, so they are estimated without counting English's records up to it.
    assert "decade" in result.estimated_groups
    assert [(d.value, d.count) for d in result.decades] == [("1960", 12)]
    # The language group, counted under the dates alone, is the one group sized (sized_0).
    statements = " ".join(query["sql"] for query in queries.captured_queries)
    assert "sized_0_on" in statements and "sized_1" not in statements


def test_a_count_its_coarse_sample_leaves_in_doubt_is_settled_by_a_finer_sample(
    client, monkeypatch, small_limits
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads the samples before sizing the groups")
    english, french = languages()
    trade = Subject.objects.create(name="Trade")
    # 22 English matches on trade, 2 French ones on odd pks.
    english_pks = [BASE + offset for offset in range(22)]
    place(english_pks, language=english, subject=trade)
    place([BASE + 23, BASE + 25], language=french)
    query = "q=satellite&language=fr&subject=trade"
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()

    def coarse(without, stride=None):
        return estimates.coarse_sample(search_filter, without, stride)

    def surely_past(without) -> bool:
        condition, ctes, params = counting._surely_past("t", coarse, without)
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {condition}", params)
            return cursor.fetchone()[0]

    # A finer sample of every second entry: at a limit of 3 it expects 1.5 matches, and
    # 1.5 + 4·sqrt(1.5) = 6.4, so 7 put a count past the limit beyond doubt.
    monkeypatch.setattr(count_limits, "FINE_STRIDE", 2)
    assert count_limits.fine_surely_hits() == 7
    # Leaving the language out: 6 coarse matches, short of SURELY_PAST_HITS (25) but from
    # FINE_FROM (5) on, so the finer sample decides: its 11 even pks are past 7.
    assert surely_past(("language",))
    # Below FINE_FROM coarse matches the finer sample is not asked, and the count is made.
    monkeypatch.setattr(count_limits, "FINE_FROM", 7)
    assert not surely_past(("language",))
    # Leaving the subject out: no coarse match at all (the French pks are odd).
    monkeypatch.setattr(count_limits, "FINE_FROM", 5)
    assert not surely_past(("subject",))
    # A limit of 20 expects 10 in the finer sample, and 11 are no longer beyond doubt.
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 20)
    assert count_limits.fine_surely_hits() == 23
    assert not surely_past(("language",))
    monkeypatch.setattr(count_limits, "EXACT_COUNT_LIMIT", 3)
    # The search comes out as when the group is counted: estimated from its own sample.
    result = search(client, query).context["result"]
    assert (result.total, result.estimated) == (0, False)
    assert result.estimated_groups == {"language"}
    assert estimate(english_pks, group=True) == (4, 24)
    assert counts(result, "language") == {"en": 24, "fr": 0}


def indexes_read(plan: list[str]) -> set[str]:
    """The indexes an EXPLAIN ANALYZE plan read: "Index [Only] Scan [Backward] using
    <index> on <table>", "Bitmap Index Scan on <index>"; nodes never executed aside."""
    read = set()
    for line in plan:
        if "never executed" in line or "Scan" not in line:
            continue
        if " using " in line:
            read.add(line.split(" using ", 1)[1].split()[0])
        elif "Bitmap Index Scan on " in line:
            read.add(line.split(" on ", 1)[1].split()[0])
    return read


@pytest.mark.parametrize("computed", [False, True], ids=["stride-given", "stride-computed"])
@pytest.mark.parametrize(
    ("stride", "index"),
    [
        (1024, "search_entry_sample_1024"),
        (512, "search_entry_sample_128"),
        (128, "search_entry_sample_128"),
        (64, "search_entry_sample_16"),
        (32, "search_entry_sample_16"),
        (16, "search_entry_sample_16"),
        (8, "search_entry_sample_8"),
        (4, "search_entry_words_keys"),
    ],
)
def test_postgresql_reads_a_sample_through_the_index_of_its_stride(stride, index, computed):
    """A sample can be read through the partial index of its stride, whether its stride is
    given or computed in SQL (from a coarse sample, as the estimates do): then the sample is
    one branch per index, and only the branch of its stride runs."""
    if connection.vendor != "postgresql":
        pytest.skip("the samples' own indexes are PostgreSQL's")
    english, french = languages()
    # Pks from BASE (a multiple of 4096) on: every stride takes a known share of them.
    english_pks = [BASE + offset for offset in range(0, 4096, 4)]
    place(english_pks, language=english)
    place([BASE + 4096 + offset for offset in range(0, 2048, 8)], language=french)
    search_filter = SearchFilter(
        QueryDict("q=satellite&language=en"), queryset=SearchEntry.objects.all()
    )
    assert search_filter.is_valid()
    sql, params = search_filter.sampled_sql_without(
        stride_sql=f"(SELECT {stride})" if computed else str(stride), column="record", alias="pk"
    )
    with connection.cursor() as cursor:
        # The titles' index holds the keys too (migration 0027), and so may serve the level's
        # key alone at this scale: a toss-up too, and not a sample's index; it goes as well.
        cursor.execute("DROP INDEX search_entry_title_words_keys")
        # The samples' B-trees of dates (migration 0029) hold no words: at this scale a full
        # read of one, testing each row, is a toss-up too; a sample of dates alone reads them
        # (test_a_sample_of_dates_alone_is_read_in_a_b_tree_of_dates).
        for dated in DATE_SAMPLE_INDEX_STRIDES:
            cursor.execute(f"DROP INDEX search_entry_sample_dates_{dated}")
        if index != "search_entry_words_keys":
            # Between indexes of a few pages the planner's choice is a toss-up that earlier
            # tests' statistics decide (at a million entries a partial index is an 8th to
            # a 1,024th of the full one). What is tested is that the sample's conditions let
            # the planner read its stride's own index, and no other partial one: with the
            # full index gone (until the test's transaction rolls back), that is the only
            # index it can read.
            cursor.execute("DROP INDEX search_entry_words_keys")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute(sql, params)
        sampled = sorted(pk for (pk,) in cursor.fetchall())
    assert indexes_read(plan) == {index}
    # The words and keys are read as the index's conditions, not tested row by row.
    assert [line for line in plan if "Index Cond" in line]
    # And exactly the English matches whose pk is a multiple of the stride.
    assert sampled == [pk for pk in english_pks if pk % stride == 0]


@pytest.mark.parametrize(
    ("stride", "index"),
    [
        (1024, "search_entry_sample_dates_128"),
        (128, "search_entry_sample_dates_128"),
        (64, "search_entry_sample_dates_16"),
        (16, "search_entry_sample_dates_16"),
        (8, None),
    ],
)
def test_a_sample_of_dates_alone_is_read_in_a_b_tree_of_dates(stride, index):
    """A sample whose only filters are dates is read in a sample's B-tree of dates, which
    holds the keys: an index-only scan from the dates asked for (migration 0029). Strides
    no such index holds read the GIN index of the sample's key. Either way the sample is
    the entries in those dates whose pk is a multiple of the stride."""
    if connection.vendor != "postgresql":
        pytest.skip("the samples' own indexes are PostgreSQL's")
    english, _ = languages()
    pks = [BASE + offset for offset in range(0, 4096, 4)]
    place(pks, language=english)
    # Dated a day apart from 1 January 1960: a quarter of them within 1961. The first pk, a
    # multiple of every stride, spans 1945-1961: the longest range of all, it is in 1961
    # though it began long before (the bound on the start dates must keep it).
    start = date(1960, 1, 1)
    ranges = {
        pk: (start + timedelta(days=number), start + timedelta(days=number))
        for number, pk in enumerate(pks)
    }
    ranges[pks[0]] = (date(1945, 1, 1), date(1961, 3, 1))
    for pk, (first, last) in ranges.items():
        SearchEntry.objects.filter(pk=pk).update(date_start=first, date_end=last)
    search_filter = SearchFilter(
        QueryDict("date_from=1961&date_to=1961"), queryset=SearchEntry.objects.all()
    )
    assert search_filter.is_valid()
    sql, params = search_filter.sampled_sql_without(
        stride_sql=str(stride), column="keys", alias="entry_keys"
    )
    counted_sql, counted_params = search_filter.sampled_sql_without(
        stride_sql=str(stride), column="record", alias="pk"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute(counted_sql, counted_params)
        sampled = sorted(pk for (pk,) in cursor.fetchall())
    read = indexes_read(plan)
    if index:
        # The date index, and no GIN index: the sample states no condition one could serve,
        # and reads the index from the dates asked for less the longest range. (Its rows
        # just written, this test's plan reads them for a bitmap or checks their visibility;
        # at a million entries, vacuumed, it is an index-only scan.)
        # (The longest range comes from its own index, migration 0026.)
        assert read - {"search_entry_span"} == {index}
        assert "keys &&" not in sql
        bounds = [line for line in plan if "Index Cond" in line or "Recheck Cond" in line]
        assert any("date_start >=" in line for line in bounds), plan
    else:
        assert not any("sample_dates" in line for line in plan)
    in_1961 = sorted(pk for pk, (first, last) in ranges.items() if first.year <= 1961 <= last.year)
    assert pks[0] in in_1961
    assert sampled == [pk for pk in in_1961 if pk % stride == 0]


def test_a_count_both_samples_leave_in_doubt_is_settled_by_the_finest(monkeypatch, small_limits):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads the samples before sizing the groups")
    english, _ = languages()
    # 11 matches: 5 multiples of 4 (the coarse sample), no other even pk, 6 odd ones.
    place([BASE + offset for offset in [0, 4, 8, 12, 16, 1, 3, 5, 7, 9, 11]], language=english)
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()

    def coarse(without, stride=None):
        return estimates.coarse_sample(search_filter, without, stride)

    def asked(sql: str):
        condition, ctes, params = counting._surely_past("main", coarse, ())
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {sql or condition}", params)
            return cursor.fetchone()[0]

    # Every second entry is the finer sample: at a limit of 3 it expects 1.5 (at least 2),
    # and 7 would be beyond doubt; its 5 matches are not, but reach what the limit leaves.
    monkeypatch.setattr(count_limits, "FINE_STRIDE", 2)
    assert (count_limits.at_the_limit(2), count_limits.fine_surely_hits()) == (2, 7)
    # The finest, every entry: 3 + 4·sqrt(3) = 9.9, so its 11 matches are past the limit.
    monkeypatch.setattr(count_limits, "FINEST_STRIDE", 1)
    assert count_limits.surely_hits(1) == 10
    assert asked("") is True
    assert asked(counting._finer_sample("main")) == [1, 11]
    # Without a finest sample the count stays in doubt, and is made.
    monkeypatch.setattr(count_limits, "FINEST_STRIDE", 2)
    assert asked("") is False
    assert asked(counting._finer_sample("main")) == [2, 5]


def test_an_estimate_takes_its_stride_from_the_finer_sample_when_that_bounds_it_closer(
    small_limits,
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL hands the samples' sizes to the estimates")
    english, _ = languages()
    # 20 matches: 10 multiples of 4 and 10 odd pks, so that a sample of stride 4 and one of
    # stride 2 give different estimates (40 and 20).
    place([BASE + 4 * n for n in range(10)] + [BASE + 2 * n + 1 for n in range(10)])
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()

    def total(**sizes) -> int:
        sql, params = estimates.estimated_counts(search_filter, [], (), 0, total=True, **sizes)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[2]

    # 6 coarse matches give a stride of 2 (the thresholds are 6 and 8)...
    assert estimates.stride_for(6) == 2
    assert total(coarse_hits=6) == 20
    # ...but 20 matches of every entry bound the count at 20 - 2·sqrt(20) = 11, which
    # expects SAMPLE_HITS (2) at a stride of 4: the larger stride is taken.
    assert estimates.stride_for(20, sampled_stride=1) == 4
    assert total(coarse_hits=6, finer=(1, 20)) == 40
    # A finer sample that bounds the count less closely changes nothing.
    assert total(coarse_hits=6, finer=(1, 9)) == 20


@pytest.mark.parametrize(
    "fours, coarse_hits, share, expected",
    [
        # 6 coarse matches give a stride of 2, but 6 + 2·sqrt(6) would give 4 (the thresholds
        # are 6 and 8): the finer sample of every second pk is read. Its 12 matches bound
        # the count at 12 - 2·sqrt(12) = 5 times 2, which expects SAMPLE_HITS (2) at a
        # stride of 4: the estimate is the 12 multiples of 4 times 4.
        (12, 6, 1, 48),
        # 10 finer matches bound it at 3.7 times 2, too few for a stride of 4: it stays 2,
        # and the estimate is the 10 even pks times 2.
        (10, 6, 1, 20),
        # 2 coarse matches give a stride of 1, and so would 2 + 2·sqrt(2): no finer sample;
        # every match is counted (the odd ones too).
        (12, 2, 1, 22),
        # A finer sample that holds more than a FINE_SAMPLE_SHARE-th of the entries of the
        # sample it may halve is not read: the stride stays 2.
        (12, 6, 4, 24),
    ],
)
def test_an_estimate_between_two_strides_lets_the_finer_sample_choose(
    monkeypatch, small_limits, fours, coarse_hits, share, expected
):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL hands the samples' sizes to the estimates")
    monkeypatch.setattr(count_limits, "FINE_STRIDE", 2)
    monkeypatch.setattr(count_limits, "FINE_SAMPLE_SHARE", share)
    # Multiples of 4 (in every sample) and 10 odd pks (only in the whole).
    place([BASE + 4 * n for n in range(fours)] + [BASE + 2 * n + 1 for n in range(10)])
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    sql, params = estimates.estimated_counts(
        search_filter, [], (), 0, total=True, coarse_hits=coarse_hits
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone()[2] == expected
