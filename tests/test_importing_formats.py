"""The real formats users bring: the Wilson Center archive export and AtoM accessions CSV."""

import pytest

from accessions.importing.importer import import_records
from accessions.models import Donor, Record, RightsStatement
from tests.conftest import SHARED_DIR

WILSON = SHARED_DIR / "data" / "wilson_center" / "wilson_archive_sample_11.csv"

pytestmark = pytest.mark.django_db


def wilson_file():
    if not WILSON.exists():
        pytest.skip(f"The Wilson Center sample is not here: {WILSON}")
    return WILSON.open("rb")


def test_wilson_center_export_imports_as_draft_records_with_their_ids():
    with wilson_file() as stream:
        report = import_records(stream=stream, source_name=WILSON.name)
    assert report.format == "wilson"
    assert report.counts["create"] == 11
    record = Record.objects.get(record_id=300641)
    assert record.status == Record.Status.DRAFT
    assert record.date_display == "November 24, 1967"
    assert (
        record.original_archive.name
        == "Diplomatic Archives of the Ministry of Foreign Affairs of Japan"
    )
    assert record.original_classification.name == "Secret"
    assert [language.code for language in record.languages.all()] == ["ja"]
    assert "Japan--Foreign relations--Taiwan" in {s.name for s in record.subjects.all()}
    assert "Satō, Eisaku" in {a.name for a in record.people_and_organizations.all()}
    donor = record.donors.get()
    assert donor.name == "Chun & Jane Chiu Family Foundation" and donor.is_funder
    assert record.rights.statement.startswith("The History and Public Policy Program")
    assert str(record.original_upload_date) == "2023-10-05"
    assert Record.objects.get(record_id=300638).date_display == "November 1967"


def test_wilson_center_import_reports_the_columns_it_ignores():
    with wilson_file() as stream:
        report = import_records(stream=stream, dry_run=True)
    assert {"text_body", "credits", "document_url", "scraped_at"} <= set(report.ignored_columns)
    assert not Record.objects.exists()


def test_wilson_center_reimport_changes_nothing():
    with wilson_file() as stream:
        import_records(stream=stream)
    counts = (Record.objects.count(), RightsStatement.objects.count(), Donor.objects.count())
    with wilson_file() as stream:
        report = import_records(stream=stream)
    assert dict(report.counts) == {"unchanged": 11}
    assert counts == (
        Record.objects.count(),
        RightsStatement.objects.count(),
        Donor.objects.count(),
    )
