"""No machine surface shows an unpublished record; a withdrawn one only as an OAI deletion."""

import pytest
from lxml import etree

from accessions.models import Collection

pytestmark = pytest.mark.django_db

OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def test_no_surface_leaks_draft_in_review_or_withdrawn_records(client, make_record):
    shared = Collection.objects.create(name="Shared collection")
    secret = Collection.objects.create(name="Secret collection")
    published = make_record(title="Public telegram", collections=[shared])
    hidden = {
        status: make_record(
            status=status,
            title=f"LEAKED {status} title",
            summary=f"LEAKED {status} summary",
            collections=[shared, secret],
        )
        for status in ("draft", "in_review", "withdrawn")
    }
    urls = [
        "/oai/?verb=Identify",
        "/oai/?verb=ListSets",
        "/oai/?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai/?verb=ListIdentifiers&metadataPrefix=oai_dc",
        "/oai/?verb=ListRecords&metadataPrefix=oai_dc&set=shared-collection",
        "/sitemap.xml",
        "/sitemap-records.xml",
        "/sitemap-collections.xml",
        "/feeds/documents.atom",
        "/feeds/documents.atom?collection=shared-collection",
        "/api/records/",
        "/api/records/?q=LEAKED",
        "/api/records/?collection=shared-collection",
        "/api/records/?collection=secret-collection",
        "/api/collections/",
        "/api/openapi.json",
        "/api/",
    ]
    for record in hidden.values():
        rid = record.record_id
        urls += [
            f"/oai/?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:{rid}",
            f"/api/records/{rid}/",
            f"/document/{rid}/cite.bib",
            f"/document/{rid}/cite.ris",
            f"/document/{rid}/cite.json",
        ]
    urls += [
        "/api/collections/secret-collection/",
        "/feeds/documents.atom?collection=secret-collection",
    ]

    withdrawn_id = f"oai:archive.example.org:{hidden['withdrawn'].record_id}"
    for url in urls:
        body = client.get(url).content.decode()
        assert "LEAKED" not in body, url
        assert "Secret collection" not in body and 'secret-collection"' not in body, url
        for status in ("draft", "in_review"):
            rid = hidden[status].record_id
            assert f"/document/{rid}/" not in body, url
            assert f"oai:archive.example.org:{rid}<" not in body, url
        assert f"/document/{hidden['withdrawn'].record_id}/" not in body, url
        if withdrawn_id in body:
            # Only as a header marked deleted, in a record without metadata.
            tree = etree.fromstring(body.encode())
            for header in tree.iterfind(".//oai:header", OAI_NS):
                if header.findtext("oai:identifier", namespaces=OAI_NS) == withdrawn_id:
                    assert header.get("status") == "deleted", url
            for record in tree.iterfind(".//oai:record", OAI_NS):
                deleted = record.find("oai:header", OAI_NS).get("status") == "deleted"
                assert deleted == (record.find("oai:metadata", OAI_NS) is None), url
    assert published.title in client.get("/api/records/").content.decode()
