"""Citation downloads for published records: BibTeX, RIS and CSL-JSON."""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accessions.catalogue.models import Record
from accessions.catalogue.prefetch import record_for_page
from accessions.standards.citations.citation import Citation
from accessions.standards.citations.formats import EXPORTS


@require_safe
def cite(request, record_id: int, extension: str):
    if extension not in EXPORTS:
        raise Http404(f"Citations come as {', '.join('.' + e for e in EXPORTS)}.")
    record = record_for_page(Record.objects.published(), record_id=record_id)
    if record is None:
        raise Http404("No published document has this record ID.")
    _label, render, content_type = EXPORTS[extension]
    citation = Citation.from_record(
        record,
        url=request.build_absolute_uri(record.get_absolute_url()),
        accessed=timezone.localdate(),
    )
    response = HttpResponse(render(citation), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="record-{record_id}.{extension}"'
    return response
