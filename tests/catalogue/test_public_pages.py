"""The public surfaces: record page for each status, home, collections, and no leaks."""

import pytest
from django.urls import reverse

from accessions.models import Collection, Donor, Subject
from tests.conftest import RECORD_PAGE_QUERIES

pytestmark = pytest.mark.django_db


def test_published_record_page_shows_every_element_of_the_seed_page(client, make_record, funder):
    record = make_record(status="published", donors=[funder])
    record.subjects.add(Subject.objects.create(name="Soviet Union--Foreign relations"))
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for expected in [
        "November 25, 1963",
        "A telegram about arms control",
        "This document was made possible with support from",
        "Example Foundation",
        "<p>First paragraph.</p>",
        "A summary of the telegram.",
        "Document Information",
        "Source",
        "Rights",
        "Original Uploaded Date",
        "Language",
        "Record ID",
        "Donors",
        f"<dd>{record.record_id}</dd>",
        'href="mailto:rights@example.org"',
        "Translated by A. Translator",
        'href="/search/?subject=soviet-union-foreign-relations"',
    ]:
        assert expected in html, expected


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_record_is_not_found(client, make_record, status):
    record = make_record(status=status, title="Secret draft title")
    response = client.get(record.get_absolute_url())
    assert response.status_code == 404
    assert b"Secret draft title" not in response.content


def test_withdrawn_record_is_gone_without_its_content(client, make_record):
    record = make_record(status="withdrawn", title="Withdrawn title", summary="Gone summary")
    response = client.get(record.get_absolute_url())
    assert response.status_code == 410
    html = response.content.decode()
    assert "withdrawn" in html
    assert "Withdrawn title" not in html and "Gone summary" not in html


def test_unknown_record_id_is_not_found(client):
    assert client.get("/document/999999/").status_code == 404


def test_staff_text_is_escaped_not_rendered_as_html(client, make_record):
    record = make_record(status="published", summary="<script>alert(1)</script>")
    html = client.get(record.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_record_page_query_count_does_not_grow_with_taxonomies(
    client, make_record, django_assert_num_queries
):
    small = make_record(status="published")
    large = make_record(status="published", title="Big")
    for number in range(15):
        large.subjects.add(Subject.objects.create(name=f"Subject {number}"))
        large.donors.add(Donor.objects.create(name=f"Funder {number}", is_funder=True))
    # One more than before scans: the scan pages, all in one query (see test_scan_views).
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        client.get(small.get_absolute_url())
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        response = client.get(large.get_absolute_url())
    assert b"Subject 14" in response.content


def test_donor_contact_details_never_appear_publicly(client, make_record, funder):
    collection = Collection.objects.create(name="Arms control")
    record = make_record(status="published", donors=[funder], collections=[collection])
    urls = [
        record.get_absolute_url(),
        "/",
        "/collections/",
        collection.get_absolute_url(),
        f"/search/?donor={funder.slug}",
        "/search/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (funder.email, funder.phone, funder.address):
            assert secret not in html, (url, secret)


def test_home_collections_and_search_list_published_records_only(client, make_record):
    collection = Collection.objects.create(name="Cold War", description="Telegrams")
    hidden = Collection.objects.create(name="Only drafts here")
    make_record(status="published", title="Visible telegram", collections=[collection])
    for status in ("draft", "in_review", "withdrawn"):
        make_record(
            status=status, title=f"Hidden {status} telegram", collections=[collection, hidden]
        )
    for url in [
        "/",
        "/collections/",
        collection.get_absolute_url(),
        "/search/",
        "/search/?q=telegram",
    ]:
        html = client.get(url).content.decode()
        assert "Hidden" not in html, url
    assert "Visible telegram" in client.get("/").content.decode()
    assert "Only drafts here" not in client.get("/collections/").content.decode()
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_sub_collection_makes_its_parent_visible(client, make_record):
    parent = Collection.objects.create(name="Cold War")
    child = Collection.objects.create(name="Berlin", parent=parent)
    make_record(status="published", collections=[child])
    assert client.get(parent.get_absolute_url()).status_code == 200
    assert "Berlin" in client.get(parent.get_absolute_url()).content.decode()


def test_pages_have_title_description_and_canonical_link(client, make_record):
    record = make_record(status="published")
    html = client.get(record.get_absolute_url()).content.decode()
    assert f"<title>{record.title} |" in html
    assert '<meta name="description" content="A summary of the telegram.">' in html
    assert f'<link rel="canonical" href="http://testserver/document/{record.record_id}/">' in html


def test_preview_is_staff_only_and_marked_not_public(client, make_record, cataloguer):
    record = make_record(status="draft", title="Draft for preview")
    url = reverse("admin:accessions_record_preview", args=[record.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    client.force_login(cataloguer)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Staff preview — not public" in html and "Draft for preview" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_preview_refused_to_staff_without_view_permission(client, make_record, staff_without_role):
    record = make_record(status="draft")
    client.force_login(staff_without_role)
    url = reverse("admin:accessions_record_preview", args=[record.pk])
    assert client.get(url).status_code == 403
