"""Receive a rights inquiry: check limits, save it with its two emails, then send them."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accessions.catalogue.models import Record
from accessions.catalogue.numbering import next_in_series
from accessions.inquiries.models import InquiryEvent, OutgoingEmail, RightsInquiry
from accessions.inquiries.outbox import one_line, queue_email, schedule_delivery
from accessions.inquiries.routing import route_for_record


class InquiryNotAllowed(Exception):
    """Inquiries are only taken about published records."""


class RateLimited(Exception):
    """Too many recent inquiries from one email address or one client."""


def check_rate_limit(*, email: str, client_ip: str | None) -> None:
    """Raise RateLimited when the address or the client has asked too often in the window.

    Counted from the database so that every app server and worker sees the same numbers.
    """
    since = timezone.now() - timedelta(minutes=settings.RIGHTS_INQUIRY_LIMIT_WINDOW_MINUTES)
    recent = RightsInquiry.objects.filter(created_at__gte=since)
    if recent.filter(email__iexact=email).count() >= settings.RIGHTS_INQUIRY_LIMIT_PER_EMAIL:
        raise RateLimited("email")
    if (
        client_ip
        and recent.filter(client_ip=client_ip).count() >= settings.RIGHTS_INQUIRY_LIMIT_PER_IP
    ):
        raise RateLimited("client")


def submit_inquiry(
    *,
    record: Record,
    name: str,
    email: str,
    intended_use: str,
    message: str,
    record_url: str,
    organisation: str = "",
    document_part: str = "",
    client_ip: str | None = None,
) -> RightsInquiry:
    """Save the inquiry, route it and queue its two emails in one transaction, then send them."""
    if not record.is_public:
        raise InquiryNotAllowed(f"Record {record.record_id} is not published.")
    with transaction.atomic():
        check_rate_limit(email=email, client_ip=client_ip)
        route = route_for_record(record)
        inquiry = RightsInquiry(
            record=record,
            name=name,
            email=email,
            organisation=organisation,
            intended_use=intended_use,
            document_part=document_part,
            message=message,
            client_ip=client_ip or None,
            routed_to=", ".join(route.recipients),
            routing_reason=route.reason[:500],
            routing_rule=route.rule,
        )
        inquiry.reference = next_inquiry_reference(timezone.now().year)
        inquiry.full_clean()
        inquiry.save()
        InquiryEvent.objects.create(
            inquiry=inquiry,
            kind=InquiryEvent.Kind.RECEIVED,
            to_status=inquiry.status,
            note=f"Routed to {inquiry.routed_to}. {route.reason}",
        )
        context = {
            "inquiry": inquiry,
            "record": record,
            "record_url": record_url,
            "site_name": settings.SITE_NAME,
        }
        title = one_line(record.title, 120)
        routed = queue_email(
            inquiry=inquiry,
            kind=OutgoingEmail.Kind.ROUTED,
            to=route.recipients,
            reply_to=(name, email),
            subject=f"Rights inquiry {inquiry.reference}: record {record.record_id}, {title}",
            body=render_to_string("emails/rights_inquiry_routed.txt", context),
        )
        acknowledgement = queue_email(
            inquiry=inquiry,
            kind=OutgoingEmail.Kind.ACKNOWLEDGEMENT,
            to=[email],
            subject=f"We received your rights inquiry {inquiry.reference}",
            body=render_to_string("emails/rights_inquiry_acknowledgement.txt", context),
        )
        schedule_delivery([routed.pk, acknowledgement.pk])
    return inquiry


def next_inquiry_reference(year: int) -> str:
    """RI-YEAR-NNNNNN for a rights inquiry, counted per year and never reused."""
    prefix = f"RI-{year}-"
    taken = RightsInquiry.objects.filter(reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    value = next_in_series(counter=f"rights-inquiry-{year}", prefix=prefix, taken=taken)
    return f"{prefix}{value:06d}"
