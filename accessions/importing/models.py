"""What the import keeps: jobs run from the admin, and the keys that make re-imports idempotent."""

from django.conf import settings
from django.db import models


class ImportKey(models.Model):
    """Remembers which record a file row without a record id created.

    The key is a fingerprint of the row's content, so importing the same file again finds
    the record instead of creating a duplicate.
    """

    key = models.CharField(max_length=100, unique=True)
    record = models.ForeignKey(
        "accessions.Record", on_delete=models.CASCADE, related_name="import_keys"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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

    file = models.FileField(upload_to="imports/%Y/%m/")
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
