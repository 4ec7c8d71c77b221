"""Public pages. Every queryset here starts from Record.objects.published()."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from accessions.catalogue.collections import visible_collections
from accessions.catalogue.models import Record


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
def record_detail(request, record_id: int):
    try:
        record = Record.objects.published().for_record_page().get(record_id=record_id)
    except Record.DoesNotExist:
        # A withdrawn record says so (410) without showing anything of its content.
        if Record.objects.withdrawn().filter(record_id=record_id).exists():
            return render(
                request, "catalogue/record_gone.html", {"record_id": record_id}, status=410
            )
        raise Http404("No published document has this record ID.") from None
    return render(request, "catalogue/record_detail.html", record_page_context(record, request))


@require_safe
def home(request):
    recent = (
        Record.objects.published()
        .select_related("document_type")
        .order_by("-published_at", "-record_id")[:8]
    )
    collections = visible_collections().filter(parent__isnull=True)
    return render(
        request,
        "catalogue/home.html",
        {
            "recent_records": recent,
            "collections": collections,
            "published_count": Record.objects.published().count(),
        },
    )


@require_safe
def collection_list(request):
    return render(
        request,
        "catalogue/collection_list.html",
        {
            "collections": visible_collections().select_related("parent"),
        },
    )


@require_safe
def collection_detail(request, slug: str):
    collection = get_object_or_404(visible_collections(), slug=slug)
    records = (
        Record.objects.published()
        .filter(collections=collection)
        .order_by("date_start", "record_id")
    )
    page = Paginator(records, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/collection_detail.html",
        {
            "collection": collection,
            "children": visible_collections().filter(parent=collection),
            "page": page,
        },
    )
