"""The record admin: a record's fields, texts, history, workflow actions and preview."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accessions.catalogue.admin_widgets import LoadedAutocompleteMixin
from accessions.catalogue.counting import EstimatedCountAdmin
from accessions.catalogue.editing import save_record
from accessions.catalogue.guarded_admin import ReadOnlyInline
from accessions.catalogue.models import (
    Accession,
    Record,
    RecordEvent,
    RecordText,
)
from accessions.catalogue.parameters import primary_key
from accessions.catalogue.prefetch import record_for_page
from accessions.catalogue.staff_search import search_records
from accessions.catalogue.views import record_page_context
from accessions.catalogue.workflow import (
    TRANSITIONS,
    WorkflowError,
    available_transitions,
    missing_values,
    transition_record,
)
from accessions.search.indexing import update_search_index


class RecordTextInline(LoadedAutocompleteMixin, admin.StackedInline):
    model = RecordText
    extra = 0
    fields = [("kind", "language", "is_primary", "position"), "credit", "body"]
    autocomplete_fields = ["language"]

    def get_queryset(self, request):
        # Each text's heading and language field show its language.
        return super().get_queryset(request).select_related("language")


class RecordEventInline(ReadOnlyInline):
    model = RecordEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]
    verbose_name_plural = "Workflow history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def _transition_action(name: str):
    transition = TRANSITIONS[name]

    def action(modeladmin, request, queryset):
        modeladmin.apply_transition(request, queryset, name)

    action.__name__ = f"transition_{name}"
    action.short_description = f"{transition.label} selected records"
    action.allowed_permissions = [f"transition_{name}"]
    return action


class RecordAdmin(LoadedAutocompleteMixin, EstimatedCountAdmin):
    list_display = ["record_id", "title", "date_display", "status", "accession_link", "updated_at"]
    list_display_links = ["record_id", "title"]
    list_filter = [
        "status",
        "collections",
        "languages",
        "original_classification",
        "document_type",
        "rights",
    ]
    # Searched by get_search_results, through an index (accessions.catalogue.staff_search).
    search_fields = ["record_id", "title", "summary", "accession__number"]
    search_help_text = "A record ID, words of the title or summary, or an accession number."
    list_select_related = ["accession"]
    list_per_page = 50
    ordering = ["-record_id"]
    autocomplete_fields = [
        "original_archive",
        "original_classification",
        "document_type",
        "languages",
        "authors",
        "people_and_organizations",
        "places",
        "subjects",
        "collections",
        "donors",
        "rights",
        "accession",
    ]
    readonly_fields = [
        "status",
        "date_display",
        "date_edtf",
        "published_at",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "accession_link",
        "public_link",
    ]
    inlines = [RecordTextInline, RecordEventInline]
    actions = [_transition_action(name) for name in TRANSITIONS]
    change_form_template = "admin/accessions/record/change_form.html"
    fieldsets = [
        (None, {"fields": ["record_id", "status", "public_link"]}),
        ("Heading", {"fields": ["date_text", "date_display", "date_edtf", "title", "donors"]}),
        ("Summary", {"fields": ["summary"]}),
        (
            "Document information",
            {
                "fields": [
                    "source",
                    "rights",
                    "original_upload_date",
                    "languages",
                    "original_archive",
                    "original_classification",
                    "document_type",
                ]
            },
        ),
        (
            "Indexing",
            {
                "fields": [
                    "authors",
                    "people_and_organizations",
                    "places",
                    "subjects",
                    "collections",
                ]
            },
        ),
        ("Provenance and staff notes", {"fields": ["accession", "accession_link", "staff_notes"]}),
        (
            "Record keeping",
            {
                "classes": ["collapse"],
                "fields": ["published_at", "created_at", "created_by", "updated_at", "updated_by"],
            },
        ),
    ]

    class Media:
        # The workflow box's styles: classes, not style attributes, which the CSP refuses.
        css = {"all": ["css/admin.css"]}

    def get_object(self, request, object_id, from_field=None):
        # The change page shows every relation of the record; loaded here, with the record,
        # they cost the same few queries however many values the record has (the autocomplete
        # widgets show these objects, see admin_widgets). has_texts serves the publication check.
        queryset = (
            self.get_queryset(request)
            .select_related(*(field.name for field in Record._meta.fields if field.many_to_one))
            .prefetch_related(*(field.name for field in Record._meta.many_to_many))
            .annotate(has_texts=Exists(RecordText.objects.filter(record=OuterRef("pk"))))
        )
        field = Record._meta.pk if from_field is None else Record._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Record.DoesNotExist, ValidationError, ValueError):
            return None

    def get_search_results(self, request, queryset, search_term):
        # Django's own search compares the record ID as text and reads every record.
        return search_records(queryset, search_term), False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # A new record gets the next free id unless staff migrate one with its old id.
            fieldsets = [
                (
                    None,
                    {
                        "fields": ["record_id"],
                        "description": "Leave the record ID empty to assign the next free number.",
                    },
                ),
                *fieldsets[1:],
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        # Record ids are public and permanent: settable on creation only.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "record_id"] if obj is not None else readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "record_id" in form.base_fields:
            form.base_fields["record_id"].required = False
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        accession_pk = primary_key(request.GET.get("accession", ""))
        if accession_pk:
            accession = Accession.objects.filter(pk=accession_pk).first()
            if accession:
                initial["accession"] = accession.pk
                initial.setdefault("title", accession.title)
                initial["donors"] = list(accession.donors.filter(is_funder=True))
        return initial

    def save_model(self, request, obj, form, change):
        # Saved in save_related, with its lists and texts, through editing.save_record.
        pass

    def save_related(self, request, form, formsets, change):
        relations = {
            field.name: form.cleaned_data[field.name]
            for field in Record._meta.many_to_many
            if field.name in form.cleaned_data
        }

        def save_inlines(record):
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)

        save_record(
            record=form.instance, user=request.user, relations=relations, save_related=save_inlines
        )

    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        update_search_index(record_pks=[pk])

    def delete_queryset(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            update_search_index(record_pks=pks)

    @admin.display(description="Accession", ordering="accession__number")
    def accession_link(self, record):
        if not record.accession_id:
            return "—"
        url = reverse("admin:accessions_accession_change", args=[record.accession_id])
        return format_html('<a href="{}">{}</a>', url, record.accession.number)

    @admin.display(description="Public page")
    def public_link(self, record):
        if record.pk is None:
            return "—"
        preview = reverse("admin:accessions_record_preview", args=[record.pk])
        if record.is_public:
            return format_html(
                '<a href="{}">{}</a> · <a href="{}">staff preview</a>',
                record.get_absolute_url(),
                record.get_absolute_url(),
                preview,
            )
        return format_html(
            'Not public ({}). <a href="{}">Preview as the public page</a>',
            record.get_status_display(),
            preview,
        )

    # Permission hooks that the admin consults for each transition action.
    def has_transition_submit_permission(self, request):
        return request.user.has_perm(TRANSITIONS["submit"].permission)

    def has_transition_publish_permission(self, request):
        return request.user.has_perm(TRANSITIONS["publish"].permission)

    def has_transition_withdraw_permission(self, request):
        return request.user.has_perm(TRANSITIONS["withdraw"].permission)

    def has_transition_return_to_draft_permission(self, request):
        return request.user.has_perm(TRANSITIONS["return_to_draft"].permission)

    def apply_transition(self, request, queryset, name: str):
        done, refused = 0, []
        for record in queryset.order_by("record_id"):
            try:
                transition_record(record=record, action=name, user=request.user)
                done += 1
            except (WorkflowError, PermissionDenied) as error:
                refused.append(str(error))
        if done:
            self.message_user(
                request, f"{TRANSITIONS[name].label}: {done} record(s) done.", messages.SUCCESS
            )
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="accessions_record_preview",
            ),
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="accessions_record_transition",
            ),
        ]
        return own + super().get_urls()

    def preview_view(self, request, object_id):
        """The public page of any record, marked as a staff preview; never reachable publicly."""
        pk = primary_key(object_id)
        record = record_for_page(Record.objects.all(), pk=pk) if pk else None
        if record is None:
            raise Http404("No record has this id.")
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        context = record_page_context(record, request)
        context["is_preview"] = True
        response = TemplateResponse(request, "catalogue/record_detail.html", context)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def transition_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        record = get_object_or_404(Record, pk=primary_key(object_id))
        try:
            transition_record(
                record=record,
                action=action,
                user=request.user,
                note=request.POST.get("note", "")[:2000],
            )
        except (WorkflowError, PermissionDenied) as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Record {record.record_id} is now {record.get_status_display().lower()}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:accessions_record_change", args=[record.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["transitions"] = available_transitions(obj, request.user) if obj else []
        if obj is not None and obj.status != Record.Status.PUBLISHED:
            # workflow.missing_for_publication, from what get_object loaded.
            context["missing_for_publication"] = missing_values(
                title=obj.title,
                date_text=obj.date_text,
                rights_id=obj.rights_id,
                has_summary_or_text=bool(obj.summary.strip()) or obj.has_texts,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
