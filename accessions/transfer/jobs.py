"""Import jobs for the admin: preview an uploaded file, then import it as a background task."""

import logging

from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.tasks import task
from django.utils import timezone

from accessions.transfer.importer import ImportRejected, import_records
from accessions.transfer.models import ImportJob
from accessions.transfer.reader import ImportFileError, max_import_bytes

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 2000


def preview_import(*, upload: UploadedFile, user, format_name: str = "auto") -> ImportJob:
    """Dry-run an uploaded file and keep it with its preview; raise ImportFileError if unusable.

    A file that cannot be read is not kept.
    """
    limit = max_import_bytes()
    if upload.size > limit:
        raise ImportFileError(
            f"The file is {upload.size / 1024 / 1024:.0f} MB; the largest file accepted is "
            f"{limit / 1024 / 1024:.0f} MB. Split it into smaller files."
        )
    upload.seek(0)
    report = import_records(
        stream=upload, user=user, format_name=format_name, dry_run=True, source_name=upload.name
    )
    upload.seek(0)
    return ImportJob.objects.create(
        file=upload,
        original_name=upload.name[:255],
        format=report.format,
        status=ImportJob.Status.PREVIEWED,
        rows_total=report.rows,
        created_count=report.counts["create"],
        updated_count=report.counts["update"],
        unchanged_count=report.counts["unchanged"],
        error_count=report.error_count,
        preview=report.as_dict(),
        created_by=user,
    )


def start_import(*, job: ImportJob) -> ImportJob:
    """Queue a previewed, error-free job for import; the task does the work."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.PREVIEWED:
            raise ValueError(f"This import is already {locked.get_status_display().lower()}.")
        if locked.error_count:
            raise ValueError("Fix the errors the preview lists and upload the file again.")
        locked.status = ImportJob.Status.QUEUED
        locked.save(update_fields=["status"])
    # After the commit, so that a worker in another process sees the queued job.
    transaction.on_commit(lambda: run_import_job.enqueue(job_id=job.pk))
    job.refresh_from_db()
    return job


def _progress_reporter(job_pk: int):
    """A callback that records rows done where the admin can see them during the import.

    The import runs in one transaction, so progress goes through a second connection in
    autocommit mode. SQLite allows one writer at a time; there the count shows at the end.
    """
    if connection.vendor != "postgresql":
        return (lambda rows: None), (lambda: None)
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    sql = f"UPDATE {side.ops.quote_name(ImportJob._meta.db_table)} SET rows_done = %s WHERE id = %s"

    def progress(rows: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(sql, [rows, job_pk])

    return progress, side.close


def run_import(*, job_id: int) -> ImportJob:
    """Import a queued job's file, recording progress and the result on the job."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.QUEUED:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, rows_done=0)
    progress, close_progress = _progress_reporter(job.pk)
    fields = {"finished_at": None}
    try:
        with job.file.open("rb") as stream:
            report = import_records(
                stream=stream,
                user=job.created_by,
                format_name=job.format or "auto",
                source_name=job.original_name,
                progress=progress,
            )
    except ImportRejected as rejected:
        report = rejected.report
        fields.update(status=ImportJob.Status.FAILED, error_count=report.error_count)
    except ImportFileError as error:
        report = None
        fields.update(status=ImportJob.Status.FAILED, result={"file_error": str(error)})
    else:
        fields.update(status=ImportJob.Status.SUCCEEDED, rows_done=report.rows)
    finally:
        close_progress()
    if report is not None:
        fields.update(
            result=report.as_dict(),
            rows_total=report.rows,
            created_count=report.counts["create"],
            updated_count=report.counts["update"],
            unchanged_count=report.counts["unchanged"],
        )
    fields["finished_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    logger.info("Import job %s finished: %s", job.pk, fields["status"])
    job.refresh_from_db()
    return job


@task
def run_import_job(*, job_id: int) -> str:
    """The background half of an import: run the queued job, inline or by a worker."""
    return run_import(job_id=job_id).status
