"""manage.py restore_archive: a damaged bag or a used archive is refused, nothing half-restored."""

import io
from pathlib import Path

import bagit
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from accessions.backup.database import RestoreFailed, _without_our_extension, holds_records
from accessions.catalogue.models import Record
from accessions.scans.ingest import ingest_scan
from accessions.scans.models import Scan
from accessions.scans.storage import scan_storage
from tests.backup.comparing import stored_originals
from tests.engines import run_rq_worker
from tests.scan_files import image_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bag(tmp_path, make_record, django_capture_on_commit_callbacks) -> Path:
    """A bag of a published record with a scan, and of a draft."""
    record = make_record(title="The published telegram")
    with django_capture_on_commit_callbacks(execute=True):
        ingest_scan(
            record=record, upload=upload(image_bytes(size=(120, 160)), "page.jpg"), name="page.jpg"
        )
    make_record(status="draft", title="The draft telegram")
    path = tmp_path / "bags" / "backup"
    path.parent.mkdir()
    call_command("export_archive", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return path


def restore(bag: Path, *options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("restore_archive", str(bag), *options, stdout=out, stderr=err)
    except CommandError as error:
        error.stderr = err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def storage_is_empty() -> bool:
    return stored_originals() == {}


def scan_file(bag: Path) -> Path:
    return next((bag / "data/scans/originals").rglob("*.jpg"))


def test_a_bag_with_a_changed_file_is_refused_naming_the_file_and_both_checksums(bag, elsewhere):
    damaged = scan_file(bag)
    data = bytearray(damaged.read_bytes())
    data[-10] ^= 0xFF
    damaged.write_bytes(bytes(data))
    relative = damaged.relative_to(bag)
    expected = bagit.Bag(str(bag)).entries[str(relative)]["sha256"]
    with elsewhere():
        with pytest.raises(CommandError, match="not a valid bag") as refused:
            restore(bag)
        assert f'DAMAGED: {relative} sha256 validation failed: expected="{expected}"' in (
            refused.value.stderr
        )
        assert "found=" in refused.value.stderr
        assert not holds_records() and storage_is_empty()


def test_a_bag_whose_file_grew_or_went_missing_is_refused_naming_each(bag, elsewhere):
    grown = bag / "data/catalogue/records.csv"
    grown.write_text(grown.read_text() + "99,smuggled row\n")
    missing = scan_file(bag)
    missing.unlink()
    with elsewhere():
        with pytest.raises(CommandError, match="Payload-Oxum") as refused:
            restore(bag)
        assert "DAMAGED: data/catalogue/records.csv sha256 differs: expected=" in (
            refused.value.stderr
        )
        assert f"DAMAGED: {missing.relative_to(bag)} is in the manifest but missing" in (
            refused.value.stderr
        )
        assert not holds_records() and storage_is_empty()


def test_a_bag_with_a_symbolic_link_is_refused_before_anything_is_read(bag, tmp_path, elsewhere):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive")
    (bag / "data/scans/originals/leak.jpg").symlink_to(secret)
    with elsewhere():
        with pytest.raises(CommandError, match="symbolic links") as refused:
            restore(bag)
        assert "DAMAGED: data/scans/originals/leak.jpg is a symbolic link" in refused.value.stderr
        assert not holds_records() and storage_is_empty()


def test_restoring_onto_a_database_that_holds_records_needs_force(bag):
    Record.objects.filter(title="The draft telegram").update(title="Edited after the backup")
    with pytest.raises(CommandError, match="The database holds records"):
        restore(bag)
    assert Record.objects.filter(title="Edited after the backup").exists()
    restore(bag, "--force")
    assert not Record.objects.filter(title="Edited after the backup").exists()
    assert Record.objects.filter(title="The draft telegram").exists()


def test_restoring_into_a_scan_storage_that_holds_files_needs_force(bag, elsewhere):
    with elsewhere():
        scan_storage().save("originals/1/unrelated.jpg", ContentFile(b"someone else's scan"))
        with pytest.raises(CommandError, match="The scan storage holds files"):
            restore(bag)
        assert not holds_records()


def test_a_bag_of_another_kind_of_database_is_refused(tmp_path, elsewhere):
    other = "archive.sqlite3" if connections["default"].vendor == "postgresql" else "archive.pgdump"
    folder = tmp_path / "other"
    (folder / "database").mkdir(parents=True)
    (folder / "database" / other).write_bytes(b"a dump")
    bagit.make_bag(str(folder), checksums=["sha256"])
    with elsewhere():
        with pytest.raises(CommandError, match="restore it into the same kind of database"):
            restore(folder)


def test_a_failed_database_restore_takes_the_restored_scans_out_again(bag, elsewhere, monkeypatch):
    def fails(dump):
        raise RestoreFailed("pg_restore failed (exit 1): disk full")

    monkeypatch.setattr("accessions.backup.restoring.restore_database", fails)
    with elsewhere():
        with pytest.raises(CommandError, match="disk full"):
            restore(bag)
        assert storage_is_empty() and not holds_records()


def test_a_scan_that_changed_before_the_backup_fails_its_fixity_check_on_restore(
    tmp_path, make_record, elsewhere
):
    record = make_record()
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "page.jpg"), name="page.jpg")
    with scan_storage().open(scan.file.name, "wb") as stored:
        stored.write(b"bit rot")
    bag = tmp_path / "bags" / "backup"
    bag.parent.mkdir()
    with pytest.raises(CommandError):
        call_command("export_archive", str(bag), stdout=io.StringIO(), stderr=io.StringIO())
    with elsewhere():
        with pytest.raises(CommandError, match="1 scan\\(s\\) failed their fixity") as failed:
            restore(bag)
        assert f"FIXITY: changed: record {record.record_id}, scan {scan.pk}" in (
            failed.value.stderr
        )
        assert Scan.objects.get(pk=scan.pk).fixity_ok is False


def test_derivatives_are_remade_in_the_background_by_the_task_queue(bag, elsewhere, rq_tasks):
    with elsewhere():
        out, _ = restore(bag)
        assert "derivatives queued for 1 scans" in out
        scan = Scan.objects.get()
        assert scan.derivative_status == Scan.DerivativeStatus.PENDING
        assert not scan.pages.get().web_image
        run_rq_worker()
        scan.refresh_from_db()
        assert scan.derivative_status == Scan.DerivativeStatus.DONE
        assert scan_storage().exists(scan.pages.get().web_image)


def test_the_search_extension_is_left_out_of_a_postgresql_restore_and_made_after():
    # A dump made where the facet aggregate's extension is installed names it; a server
    # restored to may not have it, so pg_restore's list leaves it out (and nothing else),
    # and the restore creates it after where the server has it.
    listing = (
        "; Selected TOC Entries:\n"
        ";\n"
        "2; 3079 17273 EXTENSION - archive_facets \n"
        "3344; 0 0 COMMENT - EXTENSION archive_facets \n"
        "3; 3079 16390 EXTENSION - unaccent \n"
        "3345; 0 0 COMMENT - EXTENSION unaccent \n"
        "228; 1259 16520 TABLE public accessions_archive_facets_notes postgres\n"
    )
    kept = _without_our_extension(listing)
    assert "archive_facets " not in kept.replace("archive_facets_notes", "")
    assert kept.splitlines() == [
        "; Selected TOC Entries:",
        ";",
        "3; 3079 16390 EXTENSION - unaccent ",
        "3345; 0 0 COMMENT - EXTENSION unaccent ",
        "228; 1259 16520 TABLE public accessions_archive_facets_notes postgres",
    ]
