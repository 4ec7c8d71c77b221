"""Derivatives through the production queue: RQ on a real Redis, run by a real RQ worker."""

import django_rq
import pytest
from rq.registry import ScheduledJobRegistry

from accessions.scans.ingest import ingest_scan
from accessions.scans.models import Scan, scan_storage
from tests.engines import run_rq_worker
from tests.scan_files import image_bytes, upload

# The worker closes its database connections after each job, as a long-running process
# should; that would end a test's wrapping transaction, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def ocr_off(settings):
    settings.TESSERACT_COMMAND = ""


def test_derivatives_wait_in_redis_until_a_worker_makes_them(rq_tasks, make_record):
    record = make_record()
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    assert django_rq.get_queue("default").count == 1
    assert not scan.pages.get().is_ready

    run_rq_worker()

    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE
    assert scan.pages.get().is_ready
    assert django_rq.get_queue("default").count == 0


def test_a_failed_derivative_task_is_scheduled_again_in_redis(rq_tasks, make_record):
    record = make_record()
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    with scan_storage().open(scan.file.name, "wb") as original:
        original.write(b"damaged")

    run_rq_worker()

    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.FAILED
    assert "Attempt 1: UnidentifiedImageError" in scan.derivative_error
    # The retry waits in RQ's schedule until its time; the worker's scheduler queues it then.
    assert ScheduledJobRegistry(queue=django_rq.get_queue("default")).count == 1
