"""The email outbox through the production queue: RQ on a real Redis, a real RQ worker."""

import django_rq
import pytest

from accessions.inquiries.outbox import resend_emails, send_due_emails
from accessions.inquiries.submission import submit_inquiry
from accessions.models import OutgoingEmail
from tests.engines import run_rq_worker

pytestmark = pytest.mark.django_db(transaction=True)


def submit(record):
    return submit_inquiry(
        record=record,
        name="Ada Historian",
        email="ada@example.edu",
        intended_use="research",
        message="May I reuse this?",
        record_url="http://archive.example/document/1/",
    )


def test_a_worker_sends_each_queued_email_once(rq_tasks, smtp_server, make_record, editor):
    inquiry = submit(make_record())
    assert django_rq.get_queue("default").count == 2
    assert smtp_server.received == []

    run_rq_worker()

    assert sorted(tuple(m.rcpt_tos) for m in smtp_server.received) == [
        ("ada@example.edu",),
        ("rights@example.org",),
    ]
    assert set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}
    # Queued again by staff, swept by the command, worked again: nothing goes out twice.
    resend_emails(emails=inquiry.emails.all(), user=editor)
    assert send_due_emails() == {"sent": 0, "failed": 0}
    run_rq_worker()
    assert len(smtp_server.received) == 2


def test_emails_queued_twice_are_still_sent_once(rq_tasks, smtp_server, make_record, editor):
    inquiry = submit(make_record())
    # Staff resend the pending emails before any worker ran: each is now queued twice.
    resend_emails(emails=inquiry.emails.all(), user=editor)
    assert django_rq.get_queue("default").count == 4

    run_rq_worker()

    assert len(smtp_server.received) == 2
