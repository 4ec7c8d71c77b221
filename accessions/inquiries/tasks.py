"""Background task that sends one email from the outbox and schedules its own retry."""

from django.tasks import task, task_backends

from accessions.inquiry_models import OutgoingEmail


@task
def send_outgoing_email(email_id: int) -> str:
    """Send one outbox email; when it fails and the backend can defer, try again later."""
    from accessions.inquiries.outbox import deliver_email

    email = deliver_email(email_id=email_id)
    if email is None:
        return "skipped"
    if (
        email.status == OutgoingEmail.Status.PENDING
        and task_backends[send_outgoing_email.backend].supports_defer
    ):
        send_outgoing_email.using(run_after=email.next_attempt_at).enqueue(email_id)
    # Without a deferring backend (the inline one), send_pending_emails retries on schedule.
    return email.status
