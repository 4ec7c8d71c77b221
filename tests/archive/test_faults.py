"""Faults: Redis, S3 or a worker stops; pages still answer, no task is lost, no email doubles.

The read replica's own fault is in test_database_routing.py, beside the replica it stops.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accessions.catalogue import page_cache
from accessions.catalogue.workflow import transition_record
from accessions.inquiries.outbox import send_due_emails
from accessions.inquiries.submission import submit_inquiry
from accessions.models import OutgoingEmail, RightsInquiry, Scan
from accessions.scans.fixity import check_fixity
from accessions.scans.ingest import ScanRejected, ingest_scan
from accessions.scans.tasks import run_derivatives
from tests.engines import (
    kill_worker,
    run_rq_worker,
    start_rq_worker_process,
    wait_until,
    worker_environment,
)
from tests.scan_files import image_bytes, upload

pytestmark = pytest.mark.django_db

TITLE = "Telegram about the blockade"


@pytest.fixture(autouse=True)
def ocr_off(settings):
    settings.TESSERACT_COMMAND = ""


@pytest.fixture(autouse=True)
def cache_trusted_again(monkeypatch):
    monkeypatch.setattr(page_cache, "_cache_down_until", 0.0)


def submit(record) -> RightsInquiry:
    return submit_inquiry(
        record=record,
        name="Ada Historian",
        email="ada@example.edu",
        intended_use="research",
        message="May I reuse this?",
        record_url="http://archive.example/document/1/",
    )


def test_pages_answer_while_the_cache_is_down_and_a_withdrawal_still_holds(
    client, redis_cache, make_record, editor
):
    record = make_record(title=TITLE)
    pages = [reverse("accessions:home"), reverse("accessions:search"), record.get_absolute_url()]
    for url in pages:
        client.get(url)
    redis_cache.stop()

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert TITLE in response.content.decode()
        assert "X-Archive-Cache" not in response
    # The write stands though its cached pages could not be dropped.
    transition_record(record=record, action="withdraw", user=editor)
    assert client.get(record.get_absolute_url()).status_code == 410
    assert TITLE not in client.get(reverse("accessions:home")).content.decode()
    ready = client.get(reverse("readyz"))
    assert ready.status_code == 200 and ready.json()["checks"]["cache"].startswith("unavailable")

    # Redis back (empty, as it restarts without persistence): pages are cached again.
    redis_cache.start()
    page_cache._cache_down_until = 0.0
    assert client.get(reverse("accessions:home"))["X-Archive-Cache"] == "miss"
    assert client.get(reverse("accessions:home"))["X-Archive-Cache"] == "hit"


@pytest.mark.django_db(transaction=True)
def test_emails_queued_while_the_queue_is_down_are_sent_once_by_the_sweep(
    rq_tasks, smtp_server, make_record
):
    rq_tasks.stop()
    inquiry = submit(make_record())
    # Stored with its emails whatever the queue: the emails wait, pending, in the outbox.
    assert set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.PENDING}
    rq_tasks.start()
    run_rq_worker()
    assert smtp_server.received == []
    # send_pending_emails, run every few minutes, finds them.
    call_command("send_pending_emails", stdout=open("/dev/null", "w"))
    call_command("send_pending_emails", stdout=open("/dev/null", "w"))
    run_rq_worker()
    assert sorted(tuple(m.rcpt_tos) for m in smtp_server.received) == [
        ("ada@example.edu",),
        ("rights@example.org",),
    ]


@pytest.mark.django_db(transaction=True)
def test_scans_attached_while_the_queue_is_down_get_their_images_from_the_sweep(
    rq_tasks, make_record
):
    record = make_record()
    rq_tasks.stop()
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    assert scan.derivative_status == Scan.DerivativeStatus.PENDING
    rq_tasks.start()
    call_command("make_derivatives", "--pending", stdout=open("/dev/null", "w"))
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_loses_no_email_and_sends_none_twice(
    rq_tasks, smtp_server, make_record, tmp_path
):
    """Two workers are killed with SIGKILL while their emails are half-way to the server.

    RQ does not run a dead worker's job again; the email's row is what is not lost: its
    transaction rolled back, it is still pending, and the sweep (send_pending_emails) sends
    it, once.
    """
    if connection.vendor != "postgresql":
        pytest.skip("The worker processes need a database they can share: PostgreSQL.")
    smtp_server.handler.stalls = 2
    inquiry = submit(make_record())
    env = worker_environment(
        redis_url=rq_tasks.url, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_server.port)
    )
    for number in (1, 2):
        worker = start_rq_worker_process(env, tmp_path / f"worker-{number}.log")
        try:
            assert smtp_server.handler.stalled.wait(timeout=60), (
                tmp_path / f"worker-{number}.log"
            ).read_text()
        finally:
            kill_worker(worker)
        smtp_server.handler.stalled.clear()
    assert smtp_server.received == []
    # Each killed transaction rolled back: both emails wait, pending, with no attempt counted.
    assert list(inquiry.emails.values_list("status", "attempts")) == [("pending", 0)] * 2

    # The sweep skips a row while a dead worker's session still holds its lock; PostgreSQL
    # ends such sessions (and their locks) once it notices the client is gone.
    sent = []
    wait_until(lambda: sent.append(send_due_emails()["sent"]) or sum(sent) == 2, what="sweep")
    assert send_due_emails() == {"sent": 0, "failed": 0}
    assert sorted(tuple(m.rcpt_tos) for m in smtp_server.received) == [
        ("ada@example.edu",),
        ("rights@example.org",),
    ]


def test_record_pages_answer_while_s3_is_down_and_storage_faults_are_reported(
    client, s3_scans, make_record, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    record = make_record(title=TITLE)
    data = image_bytes()
    scan = ingest_scan(record=record, upload=upload(data, "a.jpg"), name="a.jpg")
    s3_scans.stop()
    try:
        # The page names its images by the archive's URLs and never asks S3.
        assert client.get(record.get_absolute_url()).status_code == 200
        assert client.get(reverse("accessions:search") + "?q=blockade").status_code == 200
        # Staff are told the file could not be stored; nothing is attached.
        with pytest.raises(ScanRejected, match="could not be stored"):
            ingest_scan(record=record, upload=upload(image_bytes(text="2"), "b.jpg"), name="b.jpg")
        assert record.scans.count() == 1
        # A derivative try fails, is recorded and scheduled again; fixity is not judged.
        assert run_derivatives(scan_id=scan.pk) is False
        scan.refresh_from_db()
        assert scan.derivative_status == Scan.DerivativeStatus.FAILED
        assert check_fixity(scan=scan).problem == "unreachable"
        scan.refresh_from_db()
        assert scan.fixity_ok is None
    finally:
        s3_scans.start()
    # moto keeps objects in memory: the restarted server is given the bucket back.
    s3 = s3_scans.client()
    s3.create_bucket(Bucket=s3_scans.bucket)
    s3.put_object(Bucket=s3_scans.bucket, Key=scan.file.name, Body=data)
    assert run_derivatives(scan_id=scan.pk) is True
    assert check_fixity(scan=scan).ok
