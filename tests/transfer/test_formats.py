"""The real formats users bring: the Wilson Center archive export and AtoM accessions CSV."""

import io

import pytest

from accessions.models import Accession, Agent, Donor, Record, RightsStatement
from accessions.transfer.importer import ImportRejected, import_records
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
    nehru = Record.objects.get(record_id=300653).main_text()
    assert nehru.is_primary and nehru.body.startswith("Secret.\nF.N.33.")


def test_wilson_center_names_become_people_in_parts_and_whole_organisations():
    with wilson_file() as stream:
        import_records(stream=stream, source_name=WILSON.name)
    agents = {agent.name: agent for agent in Agent.objects.all()}
    nehru = agents["Nehru, Jawaharlal"]
    assert (nehru.kind, nehru.family_name, nehru.given_name) == ("person", "Nehru", "Jawaharlal")
    chiang = agents["Chiang, Ching-kuo (Jiang Jingguo)"]
    assert (chiang.family_name, chiang.given_name, chiang.family_name_first) == (
        "Chiang",
        "Ching-kuo",
        True,
    )
    for name in ("Japan. Foreign Ministry", "Japan-China Import-Export Association"):
        assert agents[name].kind == "organization" and agents[name].family_name == ""


def test_wilson_center_import_reports_the_columns_it_ignores():
    with wilson_file() as stream:
        report = import_records(stream=stream, dry_run=True)
    assert {"credits", "document_url", "scraped_at"} <= set(report.ignored_columns)
    assert "text_body" not in report.ignored_columns
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


ATOM = SHARED_DIR / "data" / "atom" / "example_accessions.csv"


def atom_file():
    if not ATOM.exists():
        pytest.skip(f"The AtoM example is not here: {ATOM}")
    return ATOM.open("rb")


def test_atom_accessions_csv_creates_accessions_and_private_donors():
    with atom_file() as stream:
        report = import_records(stream=stream, source_name=ATOM.name)
    assert report.format == "atom" and report.counts["create"] == 2
    first = Accession.objects.get(title="Example Title")
    assert first.date_received.isoformat() == "2010-01-29"
    assert first.acquisition_method == Accession.AcquisitionMethod.TRANSFER
    assert first.processing_status == Accession.ProcessingStatus.PROCESSED
    assert first.processing_priority == Accession.Priority.HIGH
    assert first.number.startswith("2010-")
    assert "AtoM accession number: Example Accession Number" in first.notes
    donor = first.donors.get()
    assert (donor.name, donor.is_funder) == ("Example Donor Name", False)
    assert donor.email == ""  # "Example Email" is no address; it is kept in the notes
    assert "Email as given: Example Email" in donor.contact_notes
    assert "Contact person: Example Donor Contact Person 1" in donor.contact_notes
    assert donor.address.startswith("Example Donor Street Address, New Westminster")
    second = Accession.objects.get(title="Example Title 2")
    assert second.acquisition_method == Accession.AcquisitionMethod.LOAN  # AtoM "Deposit"
    assert "culture" in report.ignored_columns and "creators" in report.ignored_columns


def test_atom_reimport_changes_nothing():
    with atom_file() as stream:
        import_records(stream=stream)
    before = (list(Accession.objects.values()), Donor.objects.count())
    with atom_file() as stream:
        report = import_records(stream=stream)
    assert dict(report.counts) == {"unchanged": 2}
    assert before == (list(Accession.objects.values()), Donor.objects.count())


def test_atom_row_with_a_partial_date_imports_nothing():
    content = (
        b"accessionNumber,title,acquisitionDate\nA-1,Good one,2016-03-01\nA-2,Partial,2016-00-00\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_records(stream=io.BytesIO(content))
    error = caught.value.report.errors[0]
    assert (error.row, error.column) == (3, "acquisitionDate") and "partial" in error.message
    assert not Accession.objects.exists()


def test_wilson_row_with_a_broken_json_list_names_its_row_and_column():
    content = (
        b"record_id,title,original_publication_date,associated_places,original_archive_title\n"
        b'1,Fine,1962,"[""Cuba""]","[""Archive""]"\n'
        b'2,Broken,1962,"[""Cuba""","[""A"", ""B""]"\n'
    )
    report = import_records(stream=io.BytesIO(content), dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "associated_places"),
        (3, "original_archive_title"),
    ]
    assert "not a valid JSON list" in report.errors[0].message
    assert "takes one value, not 2" in report.errors[1].message
