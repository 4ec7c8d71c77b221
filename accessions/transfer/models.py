"""What the import keeps: jobs run from the admin, and the keys that make re-imports idempotent."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models


class PrivateImportStorage(FileSystemStorage):
    """Where uploaded import files are kept: outside MEDIA_ROOT, which is served publicly.

    The files hold drafts and staff notes, so they get no URL. IMPORT_FILES_ROOT moves them.
    """

    @property
    def base_location(self):
        return getattr(settings, "IMPORT_FILES_ROOT", None) or settings.BASE_DIR / "var" / "imports"

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


private_import_storage = PrivateImportStorage()


class ImportKey(models.Model):
    """Remembers which record or accession a file row created.

    For a record row without a record id the key is a fingerprint of the row's content;
    for an AtoM accession it is AtoM's accession number. Importing the same file again
    finds what the first import made instead of creating a duplicate.
    """

    key = models.CharField(max_length=300, unique=True)
    record = models.ForeignKey(
        "accessions.Record",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_keys",
    )
    accession = models.ForeignKey(
        "accessions.Accession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record__isnull=False) | models.Q(accession__isnull=False),
                name="import_key_has_target",
            )
        ]

    def __str__(self):
        return self.key


class ImportJob(models.Model):
    """One uploaded file on its way through preview and import, with progress and result."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="%Y/%m/", storage=private_import_storage)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "record import"

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.SUCCEEDED else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
