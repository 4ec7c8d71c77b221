"""Email delivery that loses nothing: SMTP down or refusing, then up; sent once, never twice."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accessions.inquiries.outbox import backoff, deliver_email, resend_emails, send_due_emails
from accessions.inquiries.submission import submit_inquiry
from accessions.models import InquiryEvent, OutgoingEmail, RightsInquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(make_record, django_capture_on_commit_callbacks):
    record = make_record()

    def submit_one(email="ada@example.edu"):
        with django_capture_on_commit_callbacks(execute=True):
            return submit_inquiry(
                record=record,
                name="Ada Historian",
                email=email,
                intended_use="research",
                message="May I reuse this?",
                record_url="http://archive.example/document/1/",
            )

    return submit_one


def later():
    """A moment after any back-off the tests produce."""
    return timezone.now() + timedelta(days=1)


def test_smtp_down_keeps_the_inquiry_and_its_emails_pending(submit, smtp_down):
    inquiry = submit()
    assert RightsInquiry.objects.filter(pk=inquiry.pk).exists()
    emails = list(inquiry.emails.all())
    assert len(emails) == 2
    for email in emails:
        assert email.status == OutgoingEmail.Status.PENDING
        assert email.attempts == 1
        assert "Connection refused" in email.last_error or "Errno" in email.last_error
        assert email.next_attempt_at > timezone.now()
    assert inquiry.events.filter(kind=InquiryEvent.Kind.EMAIL_FAILED).count() == 2


def test_smtp_down_then_up_sends_each_email_exactly_once(submit, smtp_down):
    inquiry = submit()
    # Not yet due: the back-off keeps the command from hammering the server.
    assert send_due_emails() == {"sent": 0, "failed": 0}
    smtp_down.start()
    assert send_due_emails(now=later()) == {"sent": 2, "failed": 0}
    assert sorted(tuple(m.rcpt_tos) for m in smtp_down.received) == [
        ("ada@example.edu",),
        ("rights@example.org",),
    ]
    assert set(inquiry.emails.values_list("status", flat=True)) == {"sent"}
    # Running the retry again, and delivering a sent email directly, send nothing more.
    assert send_due_emails(now=later()) == {"sent": 0, "failed": 0}
    assert deliver_email(email_id=inquiry.emails.first().pk) is None
    assert len(smtp_down.received) == 2


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "554 5.7.1 Rejected for now"])
def test_server_refusing_then_accepting_sends_once(submit, smtp_server, reply):
    smtp_server.refuse(reply)
    inquiry = submit()
    assert smtp_server.received == []
    email = inquiry.emails.first()
    assert email.status == OutgoingEmail.Status.PENDING
    assert reply.split()[0] in email.last_error
    smtp_server.accept()
    assert send_due_emails(now=later()) == {"sent": 2, "failed": 0}
    assert send_due_emails(now=later()) == {"sent": 0, "failed": 0}
    assert len(smtp_server.received) == 2


def test_back_off_doubles_and_is_capped(settings):
    settings.RIGHTS_INQUIRY_EMAIL_RETRY_SECONDS = 60
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


def test_email_is_marked_failed_after_the_last_attempt_and_resend_delivers_it(
    submit, smtp_down, settings, admin_user, django_capture_on_commit_callbacks
):
    settings.RIGHTS_INQUIRY_EMAIL_MAX_ATTEMPTS = 2
    inquiry = submit()
    send_due_emails(now=later())
    assert set(inquiry.emails.values_list("status", flat=True)) == {"failed"}
    assert send_due_emails(now=later()) == {"sent": 0, "failed": 0}
    smtp_down.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert resend_emails(emails=inquiry.emails.all(), user=admin_user) == 2
    assert set(inquiry.emails.values_list("status", flat=True)) == {"sent"}
    assert len(smtp_down.received) == 2
    assert inquiry.events.filter(kind=InquiryEvent.Kind.EMAIL_RESENT, actor=admin_user).count() == 2


def test_resend_leaves_sent_emails_alone(
    submit, smtp_server, admin_user, django_capture_on_commit_callbacks
):
    inquiry = submit()
    with django_capture_on_commit_callbacks(execute=True):
        assert resend_emails(emails=inquiry.emails.all(), user=admin_user) == 0
    assert len(smtp_server.received) == 2


def test_send_pending_emails_command_reports_through_stdout(submit, smtp_down):
    submit()
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    smtp_down.start()
    out = StringIO()
    call_command("send_pending_emails", stdout=out)
    assert "Sent 2 email(s)" in out.getvalue()
    assert len(smtp_down.received) == 2


def test_emails_wait_for_the_transaction_that_saved_them(
    make_record, smtp_server, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit_inquiry(
            record=make_record(title="Another"),
            name="Ada",
            email="ada@example.edu",
            intended_use="research",
            message="Hello",
            record_url="http://archive.example/",
        )
        raise RuntimeError("the request failed after saving")
    assert callbacks == []
    assert RightsInquiry.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0
    assert smtp_server.received == []


def test_with_a_deferring_task_backend_a_failed_send_schedules_its_own_retry(
    submit, smtp_down, settings
):
    from django.tasks import task_backends

    from accessions.inquiries.outbox import send_outgoing_email

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    inquiry = submit()
    backend = task_backends["default"]
    # Submitting only enqueued the two sends; the dummy backend runs nothing.
    assert len(backend.results) == 2
    assert set(inquiry.emails.values_list("attempts", flat=True)) == {0}
    email = inquiry.emails.get(kind=OutgoingEmail.Kind.ACKNOWLEDGEMENT)
    assert send_outgoing_email.call(email.pk) == "pending"
    email.refresh_from_db()
    retry = backend.results[-1]
    assert retry.args == [email.pk]
    assert retry.task.run_after == email.next_attempt_at
    smtp_down.start()
    assert send_outgoing_email.call(email.pk) == "sent"
    assert send_outgoing_email.call(email.pk) == "skipped"
    assert len(smtp_down.received) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_one_email_only_once(make_record, smtp_down):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("Row locks are what is under test; SQLite serialises all writers anyway.")
    inquiry = submit_inquiry(
        record=make_record(),
        name="Ada",
        email="ada@example.edu",
        intended_use="research",
        message="Hello",
        record_url="http://archive.example/",
    )
    email = inquiry.emails.get(kind=OutgoingEmail.Kind.ROUTED)
    smtp_down.start()
    smtp_down.handler.delay = 0.5
    start = threading.Barrier(4)
    outcomes, errors = [], []

    def worker():
        try:
            start.wait()
            delivered = deliver_email(email_id=email.pk)
            outcomes.append(delivered.status if delivered else None)
        except Exception as error:  # collected so the main thread can report it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes, key=str) == [None, None, None, "sent"]
    assert len(smtp_down.received) == 1
