"""IIIF Presentation 3 manifests of published records, with their pages as canvases."""

from django.conf import settings
from django.urls import reverse

from accessions.scans.models import ScanPage

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def _text(value: str, language: str = "en") -> dict:
    return {language: [value]}


def _pair(label: str, value: str) -> dict:
    return {"label": _text(label), "value": _text(value)}


def credit_line(record) -> str:
    """The credit the record page shows: the archive, and the funders when there are any."""
    funders = [donor.public_credit for donor in record.donors.all()]
    credit = settings.SITE_NAME
    if funders:
        credit += ". This document was made possible with support from " + ", ".join(funders)
    return credit + "."


def _names(values) -> str:
    return "; ".join(str(value) for value in values)


def _metadata(record) -> list[dict]:
    """The record page's Document Information, as label and value pairs; empty ones left out."""
    pairs = [
        ("Date", record.date_display or "Undated"),
        ("Source", record.source),
        ("Rights", record.rights.statement if record.rights else ""),
        (
            "Original Uploaded Date",
            record.original_upload_date.isoformat() if record.original_upload_date else "",
        ),
        ("Language", _names(record.languages.all())),
        ("Record ID", str(record.record_id)),
        ("Donors", _names(donor.public_credit for donor in record.donors.all())),
        ("Original Archive", str(record.original_archive or "")),
        ("Original Classification", str(record.original_classification or "")),
        ("Type", str(record.document_type or "")),
        ("Authors", _names(record.authors.all())),
        ("People & Organizations", _names(record.people_and_organizations.all())),
        ("Places", _names(record.places.all())),
        ("Subjects", _names(record.subjects.all())),
        ("Collections", _names(record.collections.all())),
    ]
    return [_pair(label, value) for label, value in pairs if value]


def _image(url: str, width: int, height: int) -> dict:
    return {"id": url, "type": "Image", "format": "image/jpeg", "width": width, "height": height}


def _canvas(page: ScanPage, absolute) -> dict:
    canvas_id = absolute(reverse("accessions:iiif_manifest", args=[page.scan.record.record_id]))
    canvas_id = canvas_id.removesuffix("manifest.json") + f"canvas/{page.pk}"
    web_width, web_height = page.web_size
    thumb_width, thumb_height = page.thumbnail_size
    return {
        "id": canvas_id,
        "type": "Canvas",
        "label": _text(page.label or f"p. {page.number}", "none"),
        "width": page.width,
        "height": page.height,
        "thumbnail": [
            _image(absolute(page.image_url("thumb")), thumb_width, thumb_height),
        ],
        "items": [
            {
                "id": f"{canvas_id}/page",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{canvas_id}/page/image",
                        "type": "Annotation",
                        "motivation": "painting",
                        "body": _image(absolute(page.image_url("zoom")), page.width, page.height),
                        "target": canvas_id,
                    }
                ],
            }
        ],
        "rendering": [
            {
                "id": absolute(page.image_url("web")),
                "type": "Image",
                "label": _text(f"{page.label or page.number} (web size)"),
                "format": "image/jpeg",
            }
        ],
    }


def ready_pages(record) -> list[ScanPage]:
    """The record's scan pages whose images are made, in viewing order: the canvases."""
    return [
        page
        for page in ScanPage.objects.filter(scan__record=record)
        .select_related("scan__record")
        .order_by("scan__position", "scan_id", "number")
        if page.is_ready
    ]


def build_manifest(*, record, pages: list[ScanPage], request) -> dict:
    """The manifest of a published record over its ready pages (IIIF asks for at least one)."""
    absolute = request.build_absolute_uri
    manifest = {
        "@context": CONTEXT,
        "id": absolute(reverse("accessions:iiif_manifest", args=[record.record_id])),
        "type": "Manifest",
        "label": _text(record.title),
        "metadata": _metadata(record),
        "requiredStatement": _pair("Attribution", credit_line(record)),
        "provider": [
            {
                "id": absolute(reverse("accessions:home")),
                "type": "Agent",
                "label": _text(settings.SITE_NAME),
                "homepage": [
                    {
                        "id": absolute(reverse("accessions:home")),
                        "type": "Text",
                        "label": _text(settings.SITE_NAME),
                        "format": "text/html",
                    }
                ],
            }
        ],
        "homepage": [
            {
                "id": absolute(record.get_absolute_url()),
                "type": "Text",
                "label": _text(record.title),
                "format": "text/html",
            }
        ],
        "items": [_canvas(page, absolute) for page in pages],
    }
    if record.summary:
        manifest["summary"] = _text(record.summary)
    if record.rights and record.rights.uri:
        manifest["rights"] = record.rights.uri
    manifest["thumbnail"] = _canvas(pages[0], absolute)["thumbnail"]
    return manifest
