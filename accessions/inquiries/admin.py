"""Staff workspace for rights inquiries: the queue, answering, routing rules and the outbox."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from accessions.catalogue.counting import EstimatedCountAdmin
from accessions.catalogue.guarded_admin import GuardedModelAdmin, ReadOnlyInline
from accessions.catalogue.models import Record
from accessions.catalogue.parameters import positive_number
from accessions.inquiries.answering import answer_inquiry, update_inquiry
from accessions.inquiries.models import (
    MESSAGE_MAX_LENGTH,
    InquiryEvent,
    OutgoingEmail,
    RightsInquiry,
    RoutingRule,
)
from accessions.inquiries.outbox import resend_emails
from accessions.inquiries.routing import matching_rules, route_for_record

DETAILS_PERMISSION = "accessions.view_requester_details"
REQUESTER_FIELDS = ["name", "email", "organisation", "client_ip"]


def can_see_requester(request) -> bool:
    return request.user.has_perm(DETAILS_PERMISSION)


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("today", "Received in the last 24 hours"),
            ("7", "Older than 7 days"),
            ("30", "Older than 30 days"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "today":
            return queryset.filter(created_at__gte=now - timedelta(days=1))
        if self.value() in {"7", "30"}:
            return queryset.filter(created_at__lt=now - timedelta(days=int(self.value())))
        return queryset


class InquiryEventInline(ReadOnlyInline):
    model = InquiryEvent
    fields = ["at", "kind", "from_status", "to_status", "actor", "note"]
    verbose_name_plural = "History"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class OutgoingEmailInline(ReadOnlyInline):
    model = OutgoingEmail
    fields = ["kind", "status", "attempts", "last_error", "next_attempt_at", "sent_at"]
    show_change_link = True
    verbose_name_plural = "Emails"


@admin.register(RightsInquiry)
class RightsInquiryAdmin(EstimatedCountAdmin):
    list_display = [
        "reference",
        "record_link",
        "intended_use",
        "status",
        "assignee",
        "age",
        "undelivered_emails",
    ]
    list_filter = ["status", ("assignee", admin.RelatedOnlyFieldListFilter), AgeFilter, "outcome"]
    search_fields = ["reference"]
    list_select_related = ["record", "assignee"]
    guarded_fields = dict.fromkeys(REQUESTER_FIELDS, DETAILS_PERMISSION)
    ordering = ["-created_at"]
    inlines = [OutgoingEmailInline, InquiryEventInline]
    actions = ["assign_to_me", "mark_in_progress", "mark_closed"]
    readonly_fields = [
        "reference",
        "record_link",
        *REQUESTER_FIELDS,
        "intended_use",
        "document_part",
        "message",
        "routed_to",
        "routing_reason",
        "reply",
        "outcome",
        "answered_at",
        "answered_by",
        "created_at",
        "answer_link",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                undelivered=Count("emails", filter=~Q(emails__status=OutgoingEmail.Status.SENT))
            )
        )

    def get_list_display(self, request):
        if can_see_requester(request):
            return [*self.list_display[:2], "name", "email", *self.list_display[2:]]
        return self.list_display

    def get_search_fields(self, request):
        if can_see_requester(request):
            return [*self.search_fields, "email", "name"]
        return self.search_fields

    def get_fieldsets(self, request, obj=None):
        heading = ["reference", "record_link"]
        if request.user.has_perm("accessions.answer_rightsinquiry"):
            heading.append("answer_link")
        fieldsets = [(None, {"fields": heading})]
        if can_see_requester(request):
            fieldsets.append(("Requester (rights staff only)", {"fields": REQUESTER_FIELDS}))
        fieldsets += [
            ("Request", {"fields": ["intended_use", "document_part", "message", "created_at"]}),
            ("Routing", {"fields": ["routed_to", "routing_reason"]}),
            ("Tracking", {"fields": ["status", "assignee", "internal_notes"]}),
            ("Answer", {"fields": ["reply", "outcome", "answered_at", "answered_by"]}),
        ]
        return fieldsets

    def has_add_permission(self, request):
        # Inquiries come from the public form only.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = db_field.related_model.objects.filter(
                is_staff=True, is_active=True
            ).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        update_inquiry(
            inquiry=obj,
            user=request.user,
            status=form.cleaned_data["status"],
            assignee=form.cleaned_data["assignee"],
            internal_notes=form.cleaned_data["internal_notes"],
        )

    @admin.action(description="Assign the selected inquiries to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        for inquiry in queryset:
            update_inquiry(inquiry=inquiry, user=request.user, assignee=request.user)
        self.message_user(request, f"{queryset.count()} inquiry(ies) assigned to you.")

    @admin.action(description="Mark the selected inquiries in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._set_status(request, queryset, RightsInquiry.Status.IN_PROGRESS)

    @admin.action(description="Close the selected inquiries", permissions=["change"])
    def mark_closed(self, request, queryset):
        self._set_status(request, queryset, RightsInquiry.Status.CLOSED)

    def _set_status(self, request, queryset, status):
        for inquiry in queryset:
            update_inquiry(inquiry=inquiry, user=request.user, status=status)
        label = RightsInquiry.Status(status).label.lower()
        self.message_user(request, f"{queryset.count()} inquiry(ies) marked {label}.")

    @admin.display(description="Record", ordering="record__record_id")
    def record_link(self, inquiry):
        url = reverse("admin:accessions_record_change", args=[inquiry.record_id])
        return format_html('<a href="{}">{}</a>', url, inquiry.record.record_id)

    @admin.display(description="Age", ordering="created_at")
    def age(self, inquiry):
        return timesince(inquiry.created_at)

    @admin.display(description="Unsent emails", ordering="undelivered")
    def undelivered_emails(self, inquiry):
        if not inquiry.undelivered:
            return "—"
        url = reverse("admin:accessions_outgoingemail_changelist")
        return format_html('<a href="{}?q={}">{}</a>', url, inquiry.reference, inquiry.undelivered)

    @admin.display(description="Answer")
    def answer_link(self, inquiry):
        if inquiry.pk is None:
            return "—"
        url = reverse("admin:accessions_rightsinquiry_answer", args=[inquiry.pk])
        return format_html('<a class="button" href="{}">Answer the requester</a>', url)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/answer/",
                self.admin_site.admin_view(self.answer_view),
                name="accessions_rightsinquiry_answer",
            )
        ]
        return own + super().get_urls()

    def answer_view(self, request, object_id):
        """Write the reply: it is emailed to the requester and stored on the inquiry."""
        if not request.user.has_perm("accessions.answer_rightsinquiry"):
            raise PermissionDenied
        inquiry = get_object_or_404(RightsInquiry.objects.select_related("record"), pk=object_id)
        form = AnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                answer_inquiry(
                    inquiry=inquiry,
                    reply=form.cleaned_data["reply"],
                    outcome=form.cleaned_data["outcome"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    f"Your answer to {inquiry.reference} is being emailed to the requester.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accessions_rightsinquiry_change", args=[inquiry.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Answer {inquiry.reference}",
            "inquiry": inquiry,
            "form": form,
            "show_requester": can_see_requester(request),
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/accessions/rightsinquiry/answer.html", context, status=status
        )


class AnswerForm(forms.Form):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        max_length=MESSAGE_MAX_LENGTH,
        help_text="Emailed to the requester and stored with the inquiry.",
    )
    outcome = forms.ChoiceField(
        choices=RightsInquiry.Outcome.choices,
        required=False,
        help_text="A granted or refused permission is also noted in the record's history.",
    )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(EstimatedCountAdmin):
    list_display = [
        "inquiry",
        "kind",
        "status",
        "attempts",
        "last_error_short",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["inquiry__reference", "to"]
    list_select_related = ["inquiry"]
    guarded_fields = dict.fromkeys(["to", "reply_to", "subject", "body"], DETAILS_PERMISSION)
    actions = ["resend"]

    # Recipients and bodies carry the requester's address and words.
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and can_see_requester(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_see_requester(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "id"]

    @admin.display(description="Last error")
    def last_error_short(self, email):
        return email.last_error[:120] or "—"

    @admin.action(description="Send the selected emails again", permissions=["change"])
    def resend(self, request, queryset):
        count = resend_emails(emails=queryset, user=request.user)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} email(s) queued for sending.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} email(s) were already sent and were left alone.", messages.INFO
            )


@admin.register(RoutingRule)
class RoutingRuleAdmin(GuardedModelAdmin):
    list_display = ["name", "kind_label", "criterion_label", "recipients", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "recipients"]
    list_select_related = ["donor", "collection", "original_archive", "rights_statement"]
    change_list_template = "admin/accessions/routingrule/change_list.html"
    fieldsets = [
        (None, {"fields": ["name", "recipients", "is_active"]}),
        (
            "Matches records by exactly one of",
            {
                "fields": ["donor", "collection", "original_archive", "rights_statement"],
                "description": "When several rules match a record, a donor rule wins over a "
                "collection rule, which wins over an original-archive rule, which wins over a "
                "rights-statement rule. With no rule, the rights statement's own inquiry "
                "address is used, then the archive's default address.",
            },
        ),
        ("Notes", {"fields": ["notes"]}),
    ]

    @admin.display(description="Matches on")
    def kind_label(self, rule):
        return rule.kind_label

    @admin.display(description="Value")
    def criterion_label(self, rule):
        return str(rule.criterion or "—")

    def get_urls(self):
        own = [
            path(
                "explain/",
                self.admin_site.admin_view(self.explain_view),
                name="accessions_routingrule_explain",
            )
        ]
        return own + super().get_urls()

    def explain_view(self, request):
        """Where an inquiry about a given record would go, and why."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record_id = request.GET.get("record_id", "").strip()
        record, route, rules, error = None, None, [], ""
        if record_id:
            if positive_number(record_id) is None:
                error = "A record ID is a number, like 117349."
            else:
                record = (
                    Record.objects.select_related("rights", "original_archive")
                    .filter(record_id=positive_number(record_id))
                    .first()
                )
                if record is None:
                    error = f"No record has the ID {record_id}."
                else:
                    route = route_for_record(record)
                    rules = matching_rules(record)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Where would an inquiry go?",
            "record_id": record_id,
            "record": record,
            "route": route,
            "rules": rules,
            "error": error,
        }
        return TemplateResponse(
            request,
            "admin/accessions/routingrule/explain.html",
            context,
            status=400 if error else 200,
        )
