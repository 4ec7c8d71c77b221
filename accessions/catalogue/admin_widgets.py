"""Autocomplete fields that show their current values from the objects the page has loaded.

Django's autocomplete widgets look their selected values up again: one query per field, and
one per inline form (each text's language). The record's change page loads its relations
with the record, so these widgets show those objects, and the page's queries stay the same
however many values, texts or languages it shows.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple


class LoadedChoicesMixin:
    # The objects the form's instance holds for this field; set by LoadedChoicesForm.
    loaded = ()

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        loaded = [choice for choice in self.loaded if str(choice.pk) in selected]
        if len(loaded) < len(selected):
            # Values the instance does not hold, as a form sent back with errors has.
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for choice in loaded:
            label = self.choices.field.label_from_instance(choice)
            options.append(self.create_option(name, choice.pk, label, True, len(options)))
        return [(None, options, 0)]


class LoadedAutocompleteSelect(LoadedChoicesMixin, AutocompleteSelect):
    pass


class LoadedAutocompleteSelectMultiple(LoadedChoicesMixin, AutocompleteSelectMultiple):
    pass


class LoadedChoicesForm(forms.ModelForm):
    """Hands each autocomplete widget the related objects its instance already holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            # The admin wraps related widgets to add its "+" and edit links.
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, LoadedChoicesMixin):
                # Without select_related or prefetch_related this asks the database, as the
                # widget itself would have.
                related = getattr(self.instance, name)
                if self.instance._meta.get_field(name).many_to_many:
                    widget.loaded = list(related.all())
                else:
                    widget.loaded = [related] if related is not None else []


class LoadedAutocompleteMixin:
    """For a ModelAdmin or an inline: its autocomplete fields show the loaded objects."""

    form = LoadedChoicesForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                LoadedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                LoadedAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
