"""The import_records and export_records commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from accessions.models import Record

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_command_dry_run_reports_rows_and_writes_nothing(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("title,date\nOne,1962\nTwo,1963\n", encoding="utf-8")
    out = command("import_records", str(path), "--dry-run")
    assert "Would create 2" in out
    assert "row 2: create" in out and "Dry run: no errors" in out
    assert not Record.objects.exists()


def test_import_command_imports_and_shows_progress(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("title,date\nOne,1962\nTwo,1963\n", encoding="utf-8")
    out = command("import_records", str(path))
    assert "2 rows checked (100% of the file)" in out
    assert "Did create 2" in out
    assert Record.objects.count() == 2


def test_import_command_lists_row_errors_and_fails(tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("title,date\nOne,1962\nTwo,never\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 1 error"):
        call_command("import_records", str(path), stdout=out)
    assert "Row 3, column “date”" in out.getvalue()
    assert not Record.objects.exists()


def test_import_command_refuses_a_binary_file(tmp_path):
    path = tmp_path / "scan.csv"
    path.write_bytes(b"%PDF-1.7\n\x00\x01")
    with pytest.raises(CommandError, match="PDF"):
        command("import_records", str(path))


def test_import_command_publishing_needs_a_user_who_may_publish(tmp_path, rights_statement):
    path = tmp_path / "records.csv"
    path.write_text(
        "title,date,summary,rights,status\nOne,1962,Summary,Research reuse,published\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        command("import_records", str(path))
    assert not Record.objects.exists()


def test_export_command_writes_published_records_unless_asked_for_all(make_record):
    published = make_record(status="published", title="Public one")
    make_record(status="draft", title="Draft one", staff_notes="secret note")
    out = command("export_records")
    assert "Public one" in out and "Draft one" not in out and "secret note" not in out
    staff = command("export_records", "--all-statuses")
    assert "Draft one" in staff and "secret note" in staff
    assert str(published.record_id) in command("export_records", "--format", "json")


def test_import_command_refuses_a_200_megabyte_file_before_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as huge:
        huge.write(b"title\nA\n")
        huge.truncate(200 * 1024 * 1024)  # sparse: takes no disk space
    with pytest.raises(CommandError, match="200 MB; the largest file accepted is 100 MB"):
        command("import_records", str(path))
    assert not Record.objects.exists()
