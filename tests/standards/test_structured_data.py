"""Embedded metadata on the record page: schema.org JSON-LD and Highwire citation_* tags."""

import extruct
import pytest
from lxml import html as lxml_html

from accessions.models import (
    Agent,
    Collection,
    DocumentType,
    Language,
    Place,
    Repository,
    Subject,
)
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
    # Google Scholar's form: a month without a day gives the year.
    assert meta("citation_publication_date") == ["1967"]
    assert meta("citation_date") == []
    assert meta("citation_language") == ["ja"]
    assert meta("citation_archive_collection") == ["Diplomatic Archives of Japan"]
    url = f"http://testserver{rich_record.get_absolute_url()}"
    assert meta("citation_abstract_html_url") == [url]


def test_undated_record_has_no_date_in_metadata(client, make_record):
    record = make_record(date_text="undated")
    page = page_of(client, record)
    assert 'name="citation_publication_date"' not in page and 'name="DC.date"' not in page
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


def head_meta(page: str, attribute: str = "name") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in lxml_html.fromstring(page).xpath(f"//head/meta[@{attribute}]"):
        found.setdefault(element.get(attribute), []).append(element.get("content"))
    return found


def test_a_full_date_is_given_in_scholars_form_and_dublin_core_keeps_every_precision(
    client, make_record
):
    day = head_meta(page_of(client, make_record(date_text="1963-11-25")))
    assert day["citation_publication_date"] == ["1963/11/25"]
    assert day["DC.date"] == ["1963-11-25"]
    month = head_meta(page_of(client, make_record(date_text="April 1950")))
    assert month["citation_publication_date"] == ["1950"]
    assert month["DC.date"] == ["1950-04"]


@pytest.mark.parametrize(
    ("document_type", "zotero_type"),
    [
        ("Telegram", "letter"),
        ("Cipher Telegram", "letter"),
        ("Letter", "letter"),
        ("Report", "report"),
        ("Speech", "presentation"),
        ("Memorandum of Conversation", "manuscript"),
        ("Treaty", "document"),
        (None, "manuscript"),
    ],
)
def test_dc_type_names_the_zotero_item_type_of_the_document_type(
    client, make_record, document_type, zotero_type
):
    if document_type:
        record = make_record(document_type=DocumentType.objects.create(name=document_type))
    else:
        record = make_record()
    meta = head_meta(page_of(client, record))
    # Zotero's page translator takes DC.type when it names one of its item types, and
    # og:type "website" would override it with "web page".
    assert meta["DC.type"] == [zotero_type]
    assert head_meta(page_of(client, record), "property")["og:type"] == ["article"]


def test_dublin_core_and_open_graph_describe_the_record(client, rich_record):
    page = page_of(client, rich_record)
    assert '<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">' in page
    meta = head_meta(page)
    url = f"http://testserver{rich_record.get_absolute_url()}"
    assert meta["DC.title"] == ["Memorandum of Conversation"]
    assert meta["DC.creator"] == ["Japan. Foreign Ministry", "Kawase, Ikkan"]
    assert meta["DC.subject"] == ["China--Foreign relations--Japan"]
    assert meta["DC.language"] == ["ja"]
    assert meta["DC.identifier"] == [url]
    assert meta["DC.rights"][0].startswith("Reuse for research")
    properties = head_meta(page, "property")
    assert properties["og:url"] == [url]
    assert properties["og:title"] == ["Memorandum of Conversation"]
    opengraph = extruct.extract(page, base_url=url, syntaxes=["opengraph"])["opengraph"]
    assert dict(opengraph[0]["properties"])["og:type"] == "article"


def test_keywords_keep_their_commas_for_zotero(client, make_record):
    record = make_record(
        subjects=[
            Subject.objects.create(name="Security, International"),
            Subject.objects.create(name="Cold War"),
        ]
    )
    meta = head_meta(page_of(client, record))
    # Zotero splits citation_keywords at semicolons; each DC.subject is one tag.
    assert meta["citation_keywords"] == ["Cold War; Security, International"]
    assert meta["DC.subject"] == ["Cold War", "Security, International"]


def test_json_ld_names_the_source_as_the_original_or_the_printed_volume(client, make_record):
    archive = Repository.objects.create(name="US National Archives and Records Administration")
    original = make_record(
        source="Yeltsin documents given to Bill Clinton on 20 June 1999, US National Archives",
        original_archive=archive,
    )
    (item,) = extruct.extract(page_of(client, original), syntaxes=["json-ld"])["json-ld"]
    assert "citation" not in item
    assert item["isBasedOn"] == {
        "@type": "ArchiveComponent",
        "description": "Yeltsin documents given to Bill Clinton on 20 June 1999, US National "
        "Archives",
        "holdingArchive": {"@type": "ArchiveOrganization", "name": archive.name},
    }
    assert item["holdingArchive"] == {"@type": "ArchiveOrganization", "name": archive.name}
    printed = make_record(
        source="Printed in Foreign Relations of the United States, 1946, vol. VI",
        collections=[Collection.objects.create(name="Cold War Origins")],
    )
    (item,) = extruct.extract(page_of(client, printed), syntaxes=["json-ld"])["json-ld"]
    assert "citation" not in item and "isBasedOn" not in item
    assert item["isPartOf"] == [
        {"@type": "Collection", "name": "Cold War Origins"},
        {"@type": "CreativeWork", "name": "Foreign Relations of the United States, 1946, vol. VI"},
    ]


def test_json_ld_people_carry_family_and_given_names(client, make_record):
    record = make_record(
        authors=[
            Agent.objects.create(name="George F. Kennan"),
            Agent.objects.create(name="Mao Zedong"),
            Agent.objects.create(name="King, Martin Luther, Jr."),
        ]
    )
    (item,) = extruct.extract(page_of(client, record), syntaxes=["json-ld"])["json-ld"]
    assert item["author"] == [
        {
            "@type": "Person",
            "name": "George F. Kennan",
            "familyName": "Kennan",
            "givenName": "George F.",
        },
        {
            "@type": "Person",
            "name": "Martin Luther King Jr.",
            "familyName": "King",
            "givenName": "Martin Luther",
            "honorificSuffix": "Jr.",
        },
        # Family name first in running text.
        {"@type": "Person", "name": "Mao Zedong", "familyName": "Mao", "givenName": "Zedong"},
    ]
