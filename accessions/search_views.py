"""The public search page."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accessions.filters import RecordFilter
from accessions.models import Record


@require_safe
def search(request):
    record_filter = RecordFilter(request.GET, queryset=Record.objects.published())
    records = record_filter.qs.distinct().order_by("date_start", "record_id")
    page = Paginator(records, 20).get_page(request.GET.get("page"))
    return render(request, "accessions/search.html", {"filter": record_filter, "page": page})
