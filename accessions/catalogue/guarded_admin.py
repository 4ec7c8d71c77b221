"""The base of every admin here: URL filters never reach fields the user may not view.

The admin's change lists accept any field lookup in the query string (`?email__startswith=a`)
and answer with a count, so a field hidden from a page can still be read a letter at a
time. Each admin names its guarded fields and the permission that shows them; a lookup that
passes through any guarded field, on this model or across a relation, is refused (400) for
a user without that permission.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP


class GuardedModelAdmin(admin.ModelAdmin):
    # {field name: permission needed to view it, filter on it or search it}
    guarded_fields: dict[str, str] = {}

    def may_view_field(self, request, name: str) -> bool:
        permission = self.guarded_fields.get(name)
        return permission is None or request.user.has_perm(permission)

    def lookup_allowed(self, lookup, value, request):
        model = self.model
        for part in lookup.split(LOOKUP_SEP):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                break  # a transform or comparison: startswith, year, in, …
            model_admin = self.admin_site._registry.get(model)
            if isinstance(model_admin, GuardedModelAdmin) and not model_admin.may_view_field(
                request, field.name
            ):
                return False
            if not field.is_relation or field.related_model is None:
                break
            model = field.related_model
        return super().lookup_allowed(lookup, value, request)
