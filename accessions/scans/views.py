"""Scan images, original downloads and IIIF manifests, for published records only."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from accessions.catalogue.models import Record
from accessions.catalogue.prefetch import record_for_page
from accessions.scans.iiif import build_manifest, ready_pages
from accessions.scans.models import Scan, ScanPage
from accessions.scans.storage import is_local, scan_storage

PAGE_IMAGE_FIELDS = {"thumb": "thumbnail", "web": "web_image", "zoom": "zoom_image"}
# Rights URIs under which anyone may download the original files.
OPEN_RIGHTS_PREFIXES = (
    "http://creativecommons.org/",
    "https://creativecommons.org/",
    "http://rightsstatements.org/vocab/NoC-",
    "https://rightsstatements.org/vocab/NoC-",
)


def originals_downloadable(rights) -> bool:
    """Originals may be downloaded when the rights statement is an open licence or no copyright."""
    return bool(rights and rights.uri and rights.uri.startswith(OPEN_RIGHTS_PREFIXES))


def serve_scan_file(name: str, *, download_name: str | None = None):
    """Send a file from the private scan storage, once the caller has checked access.

    From the local disk the file is streamed (or handed to the web server to send); from a
    bucket the visitor is redirected to a signed link that expires in SCANS_URL_SECONDS.
    """
    if not name:
        raise Http404("This image is not ready yet.")
    storage = scan_storage()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not is_local(storage):
        # Signed here without asking S3 anything, so the page answers even when S3 does not.
        response = HttpResponseRedirect(
            storage.url(
                name,
                parameters={
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition_header(
                        as_attachment=download_name is not None,
                        filename=download_name or Path(name).name,
                    ),
                },
            )
        )
    elif not storage.exists(name):
        raise Http404("This image is not ready yet.")
    elif settings.SCANS_SENDFILE_HEADER:
        response = HttpResponse(content_type=content_type)
        response[settings.SCANS_SENDFILE_HEADER] = settings.SCANS_SENDFILE_PREFIX + name
        if download_name is not None:
            # The web server sends the body; the headers are still ours.
            response["Content-Disposition"] = content_disposition_header(True, download_name)
    else:
        response = FileResponse(
            storage.open(name, "rb"),
            content_type=content_type,
            as_attachment=download_name is not None,
            filename=download_name or Path(name).name,
        )
    # Never kept by shared caches: a record that is withdrawn must stop being served at once.
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def scan_page_image(request, page_id: int, size: str):
    if size not in PAGE_IMAGE_FIELDS:
        raise Http404("No such image size.")
    page = get_object_or_404(ScanPage.objects.filter(scan__in=Scan.objects.public()), pk=page_id)
    response = serve_scan_file(getattr(page, PAGE_IMAGE_FIELDS[size]))
    # IIIF viewers on other sites draw these images; they are public while the record is.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def scan_original(request, scan_id: int):
    scan = get_object_or_404(Scan.objects.public().select_related("record__rights"), pk=scan_id)
    if not originals_downloadable(scan.record.rights):
        raise Http404("The rights statement of this record does not allow downloading originals.")
    return serve_scan_file(scan.file.name, download_name=scan.original_filename)


@require_safe
def iiif_manifest(request, record_id: int):
    record = record_for_page(Record.objects.published(), record_id=record_id)
    if record is None:
        raise Http404("No published document has this record ID.")
    pages = ready_pages(record)
    if not pages:
        # A Presentation 3 manifest needs at least one canvas: no scans, no manifest.
        raise Http404("This document has no scans to view yet.")
    response = JsonResponse(build_manifest(record=record, pages=pages, request=request))
    response["Content-Type"] = (
        'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
    )
    # Viewers on other sites open manifests; IIIF expects them to be readable cross-origin.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def scan_viewer_context(record: Record) -> dict:
    """The record page's scan pages and downloads, in one query however many pages."""
    pages = list(
        ScanPage.objects.filter(scan__record=record)
        .select_related("scan")
        .order_by("scan__position", "scan_id", "number")
    )
    scans = list({page.scan_id: page.scan for page in pages}.values())
    return {
        "scan_pages": pages,
        "scan_downloads": scans if originals_downloadable(record.rights) else [],
        "iiif_manifest_url": reverse("accessions:iiif_manifest", args=[record.record_id])
        if any(page.is_ready for page in pages)
        else "",
    }


def first_page_thumbnails(records) -> dict[int, ScanPage]:
    """The first ready page of each given record, by record primary key, in one query."""
    pages = (
        ScanPage.objects.filter(scan__record__in=records, number=1)
        .exclude(thumbnail="")
        .annotate(record_pk=F("scan__record_id"))
        .order_by("scan__record_id", "scan__position", "scan_id")
    )
    first = {}
    for page in pages:
        first.setdefault(page.record_pk, page)
    return first
