"""The sitemap index and its sections: published records and visible collections only."""

import pytest
from lxml import etree

from accessions.models import Collection

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    return [element.text for element in tree.iterfind(".//sm:loc", SITEMAP_NS)], tree


def test_sitemap_index_points_at_record_and_collection_sections(client, make_record):
    make_record()
    sections, _ = locations(client, "/sitemap.xml")
    assert sections == [
        "http://testserver/sitemap-records.xml",
        "http://testserver/sitemap-collections.xml",
    ]


def test_record_sitemap_lists_published_records_with_lastmod(client, make_record):
    published = make_record(title="Published")
    hidden = [make_record(status=s) for s in ("draft", "in_review", "withdrawn")]
    urls, tree = locations(client, "/sitemap-records.xml")
    assert urls == [f"http://testserver{published.get_absolute_url()}"]
    for record in hidden:
        assert f"http://testserver{record.get_absolute_url()}" not in urls
    lastmod = tree.findtext(".//sm:lastmod", namespaces=SITEMAP_NS)
    assert lastmod.startswith(published.updated_at.strftime("%Y-%m-%d"))


def test_collection_sitemap_lists_collections_with_published_records(client, make_record):
    visible = Collection.objects.create(name="Visible")
    hidden = Collection.objects.create(name="Hidden")
    make_record(collections=[visible])
    make_record(status="withdrawn", collections=[hidden])
    urls, _ = locations(client, "/sitemap-collections.xml")
    assert urls == ["http://testserver/collections/visible/"]


def test_record_sitemap_query_count_is_fixed(client, make_record, django_assert_num_queries):
    make_record()
    with django_assert_num_queries(2):
        client.get("/sitemap-records.xml")
    for number in range(5):
        make_record(title=f"More {number}")
    with django_assert_num_queries(2):
        urls, _ = locations(client, "/sitemap-records.xml")
    assert len(urls) == 6


def test_unknown_sitemap_section_or_page_is_not_found(client, make_record):
    make_record()
    assert client.get("/sitemap-drafts.xml").status_code == 404
    assert client.get("/sitemap-records.xml?p=99").status_code == 404
    assert client.get("/sitemap-records.xml?p=abc").status_code == 404
