"""Admin screens of the import (upload → preview → confirm → progress and result) and exports."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accessions.catalogue.guarded_admin import GuardedModelAdmin
from accessions.transfer.exporting import STAFF_COLUMNS, export_response
from accessions.transfer.formats import FORMATS
from accessions.transfer.jobs import preview_import, start_import
from accessions.transfer.models import ImportJob
from accessions.transfer.reader import ImportFileError

IMPORT_PERMISSIONS = ("accessions.add_record", "accessions.change_record")
LISTED_ROWS = 500


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="A CSV file in UTF-8: our export format, the Wilson Center "
        "export, or an AtoM accessions CSV."
    )
    format = forms.ChoiceField(
        choices=[
            ("auto", "Recognise from the columns"),
            *((name, fmt.label) for name, fmt in FORMATS.items()),
            ("atom", "AtoM accessions"),
        ],
        initial="auto",
    )


@admin.register(ImportJob)
class ImportJobAdmin(GuardedModelAdmin):
    list_display = [
        "original_name",
        "status",
        "rows_total",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
        "created_by",
        "created_at",
        "job_link",
    ]
    list_filter = ["status", "format"]
    # The file is private (PrivateImportStorage has no URL): its page shows the name only.
    exclude = ["file"]
    change_list_template = "admin/accessions/importjob/change_list.html"

    def may_import(self, request) -> bool:
        return all(request.user.has_perm(permission) for permission in IMPORT_PERMISSIONS)

    def has_add_permission(self, request):
        return False  # the upload view replaces the add form

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return self.may_import(request) or super().has_view_permission(request, obj)

    @admin.display(description="Preview or result")
    def job_link(self, job):
        name = "preview" if job.status == ImportJob.Status.PREVIEWED else "result"
        url = reverse(f"admin:accessions_importjob_{name}", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, name.title())

    def get_urls(self):
        own = [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="accessions_importjob_upload",
            ),
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="accessions_importjob_preview",
            ),
            path(
                "<int:pk>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="accessions_importjob_confirm",
            ),
            path(
                "<int:pk>/result/",
                self.admin_site.admin_view(self.result_view),
                name="accessions_importjob_result",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def _job(self, request, pk) -> ImportJob:
        if not self.may_import(request):
            raise PermissionDenied
        return get_object_or_404(ImportJob, pk=pk)

    def upload_view(self, request):
        if not self.may_import(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    job = preview_import(
                        upload=form.cleaned_data["file"],
                        user=request.user,
                        format_name=form.cleaned_data["format"],
                    )
                except ImportFileError as error:
                    form.add_error("file", str(error))
                else:
                    url = reverse("admin:accessions_importjob_preview", args=[job.pk])
                    return HttpResponseRedirect(url)
            status = 400
        context = self._context(request, "Import records from a CSV file", form=form)
        return TemplateResponse(
            request, "admin/accessions/importjob/upload.html", context, status=status
        )

    def preview_view(self, request, pk):
        job = self._job(request, pk)
        preview = job.preview
        context = self._context(
            request,
            f"Preview of {job.original_name}",
            job=job,
            preview=preview,
            outcomes=preview.get("outcomes", [])[:LISTED_ROWS],
            more_rows=max(job.rows_total - LISTED_ROWS, 0),
        )
        return TemplateResponse(request, "admin/accessions/importjob/preview.html", context)

    def confirm_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, pk)
        try:
            start_import(job=job)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accessions_importjob_preview", args=[pk]))
        return HttpResponseRedirect(reverse("admin:accessions_importjob_result", args=[pk]))

    def result_view(self, request, pk):
        job = self._job(request, pk)
        running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        context = self._context(
            request, f"Import of {job.original_name}", job=job, result=job.result, running=running
        )
        return TemplateResponse(request, "admin/accessions/importjob/result.html", context)


@admin.action(description="Export selected records as CSV", permissions=["view"])
def export_selected_csv(modeladmin, request, queryset):
    return export_response(
        queryset, export_format="csv", filename="selected-records", columns=STAFF_COLUMNS
    )


@admin.action(description="Export selected records as JSON", permissions=["view"])
def export_selected_json(modeladmin, request, queryset):
    return export_response(
        queryset, export_format="json", filename="selected-records", columns=STAFF_COLUMNS
    )
