"""Record export: streamed CSV and JSON, published only on public surfaces, and round trips."""

import csv
import io
import json

import pytest
from django.urls import reverse

from accessions.models import Agent, Collection, Language, Place, Record, Repository, Subject
from accessions.transfer.exporting import STAFF_COLUMNS, csv_lines
from accessions.transfer.importer import import_records

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def described_record(make_record):
    record = make_record(
        status="published",
        title="Telegram, with “quotes”, commas | and a pipe-free title",
        summary="Line one.\nLine two, with a comma.",
        source="Archive of the President, fond 3",
        original_archive=Repository.objects.create(name="Archive of the President"),
    )
    record.subjects.set(
        [Subject.objects.create(name="Cuba--History"), Subject.objects.create(name="Nuclear")]
    )
    record.authors.set([Agent.objects.create(name="Khrushchev, Nikita")])
    record.places.set([Place.objects.create(name="Москва")])
    record.languages.set(Language.objects.filter(code__in=["ru", "en"]))
    return record


def test_export_then_import_changes_nothing(described_record, make_record):
    make_record(status="draft", title="A draft", staff_notes="Check the date")
    make_record(status="withdrawn", title="Withdrawn one", date_text="c. 1962")
    before = list(Record.objects.order_by("record_id").values())
    exported = "".join(csv_lines(Record.objects.all(), STAFF_COLUMNS))
    report = import_records(stream=io.BytesIO(exported.encode()), source_name="export.csv")
    assert dict(report.counts) == {"unchanged": 3}
    assert list(Record.objects.order_by("record_id").values()) == before


def test_an_edited_export_updates_only_the_edited_record(described_record, make_record):
    other = make_record(status="draft", title="Untouched")
    exported = "".join(csv_lines(Record.objects.all(), STAFF_COLUMNS))
    edited = exported.replace("Line one.", "Line one, corrected.")
    report = import_records(stream=io.BytesIO(edited.encode()))
    assert [(o.record_id, o.action) for o in report.outcomes] == [
        (described_record.record_id, "update"),
        (other.record_id, "unchanged"),
    ]
    described_record.refresh_from_db()
    assert described_record.summary.startswith("Line one, corrected.")


def test_public_search_export_holds_published_records_only(client, make_record):
    published = make_record(status="published", title="Public telegram")
    make_record(status="draft", title="Draft telegram", staff_notes="internal")
    make_record(status="in_review", title="Review telegram")
    make_record(status="withdrawn", title="Withdrawn telegram")
    response = client.get(reverse("accessions:search_export", args=["csv"]), {"q": "telegram"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [row["record_id"] for row in rows] == [str(published.record_id)]
    assert "staff_notes" not in rows[0] and "status" not in rows[0]


def test_public_json_export_holds_published_records_only(client, make_record):
    published = make_record(status="published")
    make_record(status="draft")
    make_record(status="withdrawn")
    response = client.get(reverse("accessions:search_export", args=["json"]))
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(body(response))
    assert [item["record_id"] for item in data] == [published.record_id]
    assert isinstance(data[0]["subjects"], list)


def test_collection_export_holds_its_published_records_only(client, make_record):
    collection = Collection.objects.create(name="Cuban Missile Crisis")
    published = make_record(status="published", collections=[collection])
    for status in ("draft", "in_review", "withdrawn"):
        make_record(status=status, collections=[collection])
    make_record(status="published", title="Outside the collection")
    url = reverse("accessions:collection_export", args=[collection.slug, "csv"])
    rows = list(csv.DictReader(io.StringIO(body(client.get(url)))))
    assert [row["record_id"] for row in rows] == [str(published.record_id)]


def test_collection_without_published_records_has_no_export(client, make_record):
    collection = Collection.objects.create(name="Hidden")
    make_record(status="draft", collections=[collection])
    url = reverse("accessions:collection_export", args=[collection.slug, "csv"])
    assert client.get(url).status_code == 404


def test_unknown_export_format_is_a_404(client):
    assert client.get("/search/export.xlsx").status_code == 404


def test_export_queries_do_not_grow_with_the_number_of_records(
    client, make_record, django_assert_num_queries
):
    for n in range(5):
        make_record(status="published", title=f"Record {n}")
    with django_assert_num_queries(9):
        body(client.get(reverse("accessions:search_export", args=["csv"])))


FORMULAS = {
    "title": '=HYPERLINK("http://evil.example","Click")',
    "summary": "+1+1",
    "source": "-2+3",
    "staff_notes": "@SUM(A1)",
}


@pytest.fixture
def formula_record(make_record):
    record = make_record(status="draft", **FORMULAS)
    record.subjects.set([Subject.objects.create(name="=cmd' /C calc'!A0")])
    make_record(status="draft", title="'=already guarded by hand", summary="'Tis a plain quote")
    return record


def exported_rows(columns=STAFF_COLUMNS) -> list[dict]:
    exported = "".join(csv_lines(Record.objects.all(), columns))
    return list(csv.DictReader(io.StringIO(exported)))


def test_cells_that_would_start_a_spreadsheet_formula_are_written_after_an_apostrophe(
    formula_record,
):
    first, second = exported_rows()
    for column, value in FORMULAS.items():
        assert first[column] == "'" + value
    assert first["subjects"] == "'=cmd' /C calc'!A0"
    assert second["title"] == "''=already guarded by hand"
    assert second["summary"] == "'Tis a plain quote"
    assert all(
        not cell.startswith(("=", "+", "-", "@"))
        for row in (first, second)
        for cell in row.values()
    )


def test_public_csv_exports_guard_formulas_too(client, make_record):
    make_record(title="=1+1")
    for url in ("/search/export.csv",):
        rows = list(csv.DictReader(io.StringIO(body(client.get(url)))))
        assert rows[0]["title"] == "'=1+1"


def test_an_export_with_guarded_cells_imports_back_unchanged(formula_record):
    before = list(Record.objects.order_by("record_id").values())
    subjects = list(Subject.objects.values_list("name", flat=True))
    exported = "".join(csv_lines(Record.objects.all(), STAFF_COLUMNS))
    report = import_records(stream=io.BytesIO(exported.encode()), source_name="export.csv")
    assert dict(report.counts) == {"unchanged": 2}
    assert list(Record.objects.order_by("record_id").values()) == before
    assert list(Subject.objects.values_list("name", flat=True)) == subjects


def test_exports_carry_the_edtf_form_beside_the_date(client, make_record):
    make_record(title="Circa telegram", date_text="c. 1962")
    response = client.get(reverse("accessions:search_export", args=["csv"]), {"q": "telegram"})
    (row,) = csv.DictReader(io.StringIO(body(response)))
    assert (row["date"], row["date_edtf"]) == ("c. 1962", "1962~")
    response = client.get(reverse("accessions:search_export", args=["json"]), {"q": "telegram"})
    (item,) = json.loads(body(response))
    assert item["date_edtf"] == "1962~"
