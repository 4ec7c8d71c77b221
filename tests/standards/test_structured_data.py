"""Embedded metadata on the record page: schema.org JSON-LD and Highwire citation_* tags."""

import extruct
import pytest
from lxml import html as lxml_html

from accessions.models import Agent, Collection, Language, Place, Repository, Subject
from tests.conftest import RECORD_PAGE_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_record(make_record, funder):
    return make_record(
        title="Memorandum of Conversation",
        date_text="1967-11",
        summary="Talks on trade.",
        authors=[
            Agent.objects.create(name="Kawase, Ikkan"),
            Agent.objects.create(name="Japan. Foreign Ministry", kind="organization"),
        ],
        people_and_organizations=[Agent.objects.create(name="Zhou, Enlai")],
        subjects=[Subject.objects.create(name="China--Foreign relations--Japan")],
        places=[Place.objects.create(name="Beijing")],
        collections=[Collection.objects.create(name="Sino-Japanese Relations")],
        languages=[Language.objects.get(code="ja")],
        original_archive=Repository.objects.create(name="Diplomatic Archives of Japan"),
        donors=[funder],
    )


def page_of(client, record):
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_json_ld_is_an_archive_component_a_structured_data_extractor_reads(client, rich_record):
    url = f"http://testserver{rich_record.get_absolute_url()}"
    extracted = extruct.extract(page_of(client, rich_record), base_url=url, syntaxes=["json-ld"])
    (item,) = extracted["json-ld"]
    assert item["@context"] == "https://schema.org"
    assert item["@type"] == "ArchiveComponent"
    assert item["url"] == url
    assert item["name"] == "Memorandum of Conversation"
    assert item["identifier"] == str(rich_record.record_id)
    assert item["dateCreated"] == "1967-11"
    assert item["description"] == "Talks on trade."
    assert item["inLanguage"] == ["ja"]
    assert item["author"] == [
        {"@type": "Organization", "name": "Japan. Foreign Ministry"},
        {"@type": "Person", "name": "Ikkan Kawase", "familyName": "Kawase", "givenName": "Ikkan"},
    ]
    assert item["mentions"][0]["familyName"] == "Zhou"
    assert item["keywords"] == ["China--Foreign relations--Japan"]
    assert item["spatialCoverage"] == [{"@type": "Place", "name": "Beijing"}]
    assert item["isPartOf"] == [{"@type": "Collection", "name": "Sino-Japanese Relations"}]
    assert item["holdingArchive"]["@type"] == "ArchiveOrganization"
    assert item["funder"] == [{"@type": "Organization", "name": "Example Foundation"}]
    assert item["license"] == "http://rightsstatements.org/vocab/InC-EDU/1.0/"


def test_json_ld_keeps_hostile_text_inside_its_script(client, make_record):
    title = "</script><script>alert(1)</script> & <!-- co"
    record = make_record(title=title)
    page = page_of(client, record)
    assert "</script><script>alert(1)" not in page
    (item,) = extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
    assert item["name"] == title


def test_citation_meta_tags_describe_the_record_for_zotero(client, rich_record):
    tree = lxml_html.fromstring(page_of(client, rich_record))

    def meta(name):
        return [e.get("content") for e in tree.xpath(f"//head/meta[@name='{name}']")]

    assert meta("citation_title") == ["Memorandum of Conversation"]
    assert meta("citation_author") == ["Japan. Foreign Ministry", "Kawase, Ikkan"]
    assert meta("citation_date") == ["1967/11"]
    assert meta("citation_language") == ["ja"]
    assert meta("citation_archive_collection") == ["Diplomatic Archives of Japan"]
    url = f"http://testserver{rich_record.get_absolute_url()}"
    assert meta("citation_abstract_html_url") == [url]


def test_undated_record_has_no_date_in_metadata(client, make_record):
    record = make_record(date_text="undated")
    page = page_of(client, record)
    assert 'name="citation_date"' not in page
    (item,) = extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
    assert "dateCreated" not in item


def test_metadata_adds_no_query_to_the_record_page(
    client, rich_record, make_record, django_assert_num_queries
):
    for number in range(10):
        rich_record.authors.add(Agent.objects.create(name=f"Author {number}, Given"))
        rich_record.places.add(Place.objects.create(name=f"Place {number}"))
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        page = client.get(rich_record.get_absolute_url()).content.decode()
    assert "Author 9, Given" in page


@pytest.mark.parametrize("status", ["draft", "in_review", "withdrawn"])
def test_unpublished_record_page_carries_no_metadata(client, make_record, status):
    record = make_record(status=status, title="Secret title")
    page = client.get(record.get_absolute_url()).content.decode()
    assert "application/ld+json" not in page
    assert "citation_title" not in page
    assert "Secret title" not in page
