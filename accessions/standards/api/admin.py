"""Staff API tokens in the admin: each staff user makes and revokes their own."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accessions.catalogue.guarded_admin import GuardedModelAdmin
from accessions.standards.api.models import ApiToken
from accessions.standards.api.tokens import issue_token, revoke_tokens


@admin.register(ApiToken)
class ApiTokenAdmin(GuardedModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]
    # The digest is not secret as the token is, but no page shows it; nor may a URL probe it.
    guarded_fields = {"digest": "accessions.view_apitoken_digest"}

    # Any staff user may hold tokens; what a token may do is what its user may do.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or obj.user_id == request.user.pk or request.user.is_superuser
        )

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else self.fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, raw = issue_token(user=request.user, name=obj.name)
        obj.pk, obj.prefix, obj.digest = token.pk, token.prefix, token.digest
        obj._state.adding = False
        # Shown on the next page only; the database keeps its digest, never the token.
        request._issued_token = raw

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_issued_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "Your new API token",
            "opts": self.model._meta,
            "token": obj,
            "raw_token": raw,
        }
        response = TemplateResponse(request, "admin/accessions/apitoken/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke_selected(self, request, queryset):
        revoked = revoke_tokens(queryset=queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
