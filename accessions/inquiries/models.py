"""Rights inquiries: the request, the rules that route it, its outgoing email and its history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_email
from django.db import models
from django.db.models import Q

from accessions.catalogue.models import Collection, Donor, Record, Repository, RightsStatement


def split_addresses(value: str) -> list[str]:
    """Addresses written one per line or separated by commas, in order, without duplicates."""
    addresses = []
    for part in value.replace("\n", ",").replace(";", ",").split(","):
        address = part.strip()
        if address and address.lower() not in {known.lower() for known in addresses}:
            addresses.append(address)
    return addresses


MESSAGE_MAX_LENGTH = 5000


def validate_single_line(value: str) -> None:
    """Refuse line breaks and control characters, which could forge email headers."""
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValidationError("Use a single line without line breaks or control characters.")


def validate_address_list(value: str) -> None:
    addresses = split_addresses(value)
    if not addresses:
        raise ValidationError("Give at least one email address.")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"“{address}” is not a valid email address.") from None


class RoutingRule(models.Model):
    """Send inquiries about records that match one criterion to the given addresses.

    Each rule matches on exactly one of: donor, collection, original archive or rights
    statement. When several rules match a record, the most specific kind wins, in the order
    given by PRECEDENCE; see accessions.inquiries.routing.
    """

    name = models.CharField(max_length=200)
    donor = models.ForeignKey(
        Donor, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    original_archive = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    rights_statement = models.ForeignKey(
        RightsStatement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    recipients = models.TextField(
        validators=[validate_address_list],
        help_text="One or more email addresses, one per line or separated by commas.",
    )
    is_active = models.BooleanField("active", default=True)
    notes = models.TextField(blank=True)

    # Most specific first: a funder's or a collection's conditions bind fewer records than
    # the holding archive's, and a rights statement covers the widest set of records.
    PRECEDENCE = ("donor", "collection", "original_archive", "rights_statement")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(donor__isnull=False)
                    & Q(collection__isnull=True)
                    & Q(original_archive__isnull=True)
                    & Q(rights_statement__isnull=True)
                )
                | (
                    Q(donor__isnull=True)
                    & Q(collection__isnull=False)
                    & Q(original_archive__isnull=True)
                    & Q(rights_statement__isnull=True)
                )
                | (
                    Q(donor__isnull=True)
                    & Q(collection__isnull=True)
                    & Q(original_archive__isnull=False)
                    & Q(rights_statement__isnull=True)
                )
                | (
                    Q(donor__isnull=True)
                    & Q(collection__isnull=True)
                    & Q(original_archive__isnull=True)
                    & Q(rights_statement__isnull=False)
                ),
                name="routing_rule_matches_exactly_one_criterion",
                violation_error_message="Choose exactly one of donor, collection, original "
                "archive or rights statement for a rule.",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def kind(self) -> str:
        for field in self.PRECEDENCE:
            if getattr(self, f"{field}_id"):
                return field
        return ""

    @property
    def kind_label(self) -> str:
        return self.kind.replace("_", " ")

    @property
    def criterion(self):
        return getattr(self, self.kind) if self.kind else None

    @property
    def recipient_list(self) -> list[str]:
        return split_addresses(self.recipients)


class RightsInquiryQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[RightsInquiry.Status.ANSWERED, RightsInquiry.Status.CLOSED])


class RightsInquiry(models.Model):
    """A request from the public to reuse a published document, tracked until answered."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING = "waiting", "Waiting on requester"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    class IntendedUse(models.TextChoices):
        RESEARCH = "research", "Research"
        EDUCATION = "education", "Education"
        PUBLICATION = "publication", "Publication"
        COMMERCIAL = "commercial", "Commercial"
        BROADCAST = "broadcast", "Broadcast"
        EXHIBITION = "exhibition", "Exhibition"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        NONE = "", "No decision recorded"
        GRANTED = "granted", "Permission granted"
        REFUSED = "refused", "Permission refused"

    reference = models.CharField("reference number", max_length=20, unique=True, editable=False)
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="rights_inquiries")
    name = models.CharField(max_length=200, validators=[validate_single_line])
    email = models.EmailField()
    organisation = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    intended_use = models.CharField(max_length=20, choices=IntendedUse.choices)
    document_part = models.CharField(
        "part of the document concerned",
        max_length=500,
        blank=True,
        validators=[validate_single_line],
    )
    message = models.TextField(validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    client_ip = models.GenericIPAddressField("client IP address", null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_rights_inquiries",
    )
    internal_notes = models.TextField(blank=True)
    routed_to = models.TextField(editable=False, help_text="The addresses the inquiry went to.")
    routing_reason = models.CharField(max_length=500, editable=False)
    routing_rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    reply = models.TextField(blank=True, editable=False)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, blank=True, default="", editable=False
    )
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RightsInquiryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "rights inquiry"
        verbose_name_plural = "rights inquiries"
        permissions = [
            ("view_requester_details", "Can view requesters' names and contact details"),
            ("answer_rightsinquiry", "Can answer rights inquiries"),
        ]
        indexes = [
            # The rate limit counts recent inquiries per address and per client.
            models.Index(fields=["email", "created_at"], name="inquiry_email_recent"),
            models.Index(fields=["client_ip", "created_at"], name="inquiry_ip_recent"),
        ]

    def __str__(self):
        return self.reference


class OutgoingEmail(models.Model):
    """One email in the outbox; marked sent only once the SMTP server has accepted it."""

    class Kind(models.TextChoices):
        ROUTED = "routed", "Inquiry to the rights contact"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement to the requester"
        REPLY = "reply", "Reply to the requester"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    inquiry = models.ForeignKey(RightsInquiry, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_email = models.CharField(max_length=254)
    to = models.TextField(help_text="Recipients, comma-separated.")
    # The Reply-To address and its display name, kept apart: a header built from one string
    # would read a crafted name ("A, <b@c>") as a second address.
    reply_to = models.CharField(max_length=500, blank=True)
    reply_to_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing email"
        verbose_name_plural = "outbox"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outgoing_email_sent_has_time",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.inquiry.reference}"

    @property
    def recipient_list(self) -> list[str]:
        return split_addresses(self.to)


class InquiryEvent(models.Model):
    """One entry of an inquiry's history: an email in or out, a status change, a note."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        EMAIL_SENT = "email_sent", "Email sent"
        EMAIL_FAILED = "email_failed", "Email failed"
        EMAIL_RESENT = "email_resent", "Email queued again"
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        ANSWERED = "answered", "Answered"
        OUTCOME = "outcome", "Outcome recorded"

    inquiry = models.ForeignKey(RightsInquiry, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    email = models.ForeignKey(
        OutgoingEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "history entry"
        verbose_name_plural = "history"

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
