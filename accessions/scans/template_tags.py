"""The scan viewer on a record page: the pages, downloads and IIIF link, in one query."""

from django import template

from accessions.scans.views import scan_viewer_context

register = template.Library()


@register.inclusion_tag("scans/_viewer.html")
def scan_viewer(record, is_preview: bool = False) -> dict:
    """The record's scan pages as a viewer; staff previews read images through the admin."""
    return {"record": record, "is_preview": is_preview, **scan_viewer_context(record)}
