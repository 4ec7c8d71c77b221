"""The staff workspace of the catalogue: vocabularies, donors, rights statements, accessions.

The record admin has its own module, record_admin.py.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accessions.catalogue.counting import EstimatedCountAdmin
from accessions.catalogue.editing import save_accession, save_shown_object
from accessions.catalogue.intake import create_record_from_accession
from accessions.catalogue.models import (
    Accession,
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.catalogue.page_cache import forget_public_pages
from accessions.catalogue.propagation import records_showing
from accessions.catalogue.terms import MergeError, delete_terms, merge_terms


class ShownOnRecordsAdmin(EstimatedCountAdmin):
    """Admin of an object that records show: saving or deleting it moves those records
    (their OAI datestamps, sitemap and feed dates, search entries; catalogue.propagation)."""

    def save_model(self, request, obj, form, change):
        save_shown_object(instance=obj, changed_fields=form.changed_data if change else None)

    # Names, descriptions, statements and credits appear on the cached public pages, also
    # where no published record moves (a collection's description on its page, say).
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        forget_public_pages()

    def delete_model(self, request, obj):
        delete_terms(queryset=type(obj).objects.filter(pk=obj.pk))
        forget_public_pages()

    def delete_queryset(self, request, queryset):
        delete_terms(queryset=queryset)
        forget_public_pages()


class TaxonomyAdmin(ShownOnRecordsAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MergeableTaxonomyAdmin(TaxonomyAdmin):
    """Duplicates (imports bring “Kennan, George F.” beside “George F. Kennan”) can be
    merged into one term."""

    actions = ["merge_selected"]

    def has_merge_permission(self, request):
        # Django shows an action to staff holding any one of its permissions; a merge
        # changes one term and deletes the others, so it needs both.
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.action(description="Merge the selected terms into one", permissions=["merge"])
    def merge_selected(self, request, queryset):
        terms = list(queryset.order_by("name"))
        if len(terms) < 2:
            self.message_user(request, "Select two or more terms to merge.", messages.WARNING)
            return None
        keep = next((term for term in terms if str(term.pk) == request.POST.get("keep")), None)
        if keep is None:
            pks = [term.pk for term in terms]
            context = {
                **self.admin_site.each_context(request),
                "title": f"Merge {self.model._meta.verbose_name_plural}",
                "opts": self.model._meta,
                "terms": terms,
                "record_count": records_showing(model=self.model, pks=pks).count(),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accessions/merge_terms.html", context)
        try:
            moved = merge_terms(keep=keep, merged=terms)
        except MergeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(
            request,
            f"Merged {len(terms) - 1} into “{keep}”; {moved} record(s) changed.",
            messages.SUCCESS,
        )
        return None


for model in (Subject, DocumentType, Classification):
    admin.site.register(model, MergeableTaxonomyAdmin)


@admin.register(Repository)
class RepositoryAdmin(TaxonomyAdmin):
    list_display = ["name", "location"]


@admin.register(Collection)
class CollectionAdmin(TaxonomyAdmin):
    list_display = ["name", "parent", "slug"]
    autocomplete_fields = ["parent"]


@admin.register(Place)
class PlaceAdmin(MergeableTaxonomyAdmin):
    list_display = ["name", "parent", "slug"]
    autocomplete_fields = ["parent"]


NAME_PARTS = ("family_name", "given_name", "name_particle", "name_suffix", "family_name_first")


class AgentForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # Split before the model's validation, which checks that a person has a family name.
        agent = Agent(
            **{name: cleaned[name] for name in ("name", "kind", *NAME_PARTS) if name in cleaned}
        )
        agent.derive_name_parts()
        cleaned.update({name: getattr(agent, name) for name in NAME_PARTS})
        return cleaned


@admin.register(Agent)
class AgentAdmin(MergeableTaxonomyAdmin):
    form = AgentForm
    list_display = ["name", "kind", "family_name", "given_name", "slug"]
    list_filter = ["kind", "family_name_first"]
    search_fields = ["name", "slug", "family_name", "given_name"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind"]}),
        (
            "Name in citations (persons)",
            {
                "fields": [
                    ("family_name", "given_name"),
                    ("name_particle", "name_suffix"),
                    "family_name_first",
                ],
                "description": "How citations write a person: “Kennan, George F.”. Split "
                "from the name when the person is first saved; correct the parts here. "
                "Organisations are cited by their name as it stands.",
            },
        ),
    ]


@admin.register(Language)
class LanguageAdmin(ShownOnRecordsAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(RightsStatement)
class RightsStatementAdmin(ShownOnRecordsAdmin):
    list_display = ["name", "uri", "inquiry_email"]
    search_fields = ["name", "statement"]


@admin.register(Donor)
class DonorAdmin(ShownOnRecordsAdmin):
    list_display = ["name", "kind", "is_funder"]
    list_filter = ["kind", "is_funder"]
    search_fields = ["name", "credit"]
    prepopulated_fields = {"slug": ["name"]}
    contact_fields = ["email", "phone", "address", "contact_notes"]
    guarded_fields = dict.fromkeys(contact_fields, "accessions.view_donor_contact")

    def can_see_contact(self, request) -> bool:
        return request.user.has_perm("accessions.view_donor_contact")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["name", "slug", "kind", "credit", "is_funder"]})]
        if self.can_see_contact(request):
            fieldsets.append(("Contact (staff only)", {"fields": self.contact_fields}))
        return fieldsets

    def get_search_fields(self, request):
        if self.can_see_contact(request):
            return [*self.search_fields, "email"]
        return self.search_fields


class RecordInline(admin.TabularInline):
    model = Record
    fields = ["record_link", "title", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Record ID")
    def record_link(self, record):
        url = reverse("admin:accessions_record_change", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.record_id)


@admin.register(Accession)
class AccessionAdmin(EstimatedCountAdmin):
    list_display = [
        "number",
        "title",
        "date_received",
        "acquisition_method",
        "processing_status",
        "processing_priority",
    ]
    list_filter = [
        "acquisition_method",
        "processing_status",
        "processing_priority",
        "access_restricted",
    ]
    search_fields = ["number", "title", "donors__name"]
    date_hierarchy = "date_received"
    autocomplete_fields = ["donors"]
    readonly_fields = ["number", "created_at", "created_by"]
    inlines = [RecordInline]
    actions = ["start_record"]
    change_form_template = "admin/accessions/accession/change_form.html"
    fieldsets = [
        (None, {"fields": ["number", "title", "date_received", "acquisition_method", "donors"]}),
        ("Extent and scope", {"fields": ["extent", "scope"]}),
        ("Processing", {"fields": ["processing_status", "processing_priority", "location"]}),
        ("Access", {"fields": ["access_restricted", "access_conditions"]}),
        ("Notes", {"fields": ["notes", "created_at", "created_by"]}),
    ]

    def save_model(self, request, obj, form, change):
        save_accession(accession=obj, user=request.user)

    @admin.action(
        description="Create a draft record from each selected accession", permissions=["add_record"]
    )
    def start_record(self, request, queryset):
        for accession in queryset:
            record = create_record_from_accession(accession=accession, user=request.user)
            self.message_user(
                request,
                format_html(
                    'Created draft record <a href="{}">{}</a> from {}.',
                    reverse("admin:accessions_record_change", args=[record.pk]),
                    record.record_id,
                    accession.number,
                ),
                messages.SUCCESS,
            )

    def has_add_record_permission(self, request):
        return request.user.has_perm("accessions.add_record")
