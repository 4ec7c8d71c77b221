"""Public downloads of published records: a search result set or a collection."""

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from accessions.search.browse import published_in_collection, visible_collections
from accessions.search.engine import matching_records
from accessions.transfer.exporting import PUBLIC_COLUMNS, export_response

EXPORT_FORMATS = ("csv", "json")


def _check_format(export_format: str) -> None:
    if export_format not in EXPORT_FORMATS:
        raise Http404("Exports are available as .csv or .json.")


@require_safe
def search_export(request, export_format: str):
    _check_format(export_format)
    records, errors = matching_records(request.GET)
    if records is None:
        messages = "; ".join(message for found in errors.values() for message in found)
        return HttpResponseBadRequest(
            f"The search could not be understood: {messages}",
            content_type="text/plain; charset=utf-8",
        )
    return export_response(
        records,
        export_format=export_format,
        filename="records",
        columns=PUBLIC_COLUMNS,
    )


@require_safe
def collection_export(request, slug: str, export_format: str):
    _check_format(export_format)
    collection = get_object_or_404(visible_collections(), slug=slug)
    records = published_in_collection(collection)
    return export_response(
        records, export_format=export_format, filename=collection.slug, columns=PUBLIC_COLUMNS
    )
