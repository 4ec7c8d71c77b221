"""Searches matching more than EXACT_COUNT_LIMIT records: the total and facet counts are
estimated from a sample, said so on the page and in the API, and still count published
records only."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from accessions.models import Language
from accessions.search import counting
from accessions.search.indexing import update_search_index
from accessions.search.models import Facet, SearchEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(monkeypatch):
    """A limit of three matches, and a sample as large as the archive (every entry)."""
    monkeypatch.setattr(counting, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(counting, "SAMPLE_SIZE", 1000)


@pytest.fixture
def satellites(make_record):
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    published = [
        make_record(title=f"Satellite report {number}", languages=[english]) for number in range(5)
    ]
    for status in ("draft", "in_review", "withdrawn"):
        make_record(status=status, title=f"Satellite {status}", languages=[english])
    return published


def search(client, query):
    return client.get(reverse("accessions:search") + "?" + query)


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
    client, small_limits, satellites
):
    response = search(client, "q=satellite")
    result = response.context["result"]
    # The sample keeps every entry here, so the estimate is the published count exactly.
    assert (result.total, result.estimated) == (5, True)
    html = response.content.decode()
    assert "About <strong>5</strong> documents" in html
    assert "estimated from a sample" in html
    assert "Satellite draft" not in html and "Satellite withdrawn" not in html
    language = next(group for group in result.facets if group.param == "language")
    assert [(value.value, value.count) for value in language.values] == [("en", 5)]
    api = client.get("/api/records/?q=satellite").json()
    assert (api["count"], api["count_is_estimate"]) == (5, True)
    assert {item["title"] for item in api["results"]} == {r.title for r in satellites}


def test_the_estimate_scales_the_sampled_matches_by_the_stride(
    client, monkeypatch, small_limits, satellites
):
    # Five published entries and a sample size of two: every second pk is sampled.
    monkeypatch.setattr(counting, "SAMPLE_SIZE", 2)
    sampled = SearchEntry.objects.filter(pk__in=[r.pk for r in satellites if r.pk % 2 == 0])
    result = search(client, "q=satellite").context["result"]
    assert result.estimated
    assert result.total == max(sampled.count() * 2, counting.EXACT_COUNT_LIMIT + 1)


def test_relevance_past_the_limit_ranks_published_matches_only(client, small_limits, satellites):
    response = search(client, "q=satellite&sort=relevance")
    shown = {hit.record.pk for hit in response.context["result"].hits}
    assert shown == {record.pk for record in satellites}


def test_an_estimated_search_keeps_the_same_number_of_queries(
    client, small_limits, satellites, django_assert_num_queries
):
    # Resolve slugs, capped count, page ids, facet counts with the sample, labels, records,
    # and the first-page thumbnails: the same seven as an exact search (test_search.py),
    # on PostgreSQL with the words' estimate in place of the page ids.
    with django_assert_num_queries(7):
        response = search(client, "q=satellite&language=en")
    assert response.context["result"].estimated


def test_a_page_past_the_estimated_end_is_reported(client, small_limits, satellites):
    response = search(client, "q=satellite&page=9")
    assert response.context["result"].errors == {"page": ["There is no page 9; the last is 1."]}


def test_a_chosen_value_the_sample_misses_stays_ticked(
    client, monkeypatch, small_limits, make_record
):
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    records = [make_record(title=f"Satellite note {number}") for number in range(10)]
    odd = [record for record in records if record.pk % 2]
    for record in odd:
        record.languages.add(french)
    update_search_index(record_pks=[record.pk for record in odd])
    # A sample of every second pk: the French (odd pk) records are never sampled.
    monkeypatch.setattr(counting, "SAMPLE_SIZE", len(records) // 2)
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    # The sample holds no French record: the estimate falls back to what the count saw.
    assert (result.estimated, result.total) == (True, counting.EXACT_COUNT_LIMIT + 1)
    language = next(group for group in result.facets if group.param == "language")
    assert [(value.value, value.selected) for value in language.values] == [("fr", True)]
    assert 'value="fr" checked' in response.content.decode()


def test_an_estimate_under_keywords_and_a_filter_counts_every_second_entry_twice(
    client, monkeypatch, small_limits, make_record
):
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    records = [
        make_record(title=f"Satellite log {number}", languages=[french if number % 3 else english])
        for number in range(12)
    ]
    make_record(status="draft", title="Satellite draft", languages=[english, french])
    # Twelve published entries and a sample size of six: every second pk is sampled, and
    # the keyword and language subqueries must keep the same entries as the entries do.
    monkeypatch.setattr(counting, "SAMPLE_SIZE", 6)
    sampled = [record for record in records if record.pk % 2 == 0]
    in_french = [record for record in sampled if french in record.languages.all()]
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    assert result.estimated
    assert result.total == max(len(in_french) * 2, counting.EXACT_COUNT_LIMIT + 1)
    language = next(group for group in result.facets if group.param == "language")
    # The language counts ignore the language filter: every sampled match, by language.
    assert {value.value: value.count for value in language.values} == {
        "en": (len(sampled) - len(in_french)) * 2,
        "fr": len(in_french) * 2,
    }


def test_a_facet_whose_filter_hides_many_matches_is_estimated_while_the_total_is_exact(
    client, monkeypatch, small_limits, make_record
):
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    records = [
        make_record(title=f"Satellite memo {number}", languages=[french if number < 2 else english])
        for number in range(7)
    ]
    make_record(status="draft", title="Satellite draft", languages=[french])
    # Seven published entries and a sample size of three: every second pk is sampled.
    monkeypatch.setattr(counting, "SAMPLE_SIZE", 3)
    response = search(client, "q=satellite&language=fr")
    result = response.context["result"]
    # Two French matches: counted exactly. The language counts ignore the language filter,
    # which leaves seven matches, past the limit of three: those are estimated.
    assert (result.total, result.estimated) == (2, False)
    assert result.estimated_groups == {"language"}
    sampled = [record for record in records if record.pk % 2 == 0]
    expected = {
        code: 2 * sum(1 for record in sampled if record.languages.filter(code=code).exists())
        for code in ("en", "fr")
    }
    language = next(group for group in result.facets if group.param == "language")
    shown = {value.value: value.count for value in language.values}
    # The chosen value stays listed (and ticked) even when the sample holds none of it.
    assert shown == {code: count for code, count in expected.items() if count or code == "fr"}
    html = response.content.decode()
    assert "Counts estimated from a sample." in html and "About" not in html


def test_a_facet_whose_own_filter_is_the_only_one_reads_the_exact_kept_totals(
    client, monkeypatch, small_limits, make_record
):
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    for number in range(5):
        make_record(title=f"Report {number}", languages=[english])
    make_record(title="Rapport", languages=[french])
    make_record(status="draft", title="Draft report", languages=[english, french])
    monkeypatch.setattr(counting, "SAMPLE_SIZE", 3)
    result = search(client, "language=en").context["result"]
    # Five matches past the limit of three: the search is estimated, but the language counts
    # ignore the only filter and are the kept totals, exact and without the draft.
    assert result.estimated
    assert "language" not in result.estimated_groups
    language = next(group for group in result.facets if group.param == "language")
    assert {value.value: value.count for value in language.values} == {"en": 5, "fr": 1}


def test_past_the_limit_relevance_still_puts_a_title_match_first(client, small_limits, make_record):
    for number in range(4):
        make_record(title=f"Report {number}", summary="A note that mentions a satellite once.")
    titled = make_record(title="Satellite launch", summary="A note about a launch.")
    response = search(client, "q=satellite&sort=relevance")
    result = response.context["result"]
    assert result.estimated
    assert result.hits[0].record.pk == titled.pk
    assert len(result.hits) == 5


@pytest.mark.parametrize(("sample_size", "postgresql", "sqlite"), [(4, 4, 3), (5, 2, 2), (2, 8, 6)])
def test_the_stride_is_a_power_of_two_on_postgresql_and_the_sample_agrees(
    client, monkeypatch, small_limits, make_record, sample_size, postgresql, sqlite
):
    records = [make_record(title=f"Satellite scan {number}") for number in range(12)]
    # Twelve published entries: PostgreSQL rounds 12 / sample_size to the nearest power of
    # two (in proportion), so that its sample is whole slots of the sample-slot index.
    monkeypatch.setattr(counting, "SAMPLE_SIZE", sample_size)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counting.stride_sql()}")
        stride = cursor.fetchone()[0]
    assert stride == (postgresql if connection.vendor == "postgresql" else sqlite)
    result = search(client, "q=satellite").context["result"]
    sampled = [record for record in records if record.pk % stride == 0]
    assert result.estimated
    assert result.total == max(len(sampled) * stride, counting.EXACT_COUNT_LIMIT + 1)


def test_postgresql_reads_the_sample_through_the_slot_index(small_limits, satellites):
    from django.http import QueryDict

    from accessions.search.filters import SearchFilter

    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps the multiples of the stride in each filter's subquery")
    search_filter = SearchFilter(QueryDict("q=satellite"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    sql, params = counting.sampled_counts(search_filter, [([Facet.LANGUAGE], ())])[0]
    with connection.cursor() as cursor:
        # A handful of rows is read fastest by a sequential scan; a million are not.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_entry_sample_slot" in plan
    assert "accessions_searchentry_pkey" not in plan


def test_a_group_the_sample_shows_far_past_the_limit_is_estimated_without_sizing(
    client, monkeypatch, small_limits, make_record
):
    from django.http import QueryDict

    from accessions.models import Subject
    from accessions.search.filters import SearchFilter

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads the sample before sizing the groups")
    english = Language.objects.get_or_create(code="en", defaults={"name": "English"})[0]
    french = Language.objects.get_or_create(code="fr", defaults={"name": "French"})[0]
    trade = Subject.objects.create(name="Trade")
    for number in range(24):
        make_record(
            title=f"Satellite cable {number}",
            languages=[french if number < 2 else english],
            subjects=[] if number < 2 else [trade],
        )
    query = "q=satellite&language=fr&subject=trade"
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    sample = counting.SampleRows.of(search_filter)

    def surely_past(without) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sample AS ({sample.sql}) "
                f"SELECT {counting._surely_past_the_limit(sample, without)}",
                sample.params,
            )
            return cursor.fetchone()[0]

    # The sample is the whole archive here. Leaving the language out, 22 matches have the
    # subject: past four times the limit of 3, from over 20 sampled entries. Leaving the
    # subject out, 2 are in French.
    assert surely_past(("language",))
    assert not surely_past(("subject",))
    monkeypatch.setattr(counting, "SURELY_PAST_HITS", 23)
    assert not surely_past(("language",))
    monkeypatch.setattr(counting, "SURELY_PAST_HITS", 20)
    estimated = search(client, query).context["result"]
    assert (estimated.total, estimated.estimated) == (0, False)
    assert estimated.estimated_groups == {"language"}
    # Sized instead of skipped, the groups come out the same (rendered afresh, not from the
    # page cache).
    monkeypatch.setattr(counting, "SURELY_PAST_HITS", 10**6)
    cache.clear()
    sized = search(client, query).context["result"]
    assert sized.estimated_groups == estimated.estimated_groups
    assert sized.facets == estimated.facets and sized.total == estimated.total
