"""The public search page and browsing: home, collections; searching is engine.run_search."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from accessions.catalogue.models import Record
from accessions.catalogue.page_cache import cache_public_page
from accessions.catalogue.parameters import page_number
from accessions.scans.views import first_page_thumbnails
from accessions.search.browse import (
    Position,
    collection_records,
    published_total,
    visible_collections,
)
from accessions.search.engine import facet_values, run_search
from accessions.search.facets import FACETS_BY_PARAM
from accessions.search.filters import SORTS


@require_safe
@cache_public_page
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
@cache_public_page
def search_facet(request, param: str):
    """All values of one facet, with counts under the current filters, searchable by name."""
    if param not in FACETS_BY_PARAM:
        raise Http404("There is no such filter.")
    within = request.GET.get("within", "")[:100]
    # `page` here pages the values; the search's own page does not apply to them.
    params = request.GET.copy()
    # A page past the end or no page at all shows the first; these links are not bookmarks.
    page = page_number(request.GET) or 1
    params.pop("page", None)
    result = facet_values(params, param=param, within=within, page=page)
    return render(
        request,
        "search/facet.html",
        {
            "result": result,
            "group": result.facets[0] if result.facets else None,
            "param": param,
            "definition": FACETS_BY_PARAM[param],
            "within": within,
            "params": params,
            "previous_page": _values_page(request, result.page_number - 1)
            if result.has_previous
            else "",
            "next_page": _values_page(request, result.page_number + 1) if result.has_next else "",
        },
        status=200 if result.is_valid else 400,
    )


def _values_page(request, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return "?" + params.urlencode()


@require_safe
@cache_public_page
def home(request):
    recent = (
        Record.objects.published()
        .select_related("document_type")
        .order_by("-published_at", "-record_id")[:8]
    )
    return render(
        request,
        "search/home.html",
        {
            "recent_records": recent,
            "collections": visible_collections().filter(parent__isnull=True).order_by("name"),
            "published_count": published_total(),
        },
    )


@require_safe
@cache_public_page
def collection_list(request):
    collections = visible_collections().select_related("parent").order_by("name")
    return render(request, "search/collection_list.html", {"collections": collections})


@require_safe
@cache_public_page
def collection_detail(request, slug: str):
    """A collection and its records in date order, paged by position (?after=, ?before=)."""
    collection = get_object_or_404(visible_collections(), slug=slug)
    after, before, status = None, None, 200
    for name in ("after", "before"):
        if name in request.GET:
            position = Position.from_token(request.GET[name])
            if position is None:
                # A mangled link: say so, and show the first page rather than nothing.
                status = 400
            elif name == "after":
                after = position
            else:
                before = position
    if after and before:
        after, before, status = None, None, 400
    page = collection_records(collection, after=after, before=before)
    return render(
        request,
        "search/collection_detail.html",
        {
            "collection": collection,
            "children": visible_collections().filter(parent=collection).order_by("name"),
            "page": page,
            "bad_page_link": status == 400,
        },
        status=status,
    )
