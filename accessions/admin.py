"""The staff workspace, as Django's admin looks for it: each concern's admin, registered here.

Each concern registers its own models in its admin module. The record admin is composed
here, because three concerns add to it: the catalogue's fields and workflow, the scans
inline, and the export actions.
"""

from django.contrib import admin

from accessions.catalogue import admin as catalogue_admin  # noqa: F401  (registers its models)
from accessions.catalogue import record_admin
from accessions.catalogue.models import Record
from accessions.inquiries import admin as inquiries_admin  # noqa: F401  (registers its models)
from accessions.scans import admin as scans_admin
from accessions.standards.api import admin as api_admin  # noqa: F401  (registers its model)
from accessions.transfer import admin as transfer_admin

admin.site.site_header = "Archive staff workspace"
admin.site.site_title = "Archive staff"
admin.site.index_title = "Catalogue"


@admin.register(Record)
class RecordAdmin(record_admin.RecordAdmin):
    """Records, with their scans and the CSV/JSON export of a selection."""

    inlines = [*record_admin.RecordAdmin.inlines, scans_admin.ScanInline]
    actions = [
        *record_admin.RecordAdmin.actions,
        transfer_admin.export_selected_csv,
        transfer_admin.export_selected_json,
    ]
