"""The outbox: emails are stored first, then sent by a task, retried with back-off, never twice."""

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.tasks import task, task_backends
from django.utils import timezone

from accessions.inquiries.models import InquiryEvent, OutgoingEmail, RightsInquiry

logger = logging.getLogger(__name__)

# Longest wait between two attempts, whatever the number of failures so far.
MAX_BACKOFF = timedelta(hours=6)


def one_line(text: str, max_length: int = 200) -> str:
    """Collapse whitespace, line breaks included, so text is safe in an email header."""
    collapsed = " ".join(text.split())
    return collapsed if len(collapsed) <= max_length else collapsed[: max_length - 1] + "…"


def queue_email(
    *,
    inquiry: RightsInquiry,
    kind: str,
    to: list[str],
    subject: str,
    body: str,
    reply_to: tuple[str, str] | None = None,
) -> OutgoingEmail:
    """Store one email as pending; the caller schedules delivery once its transaction commits.

    `reply_to` is a (display name, address) pair.
    """
    reply_to_name, reply_to_address = reply_to or ("", "")
    return OutgoingEmail.objects.create(
        inquiry=inquiry,
        kind=kind,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=", ".join(to),
        reply_to=reply_to_address,
        reply_to_name=one_line(reply_to_name, 200),
        subject=one_line(subject, 255),
        body=body,
        next_attempt_at=timezone.now(),
    )


def build_message(email: OutgoingEmail) -> EmailMessage:
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=email.recipient_list,
        reply_to=[Address(display_name=email.reply_to_name, addr_spec=email.reply_to)]
        if email.reply_to
        else [],
        headers={"X-Rights-Inquiry": email.inquiry.reference},
    )


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: the base delay doubled after each failure, capped."""
    base = timedelta(seconds=settings.RIGHTS_INQUIRY_EMAIL_RETRY_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def deliver_email(*, email_id: int) -> OutgoingEmail | None:
    """Try to send one pending email; mark it sent only after the SMTP server accepted it.

    Returns the email with its new status, or None when it was not pending (already sent,
    failed for good, or being sent by another worker that holds its row lock).
    """
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("inquiry")
            .filter(pk=email_id, status=OutgoingEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return None
        now = timezone.now()
        email.attempts += 1
        try:
            mailers.default.send_messages([build_message(email)])
        except (smtplib.SMTPException, OSError, ValueError) as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= settings.RIGHTS_INQUIRY_EMAIL_MAX_ATTEMPTS:
                email.status = OutgoingEmail.Status.FAILED
                email.next_attempt_at = None
                note = f"Gave up after {email.attempts} attempts: {email.last_error}"
            else:
                email.next_attempt_at = now + backoff(email.attempts)
                note = (
                    f"Attempt {email.attempts} failed ({email.last_error}); "
                    f"next try after {email.next_attempt_at:%Y-%m-%d %H:%M} UTC."
                )
            logger.warning("Email %s for %s: %s", email.pk, email.inquiry.reference, note)
            kind = InquiryEvent.Kind.EMAIL_FAILED
        else:
            email.status = OutgoingEmail.Status.SENT
            email.sent_at = now
            email.next_attempt_at = None
            email.last_error = ""
            # Requesters' addresses stay out of history notes; only staff addresses appear.
            note = f"{email.get_kind_display()} sent" + (
                f" to {email.to}." if email.kind == OutgoingEmail.Kind.ROUTED else "."
            )
            kind = InquiryEvent.Kind.EMAIL_SENT
        email.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at", "last_error"])
        InquiryEvent.objects.create(inquiry=email.inquiry, kind=kind, email=email, note=note)
    return email


def due_emails(*, now: datetime | None = None):
    """Pending emails whose back-off has passed."""
    now = now or timezone.now()
    return OutgoingEmail.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status=OutgoingEmail.Status.PENDING,
    ).order_by("next_attempt_at", "id")


def send_due_emails(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Try every pending email that is due; returns how many were sent and how many failed."""
    counts = {"sent": 0, "failed": 0}
    for email_id in list(due_emails(now=now).values_list("pk", flat=True)[:limit]):
        email = deliver_email(email_id=email_id)
        if email is not None:
            counts["sent" if email.status == OutgoingEmail.Status.SENT else "failed"] += 1
    return counts


def resend_emails(*, emails: Iterable[OutgoingEmail], user) -> int:
    """Queue failed or pending emails for an immediate new attempt; sent ones are left alone."""
    queued = []
    with transaction.atomic():
        for email in emails:
            if email.status == OutgoingEmail.Status.SENT:
                continue
            email.status = OutgoingEmail.Status.PENDING
            email.next_attempt_at = timezone.now()
            email.save(update_fields=["status", "next_attempt_at"])
            InquiryEvent.objects.create(
                inquiry_id=email.inquiry_id,
                kind=InquiryEvent.Kind.EMAIL_RESENT,
                email=email,
                actor=user,
                note=f"{email.get_kind_display()} queued again by staff.",
            )
            queued.append(email.pk)
        schedule_delivery(queued)
    return len(queued)


def schedule_delivery(email_ids: list[int]) -> None:
    """Enqueue sending once the surrounding transaction has committed the rows."""

    def enqueue():
        for email_id in email_ids:
            send_outgoing_email.enqueue(email_id)

    # robust: a task queue that is down must not undo or fail the request; the rows stay
    # pending and send_pending_emails picks them up.
    transaction.on_commit(enqueue, robust=True)


@task
def send_outgoing_email(email_id: int) -> str:
    """Send one outbox email; when it fails and the backend can defer, try again later."""
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
