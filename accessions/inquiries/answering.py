"""Staff work on an inquiry: status, assignee, notes, and the answer to the requester."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accessions.catalogue.models import RecordEvent
from accessions.inquiries.models import (
    MESSAGE_MAX_LENGTH,
    InquiryEvent,
    OutgoingEmail,
    RightsInquiry,
)
from accessions.inquiries.outbox import queue_email, schedule_delivery

Status = RightsInquiry.Status
Outcome = RightsInquiry.Outcome

# What the record's rights history says; never the requester's name or address, because
# record history is visible to every cataloguer.
OUTCOME_ACTIONS = {
    Outcome.GRANTED: "rights permission granted",
    Outcome.REFUSED: "rights permission refused",
}

_UNCHANGED = object()


def update_inquiry(
    *,
    inquiry: RightsInquiry,
    user,
    status: str | None = None,
    assignee=_UNCHANGED,
    internal_notes: str | None = None,
) -> RightsInquiry:
    """Change status, assignee or notes, writing each status change and assignment to history."""
    with transaction.atomic():
        current = RightsInquiry.objects.select_for_update().get(pk=inquiry.pk)
        if status is not None and status != current.status:
            if status not in Status.values:
                raise ValidationError(f"“{status}” is not an inquiry status.")
            InquiryEvent.objects.create(
                inquiry=inquiry,
                kind=InquiryEvent.Kind.STATUS,
                from_status=current.status,
                to_status=status,
                actor=user,
            )
            inquiry.status = status
        if assignee is not _UNCHANGED and getattr(assignee, "pk", None) != current.assignee_id:
            InquiryEvent.objects.create(
                inquiry=inquiry,
                kind=InquiryEvent.Kind.ASSIGNED,
                actor=user,
                note=f"Assigned to {assignee}." if assignee else "Unassigned.",
            )
            inquiry.assignee = assignee
        if internal_notes is not None:
            inquiry.internal_notes = internal_notes
        inquiry.save(update_fields=["status", "assignee", "internal_notes", "updated_at"])
    return inquiry


def answer_inquiry(*, inquiry: RightsInquiry, reply: str, user, outcome: str = "") -> OutgoingEmail:
    """Email the reply to the requester, store it, mark the inquiry answered.

    A granted or refused outcome is also written to the record's history for staff.
    """
    reply = reply.strip()
    if not reply:
        raise ValidationError("Write a reply before sending it.")
    if len(reply) > MESSAGE_MAX_LENGTH:
        raise ValidationError(f"Keep the reply under {MESSAGE_MAX_LENGTH} characters.")
    if outcome not in Outcome.values:
        raise ValidationError(f"“{outcome}” is not an outcome.")
    with transaction.atomic():
        inquiry = (
            RightsInquiry.objects.select_for_update().select_related("record").get(pk=inquiry.pk)
        )
        previous = inquiry.status
        inquiry.reply = reply
        inquiry.status = Status.ANSWERED
        inquiry.answered_at = timezone.now()
        inquiry.answered_by = user
        if outcome:
            inquiry.outcome = outcome
        inquiry.save()
        email = queue_email(
            inquiry=inquiry,
            kind=OutgoingEmail.Kind.REPLY,
            to=[inquiry.email],
            reply_to=("", inquiry.routed_to.split(", ")[0]) if inquiry.routed_to else None,
            subject=f"Re: your rights inquiry {inquiry.reference}",
            body=render_to_string(
                "emails/rights_inquiry_reply.txt", {"inquiry": inquiry, "reply": reply}
            ),
        )
        InquiryEvent.objects.create(
            inquiry=inquiry,
            kind=InquiryEvent.Kind.ANSWERED,
            from_status=previous,
            to_status=inquiry.status,
            email=email,
            actor=user,
            note=reply,
        )
        if outcome:
            InquiryEvent.objects.create(
                inquiry=inquiry,
                kind=InquiryEvent.Kind.OUTCOME,
                actor=user,
                note=Outcome(outcome).label,
            )
            RecordEvent.objects.create(
                record=inquiry.record,
                action=OUTCOME_ACTIONS[outcome],
                actor=user,
                note=f"Rights inquiry {inquiry.reference} "
                f"({inquiry.get_intended_use_display().lower()} use).",
            )
        schedule_delivery([email.pk])
    return email
