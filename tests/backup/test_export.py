"""manage.py export_archive: a valid bag of a consistent moment, incremental, never half-made."""

import io
import json
import threading
from pathlib import Path

import bagit
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from accessions.backup.bag import BagWriter
from accessions.backup.exporting import export_archive
from accessions.scans.ingest import ingest_scan
from accessions.scans.storage import scan_storage
from tests.scan_files import image_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scanned(make_record, django_capture_on_commit_callbacks):
    """A published record with a scan whose derivatives are made, and a draft."""
    record = make_record(title="The published telegram")
    with django_capture_on_commit_callbacks(execute=True):
        scan = ingest_scan(
            record=record, upload=upload(image_bytes(size=(120, 160)), "page.jpg"), name="page.jpg"
        )
    draft = make_record(status="draft", title="The draft telegram")
    scan.refresh_from_db()
    return record, scan, draft


def export(bag: Path, *options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_archive", str(bag), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def payload(bag: Path) -> set[str]:
    return {str(path.relative_to(bag)) for path in (bag / "data").rglob("*") if path.is_file()}


def test_the_bag_validates_and_holds_the_database_the_originals_and_open_formats(tmp_path, scanned):
    record, scan, draft = scanned
    bag = tmp_path / "backup"
    out, err = export(bag)
    bagit.Bag(str(bag)).validate()
    dump = "archive.pgdump" if connections["default"].vendor == "postgresql" else "archive.sqlite3"
    files = payload(bag)
    assert f"data/database/{dump}" in files
    assert (bag / "data/scans" / scan.file.name).read_bytes() == scan_storage().open(
        scan.file.name
    ).read()
    # Derivatives are remade on restore, so they are left out unless asked for.
    assert not [name for name in files if "/derivatives/" in name]
    records_csv = (bag / "data/catalogue/records.csv").read_text()
    assert "The draft telegram" in records_csv and "draft" in records_csv
    rows = [
        json.loads(line)
        for line in (bag / "data/catalogue/tables/accessions_record.jsonl").read_text().splitlines()
    ]
    assert {row["fields"]["title"] for row in rows} == {record.title, draft.title}
    assert (bag / "data/catalogue/tables/accessions_record_languages.jsonl").is_file()
    assert "2 records" in out and "1 copied" in out
    assert "scans: 1/1" in err


def test_with_derivatives_the_bag_keeps_the_derivative_images_too(tmp_path, scanned):
    record, scan, draft = scanned
    bag = tmp_path / "backup"
    export(bag, "--with-derivatives")
    bagit.Bag(str(bag)).validate()
    page = scan.pages.get()
    for name in (page.thumbnail, page.web_image, page.zoom_image):
        assert (bag / "data/scans" / name).read_bytes() == scan_storage().open(name).read()


def test_a_second_export_reuses_scans_the_bag_there_holds_with_the_same_checksum(
    tmp_path, scanned, monkeypatch
):
    record, scan, draft = scanned
    bag = tmp_path / "backup"
    export(bag)
    out, _ = export(bag)
    assert "0 copied, 1 reused" in out
    bagit.Bag(str(bag)).validate()
    # A copy in the old bag that no longer matches is read from the storage again.
    (bag / "data/scans" / scan.file.name).write_bytes(b"rotted")
    out, _ = export(bag)
    assert "1 copied, 0 reused" in out
    bagit.Bag(str(bag)).validate()


def test_an_interrupted_export_keeps_the_previous_bag_and_leaves_no_partial_one(
    tmp_path, scanned, monkeypatch
):
    bag = tmp_path / "bags" / "backup"
    bag.parent.mkdir()
    export(bag)
    before = (bag / "manifest-sha256.txt").read_text()

    def power_cut(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("accessions.backup.exporting._copy_originals", power_cut)
    with pytest.raises(KeyboardInterrupt):
        export(bag)
    assert (bag / "manifest-sha256.txt").read_text() == before
    bagit.Bag(str(bag)).validate()
    assert [path.name for path in bag.parent.iterdir()] == ["backup"]


def test_a_bag_killed_before_its_tag_manifest_is_nowhere_near_the_destination(tmp_path):
    destination = tmp_path / "backup"
    writer = BagWriter(destination)
    with writer.text_file("catalogue/records.csv") as text:
        text.write("record_id\n")
    # The process dies here: no close().
    assert not destination.exists()
    assert not (writer.work / "tagmanifest-sha256.txt").exists()
    with pytest.raises(bagit.BagError):
        bagit.Bag(str(writer.work)).validate()


def test_the_export_refuses_a_folder_that_is_not_a_bag(tmp_path, scanned):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not a bag"):
        export(folder)
    assert [path.name for path in folder.iterdir()] == ["thesis.txt"]


def test_the_export_reads_one_moment_while_staff_keep_working(tmp_path, scanned, make_record):
    made = []

    def staff_add_a_record():
        made.append(make_record(title="Written while the backup ran").record_id)
        connections.close_all()

    def progress(stage, done, total):
        # The database dump is written: a cataloguer now adds a record.
        if stage == "database":
            worker = threading.Thread(target=staff_add_a_record)
            worker.start()
            worker.join()

    bag = tmp_path / "backup"
    report = export_archive(destination=bag, progress=progress)
    assert made, "the cataloguer's record was saved during the export"
    assert report.records == 2
    assert "Written while the backup ran" not in (bag / "data/catalogue/records.csv").read_text()
    bagit.Bag(str(bag)).validate()


def test_a_scan_changed_in_the_storage_is_reported_and_the_command_fails(tmp_path, scanned):
    record, scan, draft = scanned
    with scan_storage().open(scan.file.name, "wb") as stored:
        stored.write(b"not the original any more")
    bag = tmp_path / "backup"
    err = io.StringIO()
    with pytest.raises(CommandError, match="did not match their recorded fixity"):
        call_command("export_archive", str(bag), stdout=io.StringIO(), stderr=err)
    assert f"scan {scan.pk}: {scan.file.name} has SHA-256" in err.getvalue()
    assert f"recorded {scan.sha256}" in err.getvalue()
    # The bag holds what the storage holds, and says so truthfully.
    bagit.Bag(str(bag)).validate()
