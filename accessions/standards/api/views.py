"""Read-only JSON API: published records, visible collections and the search, paginated."""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accessions.catalogue.models import Collection, Record
from accessions.catalogue.parameters import PAGE_LIMIT, page_number
from accessions.catalogue.prefetch import record_for_page
from accessions.search.browse import visible_collections
from accessions.search.engine import run_search
from accessions.search.filters import search_parameters
from accessions.standards.api import shapes

# The search page shows twenty results a page; the API pages the same way so that page N
# of one is page N of the other.
PAGE_SIZE = 20


def _prefetched(records: list[Record]) -> list[Record]:
    """The search's own page of records, with what record_summary reads prefetched.

    The search already loaded these rows from the published records; only their lists are
    fetched here, instead of reading the records a second time.
    """
    prefetch_related_objects(
        records,
        "languages",
        "authors",
        Prefetch("collections", queryset=Collection.objects.only("id", "name", "slug")),
    )
    return records


class PublicReadView(APIView):
    """A public read: no key, no session, no rate limit, and any web page may read it."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head", "options"]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Public data only: any web page may read it.
        response["Access-Control-Allow-Origin"] = "*"
        return response


def _error(status: int, message: str) -> Response:
    return Response({"detail": message}, status=status)


def _errors(*statuses: int) -> dict:
    return {
        status: OpenApiResponse(shapes.ErrorSerializer, description=description)
        for status, description in {
            400: "The parameters cannot be used; `detail` says why.",
            404: "Nothing public is there.",
            410: "The record has been withdrawn.",
        }.items()
        if status in statuses
    }


def _names(values) -> list[dict]:
    return [{"name": value.name, "slug": value.slug} for value in values]


def record_summary(record: Record, request) -> dict:
    return {
        "record_id": record.record_id,
        "title": record.title,
        "date": record.date_display,
        "date_start": record.date_start.isoformat() if record.date_start else None,
        "date_end": record.date_end.isoformat() if record.date_end else None,
        "date_edtf": record.date_edtf,
        "summary": record.summary,
        "document_type": record.document_type.name if record.document_type else None,
        "languages": [{"code": lang.code, "name": lang.name} for lang in record.languages.all()],
        "authors": _names(record.authors.all()),
        "collections": _names(record.collections.all()),
        "url": request.build_absolute_uri(record.get_absolute_url()),
        "api_url": request.build_absolute_uri(
            reverse("standards:api_record", args=[record.record_id])
        ),
    }


def record_full(record: Record, request) -> dict:
    data = record_summary(record, request)
    rights = record.rights
    citation_base = request.build_absolute_uri(record.get_absolute_url())
    data.update(
        {
            "source": record.source,
            "original_archive": record.original_archive.name if record.original_archive else None,
            "original_classification": (
                record.original_classification.name if record.original_classification else None
            ),
            "subjects": _names(record.subjects.all()),
            "places": _names(record.places.all()),
            "people_and_organizations": _names(record.people_and_organizations.all()),
            # Public credit wording only; donors' contact details never leave the admin.
            "funders": [donor.public_credit for donor in record.donors.all()],
            "rights": (
                {"name": rights.name, "statement": rights.statement, "uri": rights.uri or None}
                if rights
                else None
            ),
            "original_upload_date": (
                record.original_upload_date.isoformat() if record.original_upload_date else None
            ),
            "texts": [
                {
                    "kind": text.kind,
                    "language": text.language.code if text.language else None,
                    "is_main": text.is_primary,
                    "credit": text.credit,
                    "body": text.body,
                }
                for text in record.texts.all()
            ],
            "citations": {
                extension: f"{citation_base}cite.{extension}"
                for extension in ("bib", "ris", "json")
            },
        }
    )
    return data


def _page_url(request, number: int | None) -> str | None:
    if number is None:
        return None
    query = request.GET.copy()
    query["page"] = number
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


SEARCH_PARAMETERS = [
    *(
        OpenApiParameter(name, str, description=label)
        for name, label in search_parameters().items()
    ),
    OpenApiParameter(
        "page", int, description=f"Page number, from 1 to {PAGE_LIMIT:,}; twenty records a page."
    ),
]


class RecordListView(PublicReadView):
    @extend_schema(
        operation_id="records_search",
        parameters=SEARCH_PARAMETERS,
        responses={200: shapes.RecordPageSerializer, **_errors(400, 404)},
        description="The search as JSON: the search page's own search, filters, order and pages.",
    )
    def get(self, request):
        if page_number(request.GET) is None:
            return _error(
                400,
                f"page must be a whole number from 1 to {PAGE_LIMIT:,}, "
                f"not “{request.GET['page'][:40]}”.",
            )
        result = run_search(request.GET, page_size=PAGE_SIZE, facet_limit=0)
        if not result.is_valid:
            status = 404 if set(result.errors) == {"page"} else 400
            messages = [message for found in result.errors.values() for message in found]
            return _error(status, " ".join(messages))
        records = _prefetched([hit.record for hit in result.hits])
        return Response(
            {
                "count": result.total,
                # More than EXACT_COUNT_LIMIT matches: the count is an estimate from a sample.
                "count_is_estimate": result.estimated,
                "page": result.page_number,
                "pages": result.num_pages,
                "page_size": PAGE_SIZE,
                "next": _page_url(request, result.page_number + 1 if result.has_next else None),
                "previous": _page_url(
                    request, result.page_number - 1 if result.has_previous else None
                ),
                "results": [record_summary(record, request) for record in records],
            }
        )


class RecordDetailView(PublicReadView):
    @extend_schema(
        operation_id="records_read",
        responses={200: shapes.RecordSerializer, **_errors(404, 410)},
        description="One published document with its description, texts, rights and citations.",
    )
    def get(self, request, record_id: int):
        record = record_for_page(Record.objects.published(), record_id=record_id)
        if record is None:
            if Record.objects.withdrawn().filter(record_id=record_id).exists():
                return _error(410, f"Record {record_id} has been withdrawn.")
            return _error(404, f"No published document has the record ID {record_id}.")
        return Response(record_full(record, request))


def _collection_data(collection: Collection, request) -> dict:
    return {
        "name": collection.name,
        "slug": collection.slug,
        "description": collection.description,
        "parent": collection.parent.slug if collection.parent_id else None,
        "published_count": collection.published_count,
        "url": request.build_absolute_uri(collection.get_absolute_url()),
        "records_url": request.build_absolute_uri(
            f"{reverse('standards:api_records')}?collection={collection.slug}"
        ),
    }


class CollectionListView(PublicReadView):
    @extend_schema(
        operation_id="collections_list",
        responses={200: shapes.CollectionListSerializer},
        description="The collections that hold published documents, with their counts.",
    )
    def get(self, request):
        collections = visible_collections().select_related("parent").order_by("name")
        return Response({"results": [_collection_data(c, request) for c in collections]})


class CollectionDetailView(PublicReadView):
    @extend_schema(
        operation_id="collections_read",
        responses={200: shapes.CollectionSerializer, **_errors(404)},
        description="One collection that holds published documents, with a link to them.",
    )
    def get(self, request, slug: str):
        collection = visible_collections().select_related("parent").filter(slug=slug).first()
        if collection is None:
            return _error(404, f"No public collection has the slug “{slug}”.")
        return Response(_collection_data(collection, request))


class OpenApiView(SpectacularAPIView):
    """The OpenAPI 3.1 description, generated from these views and the staff API's."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [OpenApiJsonRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI on the description, from our own static files; its settings come from a
    script URL rather than an inline script, which the CSP refuses."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    url_name = "standards:api_openapi"
    template_name = "standards/swagger_ui.html"
    title = "Archive API — Swagger UI"


def add_servers(result, generator, request, public):
    """Name the server the description was asked from, so that tools call the same one."""
    if request is not None:
        result["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/")}]
    return result


def not_found(request, exception):
    """The site's 404 page, or a JSON 404 for an address under /api/ that no view answers."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Nothing is at this address of the API."}, status=404)
    return page_not_found(request, exception)


@require_safe
def documentation(request):
    return render(request, "standards/api.html", {"filters": search_parameters()})
