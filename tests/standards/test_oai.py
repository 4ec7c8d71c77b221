"""OAI-PMH: schema-valid answers, published records only, withdrawn as deleted, every error."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.urls import reverse
from lxml import etree

from accessions.catalogue.terms import rename_term
from accessions.models import Agent, Collection, Language, Record, Subject
from accessions.standards.oai.tokens import SALT
from tests.conftest import SHARED_DIR

pytestmark = pytest.mark.django_db

SCHEMAS = SHARED_DIR / "data" / "schemas"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# Remote schema locations the shared schemas import, and the local copies standing in for them.
LOCAL_SCHEMAS = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
}


@pytest.fixture(scope="session")
def schemas(tmp_path_factory):
    """(OAI-PMH schema, oai_dc schema), with their imports pointed at local files."""
    if not (SCHEMAS / "OAI-PMH.xsd").exists():
        pytest.skip(f"The shared OAI-PMH schemas are absent ({SCHEMAS}); cannot validate.")
    folder = tmp_path_factory.mktemp("schemas")
    for name in ("OAI-PMH.xsd", "oai_dc.xsd", "simpledc20021212.xsd", "xml.xsd"):
        document = etree.parse(str(SCHEMAS / name))
        for element in document.iter("{http://www.w3.org/2001/XMLSchema}import"):
            location = element.get("schemaLocation")
            if location in LOCAL_SCHEMAS:
                element.set("schemaLocation", str(folder / LOCAL_SCHEMAS[location]))
        document.write(str(folder / name))
    return (
        etree.XMLSchema(etree.parse(str(folder / "OAI-PMH.xsd"))),
        etree.XMLSchema(etree.parse(str(folder / "oai_dc.xsd"))),
    )


@pytest.fixture
def oai(client, schemas):
    """GET the endpoint, check the answer against both schemas, return the parsed tree."""
    protocol_schema, dc_schema = schemas

    def get(method="get", **params):
        response = getattr(client, method)("/oai/", params)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        tree = etree.fromstring(response.content)
        protocol_schema.assertValid(tree)
        for dc in tree.iterfind(".//oai_dc:dc", NS):
            dc_schema.assertValid(etree.ElementTree(dc))
        return tree

    return get


def error_code(tree) -> str | None:
    error = tree.find("oai:error", NS)
    return None if error is None else error.get("code")


def identifiers(tree) -> list[str]:
    return [element.text for element in tree.iterfind(".//oai:header/oai:identifier", NS)]


def oai_id(record: Record) -> str:
    return f"oai:archive.example.org:{record.record_id}"


def set_updated_at(record: Record, moment: datetime):
    Record.objects.filter(pk=record.pk).update(updated_at=moment)


def test_identify_describes_the_repository(oai, make_record):
    record = make_record()
    set_updated_at(record, datetime(2001, 2, 3, 4, 5, 6, 789, tzinfo=UTC))
    tree = oai(verb="Identify")
    identify = tree.find("oai:Identify", NS)
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/oai/"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == "2001-02-03T04:05:06Z"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "transient"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert tree.find("oai:request", NS).get("verb") == "Identify"


def test_earliest_datestamp_ignores_unpublished_records(oai, make_record):
    draft = make_record(status="draft")
    set_updated_at(draft, datetime(1999, 1, 1, tzinfo=UTC))
    make_record()
    earliest = oai(verb="Identify").findtext(".//oai:earliestDatestamp", namespaces=NS)
    assert not earliest.startswith("1999")


def test_get_record_gives_dublin_core_of_the_record_page_fields(oai, make_record):
    author = Agent.objects.create(name="Khrushchev, Nikita")
    subject = Subject.objects.create(name="Cuban Missile Crisis, 1962")
    record = make_record(
        title="Letter from Khrushchev to Kennedy",
        authors=[author],
        subjects=[subject],
        languages=[Language.objects.get(code="ru")],
        source="Archive of the President, Moscow.",
    )
    tree = oai(verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    dc = tree.find(".//oai_dc:dc", NS)
    values = {}
    for element in dc:
        values.setdefault(etree.QName(element).localname, []).append(element.text)
    assert values["title"] == ["Letter from Khrushchev to Kennedy"]
    assert values["creator"] == ["Khrushchev, Nikita"]
    assert values["subject"] == ["Cuban Missile Crisis, 1962"]
    assert values["date"] == ["1963-11-25"]
    assert values["language"] == ["ru"]
    assert values["identifier"] == [f"http://testserver/document/{record.record_id}/"]
    assert values["source"] == ["Archive of the President, Moscow."]
    assert values["description"] == ["A summary of the telegram."]
    assert "Reuse for research and education is welcome." in values["rights"]


def test_get_record_of_withdrawn_record_is_a_deleted_header_without_metadata(oai, make_record):
    record = make_record(status="withdrawn", title="Withdrawn secret title")
    tree = oai(verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    header = tree.find(".//oai:record/oai:header", NS)
    assert header.get("status") == "deleted"
    assert tree.find(".//oai:metadata", NS) is None
    assert b"Withdrawn secret title" not in etree.tostring(tree)


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_record_does_not_exist_for_get_record(oai, make_record, status):
    record = make_record(status=status, title="Secret draft title")
    tree = oai(verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    assert error_code(tree) == "idDoesNotExist"
    assert b"Secret draft title" not in etree.tostring(tree)
    tree = oai(verb="ListMetadataFormats", identifier=oai_id(record))
    assert error_code(tree) == "idDoesNotExist"


def test_list_records_has_published_and_deleted_withdrawn_but_never_unpublished(oai, make_record):
    published = make_record(title="Published telegram")
    withdrawn = make_record(status="withdrawn", title="Withdrawn telegram")
    draft = make_record(status="draft", title="Draft telegram")
    in_review = make_record(status="in_review", title="Review telegram")
    for verb in ("ListRecords", "ListIdentifiers"):
        tree = oai(verb=verb, metadataPrefix="oai_dc")
        found = identifiers(tree)
        assert sorted(found) == sorted([oai_id(published), oai_id(withdrawn)])
        assert oai_id(draft) not in found and oai_id(in_review) not in found
        deleted = tree.findall(".//oai:header[@status='deleted']/oai:identifier", NS)
        assert [element.text for element in deleted] == [oai_id(withdrawn)]
        text = etree.tostring(tree)
        for secret in (b"Withdrawn telegram", b"Draft telegram", b"Review telegram"):
            assert secret not in text


def test_withdrawing_a_record_moves_its_datestamp_so_incremental_harvests_see_it(
    oai, make_record, editor
):
    from accessions.catalogue.workflow import transition_record

    record = make_record()
    set_updated_at(record, datetime(2020, 1, 1, tzinfo=UTC))
    assert identifiers(oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2020-01-01"))
    transition_record(record=record, action="withdraw", user=editor)
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": since})
    assert tree.find(".//oai:header", NS).get("status") == "deleted"


def test_list_sets_lists_collections_with_published_records_only(oai, make_record):
    public = Collection.objects.create(name="Cuban Missile Crisis", description="Letters")
    cyrillic = Collection.objects.create(name="Карибский кризис")
    hidden = Collection.objects.create(name="Drafts only")
    make_record(collections=[public, cyrillic])
    make_record(status="draft", collections=[hidden])
    make_record(status="withdrawn", collections=[hidden])
    tree = oai(verb="ListSets")
    specs = {
        s.findtext("oai:setSpec", namespaces=NS): s.findtext("oai:setName", namespaces=NS)
        for s in tree.iterfind(".//oai:set", NS)
    }
    assert specs == {
        "cuban-missile-crisis": "Cuban Missile Crisis",
        f"collection.{cyrillic.pk}": "Карибский кризис",
    }


def test_set_argument_selects_the_collections_records(oai, make_record):
    crisis = Collection.objects.create(name="Crisis")
    cyrillic = Collection.objects.create(name="Кризис")
    inside = make_record(collections=[crisis, cyrillic])
    make_record(title="Elsewhere")
    gone = make_record(status="withdrawn", collections=[crisis])
    tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="crisis")
    assert sorted(identifiers(tree)) == sorted([oai_id(inside), oai_id(gone)])
    specs = [e.text for e in tree.iterfind(".//oai:header/oai:setSpec", NS)]
    assert "crisis" in specs and f"collection.{cyrillic.pk}" in specs
    tree = oai(verb="ListRecords", metadataPrefix="oai_dc", set=f"collection.{cyrillic.pk}")
    assert identifiers(tree) == [oai_id(inside)]


def test_from_and_until_select_by_day_and_by_second(oai, make_record):
    early, middle, late = make_record(), make_record(), make_record()
    set_updated_at(early, datetime(2024, 5, 1, 23, 59, 59, 500000, tzinfo=UTC))
    set_updated_at(middle, datetime(2024, 5, 2, 12, 0, 0, tzinfo=UTC))
    set_updated_at(late, datetime(2024, 5, 3, 0, 0, 0, tzinfo=UTC))

    def listed(**bounds):
        tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **bounds)
        return sorted(identifiers(tree)) if error_code(tree) is None else error_code(tree)

    assert listed(**{"from": "2024-05-02"}) == sorted([oai_id(middle), oai_id(late)])
    assert listed(until="2024-05-02") == sorted([oai_id(early), oai_id(middle)])
    assert listed(**{"from": "2024-05-02", "until": "2024-05-02"}) == [oai_id(middle)]
    # Seconds granularity: until covers the whole named second, from starts at it.
    assert listed(until="2024-05-01T23:59:59Z") == [oai_id(early)]
    assert listed(**{"from": "2024-05-01T23:59:59Z", "until": "2024-05-02T12:00:00Z"}) == sorted(
        [oai_id(early), oai_id(middle)]
    )
    assert listed(**{"from": "2024-05-02T12:00:01Z"}) == [oai_id(late)]
    assert listed(until="2024-04-30") == "noRecordsMatch"
    datestamps = [
        e.text
        for e in oai(verb="ListIdentifiers", metadataPrefix="oai_dc").iterfind(
            ".//oai:datestamp", NS
        )
    ]
    assert datestamps == ["2024-05-01T23:59:59Z", "2024-05-02T12:00:00Z", "2024-05-03T00:00:00Z"]


def test_resumption_tokens_page_through_every_record_once(oai, make_record, settings):
    settings.OAI_PAGE_SIZE = 2
    records = [make_record(title=f"Telegram {number}") for number in range(5)]
    make_record(status="draft")
    seen, cursors, token = [], [], None
    while True:
        params = {"resumptionToken": token} if token else {"metadataPrefix": "oai_dc"}
        tree = oai(verb="ListRecords", **params)
        seen += identifiers(tree)
        element = tree.find(".//oai:resumptionToken", NS)
        if element is None:
            break
        # Left out, as the protocol allows: it would take a count of the whole list.
        assert element.get("completeListSize") is None
        cursors.append(element.get("cursor"))
        token = element.text
        if not token:
            break
    assert sorted(seen) == sorted(oai_id(record) for record in records)
    assert len(seen) == 5
    assert cursors == ["0", "2", "4"]


def test_resumption_token_keeps_the_set_and_dates(oai, make_record, settings):
    settings.OAI_PAGE_SIZE = 1
    crisis = Collection.objects.create(name="Crisis")
    inside = [make_record(collections=[crisis]) for _ in range(3)]
    make_record(title="Elsewhere")
    seen, params = [], {"metadataPrefix": "oai_dc", "set": "crisis", "from": "2000-01-01"}
    while params:
        tree = oai(verb="ListIdentifiers", **params)
        seen += identifiers(tree)
        token = tree.findtext(".//oai:resumptionToken", namespaces=NS)
        params = {"resumptionToken": token} if token else None
    assert sorted(seen) == sorted(oai_id(record) for record in inside)


def test_post_requests_answer_like_get(oai, make_record):
    record = make_record()
    for method in ("get", "post"):
        tree = oai(
            method=method, verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc"
        )
        assert identifiers(tree) == [oai_id(record)]


def expired_token() -> str:
    payload = {
        "metadata_prefix": "oai_dc",
        "from_text": None,
        "until_text": None,
        "set_spec": None,
        "after_updated_at": "2024-01-01T00:00:00+00:00",
        "after_pk": 1,
        "cursor": 1,
    }
    signer = signing.TimestampSigner(salt=SALT)
    signer.timestamp = lambda: signing.b62_encode(0)
    return signer.sign_object(payload, compress=True)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListEverything"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-01-01T10:00:00"},
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2024-01-01",
                "until": "2024-01-02T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2024-02-01",
                "until": "2024-01-01",
            },
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListIdentifiers", "resumptionToken": "expired"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "identifier": "published", "metadataPrefix": "ead"},
            "cannotDisseminateFormat",
        ),
        (
            {"verb": "GetRecord", "identifier": "oai:other.org:1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "identifier": "nonsense", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "oai:archive.example.org:999999"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "oai:archive.example.org:" + "9" * 25},
            "idDoesNotExist",
        ),
        (
            {
                "verb": "GetRecord",
                "identifier": "oai:archive.example.org:²",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
        ),
        (
            {"verb": "ListMetadataFormats", "identifier": "oai:archive.example.org:①"},
            "idDoesNotExist",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-W01-1"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "２０２４-01-01"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "9999-12-31"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no-such-set"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "1900-01-01"},
            "noRecordsMatch",
        ),
    ],
)
def test_bad_requests_get_the_protocol_error_code(oai, make_record, params, code):
    record = make_record()
    if params.get("identifier") == "published":
        params["identifier"] = oai_id(record)
    if params.get("resumptionToken") == "expired":
        params["resumptionToken"] = expired_token()
    tree = oai(**params)
    assert error_code(tree) == code
    assert tree.find("oai:error", NS).text
    request_attributes = dict(tree.find("oai:request", NS).attrib)
    if code in ("badVerb", "badArgument"):
        assert request_attributes == {}
    else:
        assert request_attributes["verb"] == params["verb"]


def test_tampered_resumption_token_is_refused(oai, make_record, settings):
    settings.OAI_PAGE_SIZE = 1
    make_record(), make_record()
    token = oai(verb="ListIdentifiers", metadataPrefix="oai_dc").findtext(
        ".//oai:resumptionToken", namespaces=NS
    )
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    tree = oai(verb="ListIdentifiers", resumptionToken=forged)
    assert error_code(tree) == "badResumptionToken"


def test_token_whose_remaining_records_left_the_list_answers_no_records_match(
    oai, make_record, settings, editor
):
    from accessions.catalogue.workflow import transition_record

    settings.OAI_PAGE_SIZE = 1
    first, second = make_record(), make_record()
    Record.objects.filter(pk=first.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(tree) == [oai_id(first)]
    token = tree.findtext(".//oai:resumptionToken", namespaces=NS)
    transition_record(record=second, action="return_to_draft", user=editor)
    assert error_code(oai(verb="ListIdentifiers", resumptionToken=token)) == "noRecordsMatch"


def test_empty_repository_has_no_sets_and_no_records(oai):
    assert error_code(oai(verb="ListSets")) == "noSetHierarchy"
    assert error_code(oai(verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    assert error_code(oai(verb="Identify")) is None


def test_metadata_formats_offer_oai_dc(oai, make_record):
    record = make_record()
    for params in ({}, {"identifier": oai_id(record)}):
        tree = oai(verb="ListMetadataFormats", **params)
        assert tree.findtext(".//oai:metadataPrefix", namespaces=NS) == "oai_dc"


def test_control_characters_in_staff_text_do_not_break_the_xml(oai, make_record):
    record = make_record(summary="Line one\x0bline two\x1f")
    tree = oai(verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    assert tree.findtext(".//dc:description", namespaces=NS) == "Line oneline two"


def test_list_records_query_count_does_not_grow_with_the_page(
    client, make_record, django_assert_num_queries, settings
):
    collection = Collection.objects.create(name="Crisis")
    make_record(collections=[collection])
    # The sets, a page of ids, the records, and all their vocabulary lists in one.
    with django_assert_num_queries(4):
        client.get("/oai/", {"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    for number in range(6):
        record = make_record(title=f"More {number}", collections=[collection])
        record.subjects.add(Subject.objects.create(name=f"Subject {number}"))
    with django_assert_num_queries(4):
        response = client.get("/oai/", {"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.content.count(b"<record>") == 7


@pytest.mark.parametrize("until", ["9999-12-31", "9999-12-31T23:59:59Z"])
def test_until_the_calendars_last_day_includes_every_record(oai, make_record, until):
    record = make_record()
    start = "0001-01-01" if len(until) == 10 else "0001-01-01T00:00:00Z"
    tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until=until)
    assert identifiers(tree) == [oai_id(record)]
    tree = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", until=until, **{"from": start})
    assert identifiers(tree) == [oai_id(record)]


@pytest.mark.parametrize("value", ["\uffff", "a\ufffeb", "\x01\x1f"])
def test_arguments_xml_cannot_carry_are_echoed_without_those_characters(oai, make_record, value):
    make_record()
    tree = oai(verb="ListRecords", metadataPrefix=f"oai_dc{value}")
    assert error_code(tree) == "cannotDisseminateFormat"
    tree = oai(verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:x:{value}")
    assert error_code(tree) == "idDoesNotExist"
    assert tree.find("oai:request", NS).get("identifier") == "oai:x:" + "".join(
        character for character in value if character in "ab"
    )


def test_an_incremental_harvest_returns_the_records_a_change_elsewhere_touched(
    oai, client, make_record, rights_manager, cataloguer
):
    """A harvester asks for what changed since its last visit (ListRecords&from=): records
    whose rights statement, subject or collection changed since must be among them."""
    subject = Subject.objects.create(name="Cold War")
    crisis = Collection.objects.create(name="Crisis")
    with_subject = make_record(title="Telegram", subjects=[subject])
    in_collection = make_record(title="Letter", collections=[crisis])
    untouched = make_record(title="Memo")
    last_harvest = "2021-01-01T00:00:00Z"
    for record in (with_subject, in_collection, untouched):
        set_updated_at(record, datetime(2020, 6, 1, tzinfo=UTC))

    def harvested() -> dict[str, etree._Element]:
        tree = oai(verb="ListRecords", metadataPrefix="oai_dc", **{"from": last_harvest})
        if error_code(tree) == "noRecordsMatch":
            return {}
        return {
            r.findtext("oai:header/oai:identifier", namespaces=NS): r
            for r in tree.iterfind(".//oai:record", NS)
        }

    assert harvested() == {}
    client.force_login(cataloguer)
    client.post(
        reverse("admin:accessions_subject_change", args=[subject.pk]),
        {"name": "Cold War, 1945-1991", "slug": subject.slug},
    )
    client.post(
        reverse("admin:accessions_collection_change", args=[crisis.pk]),
        {"name": "Cuban Missile Crisis", "slug": crisis.slug, "description": ""},
    )
    records = harvested()
    assert set(records) == {oai_id(with_subject), oai_id(in_collection)}
    subjects = records[oai_id(with_subject)].xpath(".//dc:subject/text()", namespaces=NS)
    assert subjects == ["Cold War, 1945-1991"]
    relations = records[oai_id(in_collection)].xpath(".//dc:relation/text()", namespaces=NS)
    assert relations == ["Cuban Missile Crisis"]

    # A new rights statement text reaches every record that uses it.
    rights = with_subject.rights
    client.force_login(rights_manager)
    client.post(
        reverse("admin:accessions_rightsstatement_change", args=[rights.pk]),
        {"name": rights.name, "statement": "Reuse with credit.", "uri": rights.uri},
    )
    records = harvested()
    assert set(records) == {oai_id(with_subject), oai_id(in_collection), oai_id(untouched)}
    assert records[oai_id(untouched)].xpath(".//dc:rights/text()", namespaces=NS)[0] == (
        "Reuse with credit."
    )


def test_a_change_elsewhere_moves_the_sitemap_lastmod_and_the_feed_updated(client, make_record):
    subject = Subject.objects.create(name="Cold War")
    record = make_record(title="Telegram", subjects=[subject])
    set_updated_at(record, datetime(2020, 6, 1, tzinfo=UTC))
    rename_term(term=subject, name="Détente")
    sitemap = client.get("/sitemap-records-0.xml").content.decode()
    assert "<lastmod>2020-06-01" not in sitemap
    feed = client.get("/feeds/documents.atom").content.decode()
    assert "<updated>2020-06-01" not in feed
    record.refresh_from_db()
    assert record.updated_at.year > 2020
