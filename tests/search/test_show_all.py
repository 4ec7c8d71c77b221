"""The "show all" list of a facet: every value, most records first, a page at a time."""

import pytest
from django.core.cache import cache
from django.http import QueryDict

from accessions.models import Subject
from accessions.search.engine import facet_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def subjects(make_record):
    names = ["Berlin", "Arms control", "Cuba", "Détente", "Espionage"]
    made = [Subject.objects.create(name=name) for name in names]
    # Cuba on three records, Berlin on two, the others on one each.
    make_record(subjects=[made[2], made[0], made[1]])
    make_record(subjects=[made[2], made[0], made[3]])
    make_record(subjects=[made[2], made[4]])
    make_record(status="draft", subjects=[made[4], made[4]])
    return made


def _page(params="", **options):
    result = facet_values(QueryDict(params), param="subject", **options)
    return [(value.label, value.count) for value in result.facets[0].values], result


def test_values_come_most_records_first_then_by_name_a_page_at_a_time(subjects):
    first, result = _page(page_size=2)
    assert first == [("Cuba", 3), ("Berlin", 2)]
    assert (result.total, result.num_pages, result.has_next) == (5, 3, True)
    second, _ = _page(page=2, page_size=2)
    assert second == [("Arms control", 1), ("Détente", 1)]
    third, result = _page(page=3, page_size=2)
    assert third == [("Espionage", 1)] and not result.has_next
    # A page past the end shows the last one.
    assert _page(page=99, page_size=2)[0] == third


def test_values_under_other_filters_and_names_within(subjects):
    cuba = subjects[2]
    values, _ = _page(f"subject={cuba.slug}&q=telegram")
    assert values[0] == ("Cuba", 3)
    values, result = _page(within="E")
    assert [label for label, _ in values] == ["Berlin", "Détente", "Espionage"]
    assert result.total == 3


def test_show_all_page_links_to_the_next_page_and_ignores_a_bad_page_number(client, subjects):
    response = client.get("/search/filters/subject/?page=abc")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cuba" in html and "Espionage" in html and 'rel="next"' not in html


def test_show_all_page_runs_a_fixed_number_of_queries(client, subjects, django_assert_num_queries):
    # The counts (kept totals here) and the names of the facet's values.
    with django_assert_num_queries(2):
        client.get("/search/filters/subject/")
    Subject.objects.bulk_create(
        [Subject(name=f"Unused {n}", slug=f"unused-{n}") for n in range(50)]
    )
    # Rendered afresh, not served from the page cache.
    cache.clear()
    with django_assert_num_queries(2):
        client.get("/search/filters/subject/")


def test_each_value_links_to_the_search_with_it_added_and_the_other_filters_kept(client, subjects):
    html = client.get("/search/filters/subject/?q=telegram&subject=cuba&page=1").content.decode()
    assert "<strong>Cuba</strong> (selected)" in html
    berlin = subjects[0]
    assert f'href="/search/?q=telegram&amp;subject=cuba&amp;subject={berlin.slug}"' in html
    html = client.get("/search/filters/subject/").content.decode()
    assert f'href="/search/?subject={berlin.slug}"' in html
