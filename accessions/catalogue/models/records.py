"""Accessions and records: what came in, what is described and published, and its history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accessions.catalogue.dates import parse_document_date, validate_document_date
from accessions.catalogue.models.vocabularies import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Repository,
    RightsStatement,
    Subject,
)


class Counter(models.Model):
    """A named, never-decreasing counter; rows are locked while a number is handed out."""

    name = models.CharField(max_length=50, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class Accession(models.Model):
    """One intake event: material received from donors on a date."""

    class AcquisitionMethod(models.TextChoices):
        GIFT = "gift", "Gift"
        PURCHASE = "purchase", "Purchase"
        TRANSFER = "transfer", "Transfer"
        LOAN = "loan", "Loan"
        EXCHANGE = "exchange", "Exchange"

    class ProcessingStatus(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        PROCESSED = "processed", "Processed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    number = models.CharField(
        "accession number",
        max_length=20,
        unique=True,
        editable=False,
        help_text="Assigned automatically as YEAR-NNNN; never reused.",
    )
    title = models.CharField(max_length=500)
    date_received = models.DateField()
    acquisition_method = models.CharField(
        max_length=20, choices=AcquisitionMethod.choices, default=AcquisitionMethod.GIFT
    )
    donors = models.ManyToManyField(Donor, blank=True, related_name="accessions")
    extent = models.CharField(max_length=255, blank=True, help_text="e.g. 3 folders, 120 leaves")
    scope = models.TextField("scope and content", blank=True)
    processing_status = models.CharField(
        max_length=20, choices=ProcessingStatus.choices, default=ProcessingStatus.NEW
    )
    processing_priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    location = models.CharField("storage location", max_length=255, blank=True)
    access_restricted = models.BooleanField(default=False)
    access_conditions = models.TextField("access restrictions and conditions", blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"{self.number} {self.title}"


# Record IDs per sitemap section: at most the 50,000 URLs the sitemap protocol allows.
SITEMAP_SECTION_SIZE = 50_000


class RecordQuerySet(models.QuerySet):
    def published(self):
        """The only records any public surface may show."""
        return self.filter(status=Record.Status.PUBLISHED)

    def withdrawn(self):
        return self.filter(status=Record.Status.WITHDRAWN)

    def for_record_page(self):
        """The record's row with its foreign keys, and its texts: see prefetch.record_for_page,
        which adds every vocabulary list in one more query."""
        return self.select_related(
            "original_archive", "original_classification", "document_type", "rights"
        ).prefetch_related(
            models.Prefetch("texts", queryset=RecordText.objects.select_related("language"))
        )


class Record(models.Model):
    """A publishable document, described for the public record page."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    record_id = models.PositiveIntegerField(
        "record ID",
        unique=True,
        help_text="Public and permanent. Assigned automatically; set it only for migrated records.",
    )
    title = models.CharField(max_length=500)
    date_text = models.CharField(
        "date",
        max_length=100,
        blank=True,
        validators=[validate_document_date],
        help_text=(
            "As written: 1963-11-25, 1967-11, 1962, 1950/1959, c. 1962, or “undated”; "
            "or EDTF: 1962~ (approximate), 1962? (uncertain), 196X, 1963-21 (spring)."
        ),
    )
    date_display = models.CharField(max_length=100, blank=True, editable=False)
    date_edtf = models.CharField(
        "date (EDTF)",
        max_length=100,
        blank=True,
        editable=False,
        help_text="The date in the Extended Date/Time Format (ISO 8601-2); XXXX when undated.",
    )
    date_start = models.DateField(null=True, blank=True, editable=False, db_index=True)
    date_end = models.DateField(null=True, blank=True, editable=False)
    date_approximate = models.BooleanField(default=False, editable=False)
    summary = models.TextField(blank=True)
    source = models.TextField(blank=True, help_text="Where the original is held, as cited.")
    original_archive = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    original_classification = models.ForeignKey(
        Classification, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    document_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    languages = models.ManyToManyField(Language, blank=True, related_name="records")
    authors = models.ManyToManyField(Agent, blank=True, related_name="authored_records")
    people_and_organizations = models.ManyToManyField(
        Agent,
        blank=True,
        related_name="mentioned_in_records",
        verbose_name="people & organisations",
    )
    places = models.ManyToManyField(Place, blank=True, related_name="records")
    subjects = models.ManyToManyField(Subject, blank=True, related_name="records")
    collections = models.ManyToManyField(Collection, blank=True, related_name="records")
    donors = models.ManyToManyField(
        Donor,
        blank=True,
        related_name="funded_records",
        help_text="Funders credited on the page: “This document was made possible with support "
        "from …”.",
    )
    rights = models.ForeignKey(
        RightsStatement, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    original_upload_date = models.DateField(
        null=True, blank=True, help_text="Set on first publication when empty."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    accession = models.ForeignKey(
        Accession, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    staff_notes = models.TextField("internal staff notes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-record_id"]
        permissions = [
            ("submit_record", "Can submit records for review"),
            ("publish_record", "Can publish records"),
            ("withdraw_record", "Can withdraw published records"),
            ("return_record_to_draft", "Can return records to draft"),
        ]
        indexes = [
            # Newest published first (home page, feeds), ties by record ID: records published
            # by one import share a moment, and a tie left to sort would read them all.
            models.Index(
                fields=["status", "-published_at", "-record_id"], name="record_recently_published"
            ),
            # The sitemap's sections of record IDs: the last change of each, one probe apiece.
            models.Index(
                models.F("record_id") / SITEMAP_SECTION_SIZE,
                models.F("updated_at").desc(),
                name="record_sitemap_section",
                condition=Q(status="published"),
            ),
            # OAI-PMH harvests page by keyset on (updated_at, id): SQLite plans it with the
            # first index, PostgreSQL with the second (bench/oai_harvest.py).
            models.Index(fields=["status", "updated_at", "id"], name="record_status_updated"),
            models.Index(fields=["updated_at", "id"], name="record_updated"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(record_id__gt=0), name="record_id_positive"),
            models.CheckConstraint(
                condition=Q(date_start__isnull=True) | Q(date_end__gte=models.F("date_start")),
                name="record_date_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.record_id}: {self.title}"

    def save(self, *args, **kwargs):
        self.derive_dates()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("accessions:record_detail", args=[self.record_id])

    def derive_dates(self):
        """Fill the display form, normalised range and EDTF form from the date as typed."""
        if self.date_text and self.date_text.strip():
            parsed = parse_document_date(self.date_text)
            self.date_display = parsed.display
            self.date_start, self.date_end = parsed.start, parsed.end
            self.date_approximate = parsed.approximate
            self.date_edtf = parsed.edtf
        else:
            self.date_display, self.date_start, self.date_end = "", None, None
            self.date_approximate = False
            self.date_edtf = ""

    @property
    def date_qualifier(self) -> str:
        """What EDTF's qualifiers say of the date, in words: approximate, uncertain, both."""
        approximate = self.date_approximate
        uncertain = "?" in self.date_edtf or "%" in self.date_edtf
        if approximate and uncertain:
            return "approximate and uncertain"
        return "approximate" if approximate else "uncertain" if uncertain else ""

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def main_text(self):
        """The text the page shows as its body: the primary one, else the first translation."""
        texts = list(self.texts.all())
        for text in texts:
            if text.is_primary:
                return text
        for text in texts:
            if text.kind == RecordText.Kind.TRANSLATION:
                return text
        return texts[0] if texts else None


class RecordText(models.Model):
    """A transcript or translation of a record's document."""

    class Kind(models.TextChoices):
        TRANSCRIPT = "transcript", "Original-language transcript"
        TRANSLATION = "translation", "Translation"

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="texts")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRANSLATION)
    language = models.ForeignKey(Language, null=True, blank=True, on_delete=models.PROTECT)
    body = models.TextField()
    credit = models.CharField(
        max_length=255, blank=True, help_text="e.g. “Translated by Svetlana Savranskaya”."
    )
    is_primary = models.BooleanField(
        "main text", default=False, help_text="Shown as the body of the record page."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "text"
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(is_primary=True), name="one_main_text_per_record"
            )
        ]

    def __str__(self):
        language = self.language.name if self.language_id else "unknown language"
        return f"{self.get_kind_display()} ({language})"


class RecordEvent(models.Model):
    """One entry of a record's workflow history: who moved it, from what, to what."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "history entry"
        verbose_name_plural = "history"

    def __str__(self):
        return f"{self.action} by {self.actor or 'system'} at {self.at:%Y-%m-%d %H:%M}"
