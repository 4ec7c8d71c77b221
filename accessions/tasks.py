"""Background tasks: run inline in development and tests, by a database worker in production."""

from django.tasks import task

from accessions.derivatives import run_derivative_attempt
from accessions.ocr import ocr_scan_pages


@task
def make_scan_derivatives(scan_id: int) -> bool:
    return run_derivative_attempt(scan_id=scan_id)


@task
def ocr_scan(scan_id: int) -> int:
    return ocr_scan_pages(scan_id=scan_id)
