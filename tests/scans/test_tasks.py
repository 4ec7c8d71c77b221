"""Derivatives through the production task backend: stored in the database, run by db_worker."""

import pytest
from asgiref.local import Local
from django.core.management import call_command
from django.tasks import task_backends

from accessions.models import Language
from accessions.scans.ingest import ingest_scan
from accessions.scans.models import Scan
from tests.scan_files import image_bytes, upload

# The worker closes its database connection after each task, as a long-running process
# should; that ends a test's wrapping transaction on PostgreSQL, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def _forget_task_backends():
    # Django caches task backends and has no setting_changed hook for TASKS (6.1).
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture
def database_tasks(settings):
    settings.TESSERACT_COMMAND = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _forget_task_backends()
    # A transactional test flushes what migrations made; the record needs its language back.
    Language.objects.get_or_create(code="en", defaults={"name": "English"})
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    _forget_task_backends()


def test_derivatives_wait_for_the_worker_then_appear(database_tasks, make_record):
    from django_tasks_db.models import DBTaskResult

    record = make_record(status="draft")
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert not scan.pages.get().is_ready

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE
    assert scan.pages.get().is_ready
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_failed_derivative_task_is_scheduled_again_later_with_its_error_recorded(
    database_tasks, make_record
):
    from pathlib import Path

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from accessions.scans.models import scan_storage

    record = make_record(status="draft")
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    Path(scan_storage().path(scan.file.name)).write_bytes(b"damaged")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.FAILED
    assert scan.derivative_attempts == 1
    assert "Attempt 1: UnidentifiedImageError" in scan.derivative_error
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now()
