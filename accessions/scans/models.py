"""Scans attached to records: the original files, their pages, derivatives and OCR text."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from accessions.catalogue.models import Record

# The migration that made the scan table names ScanStorage here.
from accessions.scans.storage import ScanStorage, scan_storage  # noqa: F401

# Longest edge, in pixels, of the derivative images made of every page.
THUMBNAIL_EDGE = 240
WEB_EDGE = 1200
ZOOM_EDGE = 3000


def original_path(scan, filename: str) -> str:
    # The name staff uploaded is kept on the row, never in the path, which is not guessable.
    return f"originals/{scan.record.record_id}/{scan.sha256}{scan.extension}"


class ScanQuerySet(models.QuerySet):
    def public(self):
        """Scans whose record is published: the only ones any public URL may serve."""
        return self.filter(record__in=Record.objects.published())


class Scan(models.Model):
    """One file staff attached to a record: an image, a multi-page TIFF or a PDF."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original scan"
        TRANSLATION = "translation", "Translation"
        TRANSCRIPT = "transcript", "Transcript"
        OTHER = "other", "Other"

    class DerivativeStatus(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Made"
        FAILED = "failed", "Failed"

    record = models.ForeignKey("accessions.Record", on_delete=models.CASCADE, related_name="scans")
    file = models.FileField(storage=scan_storage, upload_to=original_path, editable=False)
    original_filename = models.CharField(max_length=255, editable=False)
    media_type = models.CharField(max_length=50, editable=False)
    extension = models.CharField(max_length=10, editable=False)
    size_bytes = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True, editable=False)
    page_count = models.PositiveIntegerField(default=1, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ORIGINAL)
    label = models.CharField(max_length=255, blank=True, help_text="e.g. “Letter”, “Envelope”.")
    position = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    derivative_status = models.CharField(
        max_length=20, choices=DerivativeStatus.choices, default=DerivativeStatus.PENDING
    )
    derivative_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    derivative_error = models.TextField(blank=True, editable=False)
    fixity_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    fixity_ok = models.BooleanField(null=True, editable=False)

    objects = ScanQuerySet.as_manager()

    class Meta:
        ordering = ["record", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "sha256"], name="scan_unique_file_per_record")
        ]

    def __str__(self):
        return self.label or self.original_filename

    def save(self, *args, **kwargs):
        self.extension = self.extension.lower()
        super().save(*args, **kwargs)

    def get_download_url(self):
        return reverse("accessions:scan_original", args=[self.pk])


class ScanPage(models.Model):
    """One page of a scan, with its derivative images and OCR text."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(help_text="1-based page number within the file.")
    label = models.CharField(max_length=100, blank=True, help_text="e.g. “p. 1”, “envelope”.")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    thumbnail = models.CharField(max_length=255, blank=True, editable=False)
    web_image = models.CharField(max_length=255, blank=True, editable=False)
    zoom_image = models.CharField(max_length=255, blank=True, editable=False)
    has_text_layer = models.BooleanField(default=False, editable=False)
    ocr_text = models.TextField("OCR text", blank=True, editable=False)
    ocr_language = models.CharField(max_length=50, blank=True, editable=False)

    class Meta:
        ordering = ["scan__position", "scan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scan", "number"], name="scanpage_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="scanpage_number_positive"),
        ]

    def __str__(self):
        return self.label or f"p. {self.number}"

    @property
    def is_ready(self) -> bool:
        return bool(self.web_image)

    def _fit(self, edge: int) -> tuple[int, int]:
        longest = max(self.width, self.height, 1)
        scale = min(1.0, edge / longest)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def web_size(self) -> tuple[int, int]:
        return self._fit(WEB_EDGE)

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        return self._fit(THUMBNAIL_EDGE)

    def public_urls(self) -> dict:
        return {size: self.image_url(size) for size in ("thumb", "web", "zoom")}

    def staff_urls(self) -> dict:
        return {size: self.staff_image_url(size) for size in ("thumb", "web", "zoom")}

    def image_url(self, size: str) -> str:
        return reverse("accessions:scan_page_image", args=[self.pk, size])

    def staff_image_url(self, size: str) -> str:
        return reverse("admin:accessions_scan_page_image", args=[self.pk, size])


def records_with_scans(records: models.QuerySet) -> models.QuerySet:
    """Narrow a Record queryset to those with at least one attached scan."""
    return records.filter(Exists(Scan.objects.filter(record=OuterRef("pk"))))
