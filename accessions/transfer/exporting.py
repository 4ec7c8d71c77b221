"""Export records in the import's CSV format, or as JSON, streamed a chunk at a time."""

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse

from accessions.catalogue.models import Record, RecordText
from accessions.transfer.formats import MANY_FIELDS, MULTI_SEPARATOR, guard_cell

CHUNK_SIZE = 1000
PUBLIC_COLUMNS = (
    "record_id",
    "title",
    "date",
    "date_edtf",
    "summary",
    "source",
    "original_archive",
    "original_classification",
    "document_type",
    "rights",
    "original_upload_date",
    *MANY_FIELDS,
    "text",
)
# Staff exports also carry what the public never sees.
STAFF_COLUMNS = (*PUBLIC_COLUMNS, "status", "staff_notes")


def export_queryset(records: QuerySet) -> QuerySet:
    """The records with everything an export row needs, fetched in a fixed number of queries."""
    return (
        records.order_by("record_id")
        .select_related("original_archive", "original_classification", "document_type", "rights")
        .prefetch_related(
            *MANY_FIELDS,
            Prefetch("texts", queryset=RecordText.objects.filter(is_primary=True)),
        )
    )


def record_values(record: Record, columns: Iterable[str]) -> dict:
    """One record as export values; multi-values are lists, taxonomy values are names."""
    values = {}
    for column in columns:
        if column == "date":
            values[column] = record.date_text
        elif column == "original_upload_date":
            upload = record.original_upload_date
            values[column] = upload.isoformat() if upload else ""
        elif column == "text":
            main = next(iter(record.texts.all()), None)
            values[column] = main.body if main else ""
        elif column == "languages":
            values[column] = [language.code for language in record.languages.all()]
        elif column in MANY_FIELDS:
            values[column] = [item.name for item in getattr(record, column).all()]
        elif column in ("original_archive", "original_classification", "document_type", "rights"):
            related = getattr(record, column)
            values[column] = related.name if related else ""
        else:
            values[column] = getattr(record, column)
    return values


def iter_records(records: QuerySet) -> Iterator[Record]:
    return export_queryset(records).iterator(chunk_size=CHUNK_SIZE)


class _Echo:
    """A file-like object whose write() hands back the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(records: QuerySet, columns: tuple[str, ...]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for record in iter_records(records):
        yield writer.writerow(csv_cells(record_values(record, columns)))


def csv_cells(values: dict) -> list[str]:
    """One record's export values as CSV cells, multi-values joined, formulas guarded."""
    return [_cell(value) for value in values.values()]


def _cell(value) -> str:
    if isinstance(value, list):
        return guard_cell(MULTI_SEPARATOR.join(value))
    return guard_cell("" if value is None else str(value))


def json_chunks(records: QuerySet, columns: tuple[str, ...]) -> Iterator[str]:
    yield "["
    separator = "\n"
    for record in iter_records(records):
        yield separator + json.dumps(record_values(record, columns), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def export_response(
    records: QuerySet, *, export_format: str, filename: str, columns: tuple[str, ...]
) -> StreamingHttpResponse:
    """A streamed download of the records in the import's CSV format or as JSON."""
    if export_format == "json":
        response = StreamingHttpResponse(
            json_chunks(records, columns), content_type="application/json; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            csv_lines(records, columns), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{export_format}"'
    return response
