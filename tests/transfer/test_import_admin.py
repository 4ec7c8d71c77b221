"""The admin's import (upload → preview → confirm → result) and its export of a selection."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from accessions.models import ImportJob, Record

pytestmark = pytest.mark.django_db
UPLOAD = reverse("admin:accessions_importjob_upload")


@pytest.fixture(autouse=True)
def import_files_root(settings, tmp_path):
    settings.IMPORT_FILES_ROOT = tmp_path / "imports"
    return settings.IMPORT_FILES_ROOT


def upload(client, content: bytes, name: str = "records.csv"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content), "format": "auto"})


def test_upload_previews_without_writing_then_confirm_imports(
    client, cataloguer, django_capture_on_commit_callbacks
):
    client.force_login(cataloguer)
    response = upload(client, b"title,date\nFirst,1962\nSecond,1963-11\n")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accessions_importjob_preview", args=[job.pk])
    preview = client.get(response["Location"])
    assert "Create: 2" in preview.text and "Import 2 rows" in preview.text
    assert not Record.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(reverse("admin:accessions_importjob_confirm", args=[job.pk]))
    assert confirm["Location"] == reverse("admin:accessions_importjob_result", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.percent_done == 100
    assert sorted(Record.objects.values_list("title", "status")) == [
        ("First", "draft"),
        ("Second", "draft"),
    ]
    result = client.get(confirm["Location"])
    assert "All rows were imported." in result.text
    assert 'value="100"' in result.text


def test_preview_with_errors_lists_them_and_offers_no_import(client, cataloguer):
    client.force_login(cataloguer)
    response = upload(client, b"title,date\nFirst,1962\nSecond,not a date\n")
    preview = client.get(response["Location"])
    assert "Row 3, column “date”" in preview.text
    assert "Import 2 rows" not in preview.text
    job = ImportJob.objects.get()
    response = client.post(reverse("admin:accessions_importjob_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    assert "Fix the errors" in client.get(response["Location"]).text
    assert not Record.objects.exists()


def test_confirming_twice_imports_once(client, cataloguer, django_capture_on_commit_callbacks):
    client.force_login(cataloguer)
    upload(client, b"title\nOnly once\n")
    job = ImportJob.objects.get()
    confirm = reverse("admin:accessions_importjob_confirm", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm)
    assert Record.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.5 binary", "PDF document"),
        (b"\x00\x01\x02\x03", "binary file"),
        (b"title,shoe size\nA,9\n", "Unknown column"),
        ("title\nCaf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_upload_is_a_400_with_the_reason_and_keeps_nothing(
    client, cataloguer, content, message
):
    client.force_login(cataloguer)
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.text
    assert not ImportJob.objects.exists() and not Record.objects.exists()


def test_oversized_upload_is_refused(client, cataloguer, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(cataloguer)
    response = upload(client, b"title\n" + b"A long title\n" * 50)
    assert response.status_code == 400 and "largest file accepted" in response.text
    assert not ImportJob.objects.exists()


def test_import_pages_need_login_and_the_import_permissions(client, staff_without_role):
    assert client.get(UPLOAD).status_code == 302
    client.force_login(staff_without_role)
    assert client.get(UPLOAD).status_code == 403


def test_admin_export_of_a_selection_includes_every_status(client, cataloguer, make_record):
    records = [make_record(status=s) for s in ("draft", "published", "withdrawn")]
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_record_changelist"),
        {"action": "export_selected_csv", "_selected_action": [r.pk for r in records]},
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["status"] for row in rows) == ["draft", "published", "withdrawn"]


def test_admin_export_is_refused_without_view_permission(client, staff_without_role, make_record):
    record = make_record(status="draft")
    client.force_login(staff_without_role)
    response = client.post(
        reverse("admin:accessions_record_changelist"),
        {"action": "export_selected_csv", "_selected_action": [record.pk]},
    )
    assert response.status_code == 403


def test_import_checks_permissions_again_when_it_runs(
    client, editor, rights_statement, django_capture_on_commit_callbacks, django_user_model
):
    client.force_login(editor)
    upload(client, b"title,date,summary,rights,status\nA,1962,Text,Research reuse,published\n")
    job = ImportJob.objects.get()
    assert job.error_count == 0
    editor.groups.clear()
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_record", "change_record", "view_record"])
    )
    client.force_login(django_user_model.objects.get(pk=editor.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:accessions_importjob_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "permission to publish" in job.result["errors"][0]["message"]
    assert not Record.objects.exists()
    assert (
        "Nothing was imported."
        in client.get(reverse("admin:accessions_importjob_result", args=[job.pk])).text
    )


def test_uploaded_files_are_kept_outside_the_public_media_folder(
    client, cataloguer, settings, import_files_root
):
    client.force_login(cataloguer)
    upload(client, b"title,staff_notes\nDraft,Internal only\n")
    job = ImportJob.objects.get()
    path = job.file.path
    assert path.startswith(str(import_files_root))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="not accessible via a URL"):
        job.file.storage.url(job.file.name)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time.")
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_while_the_import_runs(cataloguer, monkeypatch):
    from accessions.transfer import jobs

    rows = b"".join(b"Record %d\n" % n for n in range(5000))
    job = jobs.preview_import(
        upload=SimpleUploadedFile("r.csv", b"title\n" + rows), user=cataloguer
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    seen = []
    real_import = jobs.import_records

    def import_watched_from_outside(**kwargs):
        report_progress = kwargs.pop("progress")

        def progress(done):
            report_progress(done)
            observer = connections.create_connection("default")
            try:
                with observer.cursor() as cursor:
                    cursor.execute(
                        "SELECT rows_done FROM accessions_importjob WHERE id = %s", [job.pk]
                    )
                    seen.append(cursor.fetchone()[0])
            finally:
                observer.close()

        return real_import(progress=progress, **kwargs)

    monkeypatch.setattr(jobs, "import_records", import_watched_from_outside)
    jobs.run_import(job_id=job.pk)
    assert seen == [2000, 4000, 5000]
    assert Record.objects.count() == 5000


def test_atom_accessions_go_through_the_same_preview_and_confirm(
    client, cataloguer, django_capture_on_commit_callbacks
):
    from accessions.models import Accession
    from tests.conftest import SHARED_DIR

    atom = SHARED_DIR / "data" / "atom" / "example_accessions.csv"
    if not atom.exists():
        pytest.skip(f"The AtoM example is not here: {atom}")
    client.force_login(cataloguer)
    preview = client.get(upload(client, atom.read_bytes(), atom.name)["Location"])
    assert "Create: 2" in preview.text and "Columns ignored:" in preview.text
    assert not Accession.objects.exists()
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:accessions_importjob_confirm", args=[job.pk]))
    assert Accession.objects.count() == 2


def test_an_import_jobs_own_admin_page_shows_without_a_link_to_the_private_file(client, cataloguer):
    client.force_login(cataloguer)
    upload(client, b"title,date\nFirst,1962\n", name="private-notes.csv")
    job = ImportJob.objects.get()
    response = client.get(reverse("admin:accessions_importjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "private-notes.csv" in response.text
    assert job.file.name not in response.text
