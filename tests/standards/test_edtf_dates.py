"""The EDTF form of a record's date on the standards surfaces: the API and OAI-PMH."""

import pytest
from lxml import etree

from tests.standards.test_oai import NS, oai, oai_id, schemas  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_api_carries_the_edtf_form_of_published_records_only(client, make_record):
    record = make_record(title="Approximate telegram", date_text="c. 1962")
    make_record(status="draft", title="Draft telegram", date_text="1962?")
    detail = client.get(f"/api/records/{record.record_id}/").json()
    assert (detail["date"], detail["date_edtf"]) == ("c. 1962", "1962~")
    listed = client.get("/api/records/").json()["results"]
    assert [(r["title"], r["date_edtf"]) for r in listed] == [("Approximate telegram", "1962~")]


def dc_dates(oai, record) -> list[str]:  # noqa: F811 (the fixture)
    tree = oai(verb="GetRecord", identifier=oai_id(record), metadataPrefix="oai_dc")
    return [element.text for element in tree.iterfind(".//oai_dc:dc/dc:date", NS)]


def test_oai_adds_an_edtf_date_when_it_says_more_than_w3cdtf(oai, make_record):  # noqa: F811
    assert dc_dates(oai, make_record(date_text="1963-11-25")) == ["1963-11-25"]
    assert dc_dates(oai, make_record(date_text="1962~")) == ["1962", "1962~"]
    assert dc_dates(oai, make_record(date_text="1960s")) == ["1960-01-01/1969-12-31", "196X"]
    assert dc_dates(oai, make_record(date_text="undated")) == []


def test_oai_lists_no_draft_whatever_its_date(oai, make_record):  # noqa: F811
    make_record(status="draft", title="Draft", date_text="1962?")
    tree = oai(verb="ListRecords", metadataPrefix="oai_dc")
    assert tree.find(".//oai_dc:dc", NS) is None
    assert b"Draft" not in etree.tostring(tree)
