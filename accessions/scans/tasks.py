"""What follows a scan's ingest, in the background: derivatives, then OCR, retried on failure.

The tasks run inline in development and tests, and by a worker in production.
"""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from accessions.scans.derivatives import run_derivative_attempt
from accessions.scans.models import Scan
from accessions.scans.ocr import ocr_scan_pages, ocr_status


@task
def make_scan_derivatives(scan_id: int) -> bool:
    return run_derivatives(scan_id=scan_id)


@task
def ocr_scan(scan_id: int) -> int:
    return ocr_scan_pages(scan_id=scan_id)


def enqueue_derivatives(*, scan_id: int, delay_seconds: int = 0) -> None:
    task = make_scan_derivatives
    if delay_seconds and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(scan_id)


def enqueue_ocr(*, scan_id: int) -> None:
    if ocr_status().enabled:
        ocr_scan.enqueue(scan_id)


def run_derivatives(*, scan_id: int) -> bool:
    """One try at a scan's derivatives, then OCR when they were made or a retry when not."""
    attempt = run_derivative_attempt(scan_id=scan_id)
    if attempt.made:
        enqueue_ocr(scan_id=scan_id)
    elif attempt.retry_after_seconds is not None:
        enqueue_derivatives(scan_id=scan_id, delay_seconds=attempt.retry_after_seconds)
    return attempt.made


def remake_derivatives(*, scan: Scan) -> bool:
    """Make a scan's derivatives again now, as a fresh series of attempts."""
    Scan.objects.filter(pk=scan.pk).update(
        derivative_attempts=0, derivative_status=Scan.DerivativeStatus.PENDING
    )
    return run_derivatives(scan_id=scan.pk)
