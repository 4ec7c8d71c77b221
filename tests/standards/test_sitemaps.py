"""The sitemap index and its sections: published records and visible collections only."""

from datetime import UTC
from urllib.robotparser import RobotFileParser

import pytest
from lxml import etree

from accessions.catalogue.models import SITEMAP_SECTION_SIZE
from accessions.models import Collection

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    return [element.text for element in tree.iterfind(".//sm:loc", SITEMAP_NS)], tree


def test_sitemap_index_points_at_record_sections_with_lastmod_and_collections(client, make_record):
    low = make_record(record_id=117349, title="Low")
    high = make_record(record_id=250001, title="High")
    make_record(status="draft", record_id=420000)
    sections, tree = locations(client, "/sitemap.xml")
    assert sections == [
        "http://testserver/sitemap-records-2.xml",
        "http://testserver/sitemap-records-5.xml",
        "http://testserver/sitemap-collections.xml",
    ]
    lastmods = [e.text for e in tree.iterfind(".//sm:lastmod", SITEMAP_NS)]
    assert lastmods == [
        low.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        high.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


def test_record_section_lists_its_published_records_with_lastmod(client, make_record):
    published = make_record(title="Published", record_id=100001)
    outside = make_record(title="Next section", record_id=150000)
    hidden = [
        make_record(status=s, record_id=100002 + n)
        for n, s in enumerate(("draft", "in_review", "withdrawn"))
    ]
    urls, tree = locations(client, "/sitemap-records-2.xml")
    assert urls == [f"http://testserver{published.get_absolute_url()}"]
    for record in [*hidden, outside]:
        assert f"http://testserver{record.get_absolute_url()}" not in urls
    lastmod = tree.findtext(".//sm:lastmod", namespaces=SITEMAP_NS)
    assert lastmod.startswith(published.updated_at.strftime("%Y-%m-%d"))


def test_a_section_holds_at_most_the_protocols_50000_urls():
    assert SITEMAP_SECTION_SIZE <= 50_000


def test_collection_sitemap_lists_collections_with_published_records(client, make_record):
    visible = Collection.objects.create(name="Visible")
    hidden = Collection.objects.create(name="Hidden")
    make_record(collections=[visible])
    make_record(status="withdrawn", collections=[hidden])
    urls, _ = locations(client, "/sitemap-collections.xml")
    assert urls == ["http://testserver/collections/visible/"]


def test_sitemap_query_counts_are_fixed(client, make_record, django_assert_num_queries):
    make_record(record_id=100001)
    # The bounds, then one statement probing every section.
    with django_assert_num_queries(2):
        client.get("/sitemap.xml")
    with django_assert_num_queries(1):
        client.get("/sitemap-records-2.xml")
    for number in range(5):
        make_record(title=f"More {number}", record_id=100002 + number * 60_000)
    with django_assert_num_queries(2):
        sections, _ = locations(client, "/sitemap.xml")
    # Sections 2 to 6 (IDs 100001 and 100002 share the first), and the collections.
    assert len(sections) == 5 + 1
    with django_assert_num_queries(1):
        urls, _ = locations(client, "/sitemap-records-2.xml")
    assert len(urls) == 2


def test_empty_or_unknown_sitemap_section_is_not_found(client, make_record):
    make_record(record_id=100001)
    assert client.get("/sitemap-records-7.xml").status_code == 404
    assert client.get("/sitemap-records-abc.xml").status_code == 404
    assert client.get("/sitemap-drafts.xml").status_code == 404


def test_an_archive_with_nothing_published_has_an_index_of_collections_only(client):
    sections, _ = locations(client, "/sitemap.xml")
    assert sections == ["http://testserver/sitemap-collections.xml"]


def test_robots_txt_names_the_sitemap_index_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines


def test_robots_txt_blocks_no_public_surface(client, make_record):
    record = make_record()
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").content.decode().splitlines())
    public = [
        "/",
        record.get_absolute_url(),
        f"{record.get_absolute_url()}cite.bib",
        f"{record.get_absolute_url()}rights-inquiry/",
        "/search/?q=telegram",
        "/search/filters/subject/",
        "/search/export.csv",
        "/collections/",
        "/collections/crisis/",
        "/collections/crisis/export.json",
        f"/iiif/{record.record_id}/manifest.json",
        "/scans/page/1/web.jpg",
        "/oai/?verb=Identify",
        "/feeds/documents.atom",
        "/sitemap.xml",
        "/sitemap-records-0.xml",
        "/api/records/",
        "/static/css/site.css",
    ]
    for path in public:
        for agent in ("*", "Googlebot", "Zotero"):
            assert robots.can_fetch(agent, f"http://testserver{path}"), (agent, path)
    assert not robots.can_fetch("*", "http://testserver/admin/")
    assert robots.site_maps() == ["http://testserver/sitemap.xml"]
