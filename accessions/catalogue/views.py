"""The public record page. Its queryset starts from Record.objects.published()."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accessions.catalogue.models import Record
from accessions.catalogue.page_cache import cache_public_page
from accessions.catalogue.prefetch import record_for_page


def record_page_context(record: Record, request) -> dict:
    """What the record page template needs; shared by the public page and the staff preview."""
    texts = list(record.texts.all())
    main_text = record.main_text()
    contributors = [text.credit for text in texts if text.credit]
    return {
        "record": record,
        "main_text": main_text,
        "other_texts": [text for text in texts if text is not main_text],
        "contributors": contributors,
        "canonical_url": request.build_absolute_uri(record.get_absolute_url()),
        "is_preview": False,
    }


@require_safe
@cache_public_page
def record_detail(request, record_id: int):
    record = record_for_page(Record.objects.published(), record_id=record_id)
    if record is None:
        # A withdrawn record says so (410) without showing anything of its content.
        if Record.objects.withdrawn().filter(record_id=record_id).exists():
            return render(
                request, "catalogue/record_gone.html", {"record_id": record_id}, status=410
            )
        raise Http404("No published document has this record ID.")
    return render(request, "catalogue/record_detail.html", record_page_context(record, request))
