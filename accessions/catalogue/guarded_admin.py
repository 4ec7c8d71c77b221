"""The base of every admin here: what a URL's parameters may reach and prefill.

The admin's change lists accept any field lookup in the query string (`?email__startswith=a`)
and answer with a count, so a field hidden from a page can still be read a letter at a
time. Each admin names its guarded fields and the permission that shows them; a lookup that
passes through any guarded field, on this model or across a relation, is refused (400) for
a user without that permission.

The add form also takes initial values from the query string (?rights=3); a related value
that is no key of its model is dropped, as Django's widgets fail to draw it.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
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

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            values = value if isinstance(value, list) else [value]
            if field.is_relation and not all(_is_key(field.target_field, v) for v in values):
                del initial[name]
        return initial


def _is_key(target_field, value) -> bool:
    """Whether the value can be a key of the field on this database."""
    try:
        prepared = target_field.get_prep_value(target_field.to_python(value))
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(prepared, int):
        low, high = connection.ops.integer_field_range(target_field.get_internal_type())
        return (low is None or prepared >= low) and (high is None or prepared <= high)
    return True


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows another operation writes (history, outbox, a box's records):
    its fields read-only, nothing added, changed or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or self.readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
