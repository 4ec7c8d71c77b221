"""Rights inquiries: routing, submission, answering and the email outbox."""

from accessions.inquiries.answering import answer_inquiry, update_inquiry
from accessions.inquiries.outbox import deliver_email, resend_emails, send_due_emails
from accessions.inquiries.routing import Route, route_for_record
from accessions.inquiries.submission import (
    InquiryNotAllowed,
    RateLimited,
    check_rate_limit,
    submit_inquiry,
)

__all__ = [
    "InquiryNotAllowed",
    "RateLimited",
    "Route",
    "answer_inquiry",
    "check_rate_limit",
    "deliver_email",
    "resend_emails",
    "route_for_record",
    "send_due_emails",
    "submit_inquiry",
    "update_inquiry",
]
