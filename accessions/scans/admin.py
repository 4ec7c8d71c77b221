"""Staff side of scans: attach files to a record, see pages, fixity and derivative failures."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accessions.catalogue.counting import EstimatedCountAdmin
from accessions.catalogue.models import Record
from accessions.catalogue.page_cache import forget_public_pages
from accessions.scans.ingest import ScanRejected, delete_scan, ingest_scans, inspect_upload
from accessions.scans.models import Scan, ScanPage
from accessions.scans.ocr import ocr_status
from accessions.scans.tasks import remake_derivatives
from accessions.scans.views import PAGE_IMAGE_FIELDS, serve_scan_file


def thumbnail_html(page: ScanPage | None):
    if page is None or not page.is_ready:
        return "Images being made…"
    width, height = page.thumbnail_size
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" loading="lazy" class="scan-thumbnail">',
        page.staff_image_url("thumb"),
        width,
        height,
        page.label,
    )


def derivative_html(scan: Scan):
    if scan.derivative_status == Scan.DerivativeStatus.FAILED:
        return format_html(
            '<strong class="scan-problem">Failed after {} attempt(s)</strong>: {}',
            scan.derivative_attempts,
            scan.derivative_error,
        )
    return scan.get_derivative_status_display()


def fixity_html(scan: Scan):
    if scan.fixity_ok is None:
        return "Not re-checked since ingest"
    if scan.fixity_ok:
        return format_html("Intact (checked {:%Y-%m-%d %H:%M})", scan.fixity_checked_at)
    return format_html('<strong class="scan-problem">CHANGED OR MISSING</strong>')


class ScanInline(admin.TabularInline):
    model = Scan
    fields = [
        "preview",
        "label",
        "kind",
        "position",
        "original_filename",
        "page_count",
        "sha256",
        "derivatives",
        "fixity",
    ]
    readonly_fields = [
        "preview",
        "original_filename",
        "page_count",
        "sha256",
        "derivatives",
        "fixity",
    ]
    extra = 0
    show_change_link = True
    template = "admin/accessions/scan/inline.html"

    class Media:
        # Classes, not style attributes, which the Content-Security-Policy refuses.
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request, obj=None):
        # Files are attached through the upload view, which validates them first.
        return False

    def get_queryset(self, request):
        # Only the first page is shown, and a PDF may have two thousand.
        first_pages = ScanPage.objects.filter(number=1)
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("pages", first_pages, to_attr="first_pages"))
        )

    @admin.display(description="First page")
    def preview(self, scan):
        return thumbnail_html(scan.first_pages[0] if scan.first_pages else None)

    @admin.display(description="Derivatives")
    def derivatives(self, scan):
        return derivative_html(scan)

    @admin.display(description="Fixity")
    def fixity(self, scan):
        return fixity_html(scan)


class ScanPageInline(admin.TabularInline):
    model = ScanPage
    fields = ["number", "preview", "label", "width", "height", "has_text_layer", "ocr"]
    readonly_fields = ["number", "preview", "width", "height", "has_text_layer", "ocr"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Page")
    def preview(self, page):
        return thumbnail_html(page)

    @admin.display(description="OCR text")
    def ocr(self, page):
        if not page.ocr_text:
            return "—"
        return format_html(
            '<div class="scan-ocr-text">{}</div><small>Tesseract, {}</small>',
            page.ocr_text,
            page.ocr_language,
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.tif,.tiff"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        cleaned, errors = [], []
        for item in files:
            try:
                cleaned.append(super().clean(item, initial))
            except forms.ValidationError as error:
                # Several files at once: say which one ("The submitted file is empty").
                name = getattr(item, "name", "") or "A file"
                errors += [f"{name}: {message}" for message in error.messages]
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


class AttachScansForm(forms.Form):
    files = MultipleFileField(
        help_text="Images (JPEG, PNG, TIFF, WebP) or PDFs; choose or drag in several at once."
    )
    kind = forms.ChoiceField(choices=Scan.Kind.choices, initial=Scan.Kind.ORIGINAL)
    label = forms.CharField(
        required=False, max_length=255, help_text="Optional, e.g. “Envelope”; one-page files only."
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        errors = []
        for upload in files:
            try:
                inspect_upload(upload, name=upload.name)
            except ScanRejected as rejection:
                errors.append(str(rejection))
        if errors:
            raise forms.ValidationError(errors)
        return files


@admin.register(Scan)
class ScanAdmin(EstimatedCountAdmin):
    list_display = [
        "__str__",
        "record_link",
        "kind",
        "page_count",
        "derivative_status",
        "derivative_attempts",
        "fixity_ok",
        "duplicate_of",
    ]
    list_filter = ["derivative_status", "kind", "fixity_ok"]
    search_fields = ["=sha256", "original_filename", "label", "=record__record_id"]
    list_select_related = ["record"]
    readonly_fields = [
        "record_link",
        "original_filename",
        "media_type",
        "size_bytes",
        "sha256",
        "duplicate_of",
        "page_count",
        "uploaded_at",
        "uploaded_by",
        "derivatives",
        "fixity",
        "ocr",
        "original_link",
    ]
    fields = [
        "record_link",
        "label",
        "kind",
        "position",
        "original_filename",
        "original_link",
        "media_type",
        "size_bytes",
        "sha256",
        "duplicate_of",
        "page_count",
        "uploaded_at",
        "uploaded_by",
        "derivatives",
        "fixity",
        "ocr",
    ]
    inlines = [ScanPageInline]
    actions = ["remake_selected_derivatives"]

    class Media:
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request):
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Labels and order show on the record's cached public page.
        forget_public_pages()

    def delete_model(self, request, obj):
        delete_scan(scan=obj)

    def delete_queryset(self, request, queryset):
        for scan in queryset:
            delete_scan(scan=scan)

    @admin.display(description="Record", ordering="record__record_id")
    def record_link(self, scan):
        url = reverse("admin:accessions_record_change", args=[scan.record_id])
        return format_html('<a href="{}">{}</a>', url, scan.record)

    @admin.display(description="Also attached to")
    def duplicate_of(self, scan):
        others = (
            Scan.objects.filter(sha256=scan.sha256)
            .exclude(pk=scan.pk)
            .values_list("record__record_id", flat=True)
        )
        return ", ".join(f"record {record_id}" for record_id in others) or "—"

    @admin.display(description="Original file")
    def original_link(self, scan):
        url = reverse("admin:accessions_scan_original", args=[scan.pk])
        return format_html('<a href="{}">Download the original</a>', url)

    @admin.display(description="Derivatives")
    def derivatives(self, scan):
        return derivative_html(scan)

    @admin.display(description="Fixity")
    def fixity(self, scan):
        return fixity_html(scan)

    @admin.display(description="OCR")
    def ocr(self, scan):
        return ocr_status().reason

    @admin.action(description="Make the derivatives of the selected scans again")
    def remake_selected_derivatives(self, request, queryset):
        made = failed = 0
        for scan in queryset:
            if remake_derivatives(scan=scan):
                made += 1
            else:
                failed += 1
        if made:
            self.message_user(request, f"Derivatives made for {made} scan(s).", messages.SUCCESS)
        if failed:
            self.message_user(request, f"{failed} scan(s) failed; see their error.", messages.ERROR)

    def get_urls(self):
        own = [
            path(
                "attach/<int:record_pk>/",
                self.admin_site.admin_view(self.attach_view),
                name="accessions_scan_attach",
            ),
            path(
                "page/<int:page_id>/<str:size>.jpg",
                self.admin_site.admin_view(self.page_image_view),
                name="accessions_scan_page_image",
            ),
            path(
                "<int:scan_id>/original/",
                self.admin_site.admin_view(self.original_view),
                name="accessions_scan_original",
            ),
        ]
        return own + super().get_urls()

    def page_image_view(self, request, page_id, size):
        """Any record's page images, drafts included, for staff who may view scans."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if size not in PAGE_IMAGE_FIELDS:
            raise Http404("No such image size.")
        page = get_object_or_404(ScanPage, pk=page_id)
        return serve_scan_file(getattr(page, PAGE_IMAGE_FIELDS[size]))

    def original_view(self, request, scan_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        scan = get_object_or_404(Scan, pk=scan_id)
        return serve_scan_file(scan.file.name, download_name=scan.original_filename)

    def attach_view(self, request, record_pk):
        record = get_object_or_404(Record, pk=record_pk)
        if not (
            self.has_add_permission_for_upload(request)
            and request.user.has_perm("accessions.change_record")
        ):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = AttachScansForm(request.POST, request.FILES)
            scans = None
            if form.is_valid():
                try:
                    scans = ingest_scans(
                        record=record,
                        uploads=[(upload, upload.name) for upload in form.cleaned_data["files"]],
                        kind=form.cleaned_data["kind"],
                        label=form.cleaned_data["label"],
                        user=request.user,
                    )
                except ScanRejected as rejection:
                    form.add_error("files", str(rejection))
            if scans is not None:
                self.message_user(
                    request,
                    f"Attached {len(scans)} file(s), {sum(s.page_count for s in scans)} page(s).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accessions_record_change", args=[record.pk])
                )
            status = 400
        else:
            form = AttachScansForm()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Attach scans to {record}",
            "record": record,
            "form": form,
            "opts": Record._meta,
            "ocr_status": ocr_status(),
        }
        return TemplateResponse(
            request, "admin/accessions/scan/attach.html", context, status=status
        )

    def has_add_permission_for_upload(self, request) -> bool:
        return request.user.has_perm("accessions.add_scan")
