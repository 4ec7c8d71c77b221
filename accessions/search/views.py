"""The public search page; the searching itself is accessions.search.run_search."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accessions.scans.views import first_page_thumbnails
from accessions.search.engine import facet_values, run_search
from accessions.search.facets import FACETS_BY_PARAM
from accessions.search.filters import SORTS


@require_safe
def search(request):
    result = run_search(request.GET)
    # One query for the whole page's thumbnails (none when there are no hits).
    thumbnails = first_page_thumbnails([hit.record for hit in result.hits])
    for hit in result.hits:
        hit.thumbnail = thumbnails.get(hit.record.pk)
    return render(
        request,
        "search/search.html",
        {"result": result, "sorts": SORTS, "params": request.GET},
        status=200 if result.is_valid else 400,
    )


@require_safe
def search_facet(request, param: str):
    """All values of one facet, with counts under the current filters, searchable by name."""
    if param not in FACETS_BY_PARAM:
        raise Http404("There is no such filter.")
    within = request.GET.get("within", "")[:100]
    result = facet_values(request.GET, param=param, within=within)
    return render(
        request,
        "search/facet.html",
        {
            "result": result,
            "group": result.facets[0] if result.facets else None,
            "param": param,
            "definition": FACETS_BY_PARAM[param],
            "within": within,
            "params": request.GET,
        },
        status=200 if result.is_valid else 400,
    )
