"""Derivatives of scan pages: thumbnail, web and zoom JPEGs, made in the background."""

import io
import logging
import math
import secrets
from dataclasses import dataclass

import pypdfium2
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from PIL import Image, ImageOps

from accessions.catalogue.page_cache import forget_public_pages
from accessions.scans.models import (
    THUMBNAIL_EDGE,
    WEB_EDGE,
    ZOOM_EDGE,
    Scan,
    ScanPage,
)
from accessions.scans.storage import local_copy, scan_storage

logger = logging.getLogger(__name__)

PDF_MEDIA_TYPE = "application/pdf"
ORIENTATION_TAG = 0x0112
# The largest resolution a PDF page is rendered at, in dots per inch.
PDF_MAX_DPI = 300


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB or greyscale image for JPEG; transparency is laid on white paper."""
    if image.mode in {"RGB", "L"}:
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode.startswith("I") or image.mode == "F":
        return ImageOps.autocontrast(image.convert("L"))
    return image.convert("RGB")


def render_image_pages(path: str, *, edge: int):
    """Yield (number, image) for each page of an image file, at most `edge` pixels long."""
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        for index in range(frames):
            image.seek(index)
            if image.format == "JPEG":
                # Draft mode lets the JPEG decoder skip detail a smaller image does not need;
                # it only scales down while both sides stay at least the requested size.
                scale = min(1.0, edge / max(image.size))
                wanted = (math.ceil(image.width * scale), math.ceil(image.height * scale))
                image.draft("RGB" if image.mode != "L" else "L", wanted)
            # Later frames of a multi-page file need a copy: seeking replaces the pixels.
            page = image.copy() if frames > 1 else image
            if index == 0 and page.getexif().get(ORIENTATION_TAG, 1) != 1:
                page = ImageOps.exif_transpose(page)
            page = _flatten(page)
            page.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=2.0)
            yield index + 1, page


def render_pdf_pages(path: str, *, edge: int):
    """Yield (number, image) for each page of a PDF, rendered at most `edge` pixels long."""
    document = pypdfium2.PdfDocument(path)
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            scale = min(edge / max(width, height, 1.0), PDF_MAX_DPI / 72)
            yield index + 1, _flatten(page.render(scale=scale).to_pil())
    finally:
        document.close()


def derivative_images(zoom: Image.Image) -> list[tuple[str, Image.Image, int]]:
    """The zoom, web and thumbnail images of a page with their JPEG quality; each from the last."""
    web = zoom.copy()
    web.thumbnail((WEB_EDGE, WEB_EDGE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    thumbnail = web.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    return [("zoom", zoom, 80), ("web", web, 85), ("thumb", thumbnail, 85)]


def _derivative_name(scan: Scan, number: int, size: str, run: str) -> str:
    # Each run writes new names, and the pages switch to them in one transaction: a viewer
    # never reads a half-written image, on the local disk or in a bucket.
    return f"derivatives/{scan.pk}/{number:05d}-{size}-{run}.jpg"


def _write_jpeg(image: Image.Image, name: str, *, quality: int) -> str:
    buffer = io.BytesIO()
    # Progressive encoding helps small images appear early; the zoom image is not worth its cost.
    progressive = max(image.size) <= WEB_EDGE
    image.save(buffer, "JPEG", quality=quality, optimize=False, progressive=progressive)
    return scan_storage().save(name, ContentFile(buffer.getvalue()))


def _delete_files(names: list[str]) -> None:
    storage = scan_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # A file left behind costs space, not correctness: no page names it.
            logger.warning("Could not delete the old derivative %s", name, exc_info=True)


def make_derivatives(*, scan: Scan) -> int:
    """Make the thumbnail, web and zoom images of every page of a scan; return the page count.

    The previous images are deleted once the new ones are committed.
    """
    render = render_pdf_pages if scan.media_type == PDF_MEDIA_TYPE else render_image_pages
    pages = {page.number: page for page in scan.pages.all()}
    previous = [
        name
        for page in pages.values()
        for name in (page.zoom_image, page.web_image, page.thumbnail)
        if name
    ]
    run = secrets.token_hex(4)
    made, written = [], []
    try:
        with local_copy(scan.file.name) as path:
            for number, zoom in render(path, edge=ZOOM_EDGE):
                page = pages.get(number)
                if page is None:
                    continue
                names = {}
                for size, image, quality in derivative_images(zoom):
                    names[size] = _write_jpeg(
                        image, _derivative_name(scan, number, size, run), quality=quality
                    )
                    written.append(names[size])
                page.width, page.height = zoom.size
                page.zoom_image, page.web_image = names["zoom"], names["web"]
                page.thumbnail = names["thumb"]
                made.append(page)
        if len(made) != len(pages):
            raise RuntimeError(f"Rendered {len(made)} of {len(pages)} pages of scan {scan.pk}.")
        ScanPage.objects.bulk_update(
            made, ["width", "height", "zoom_image", "web_image", "thumbnail"]
        )
    except BaseException:
        _delete_files(written)
        raise
    transaction.on_commit(lambda: _delete_files(previous))
    return len(made)


@dataclass(frozen=True)
class Attempt:
    """How one try at a scan's derivatives went, and when to try again after a failure."""

    made: bool
    retry_after_seconds: int | None = None


def run_derivative_attempt(*, scan_id: int) -> Attempt:
    """One try at a scan's derivatives; a failure is recorded on the scan for staff to see."""
    scan = Scan.objects.select_related("record").filter(pk=scan_id).first()
    if scan is None:
        return Attempt(made=False)
    Scan.objects.filter(pk=scan_id).update(derivative_attempts=F("derivative_attempts") + 1)
    scan.refresh_from_db(fields=["derivative_attempts"])
    try:
        with transaction.atomic():
            make_derivatives(scan=scan)
            Scan.objects.filter(pk=scan_id).update(
                derivative_status=Scan.DerivativeStatus.DONE, derivative_error=""
            )
            # The record's page showed placeholders where these images now go.
            forget_public_pages()
    except Exception as error:
        logger.exception(
            "Derivatives of scan %s failed (attempt %s)", scan_id, scan.derivative_attempts
        )
        Scan.objects.filter(pk=scan_id).update(
            derivative_status=Scan.DerivativeStatus.FAILED,
            derivative_error=f"Attempt {scan.derivative_attempts}: {type(error).__name__}: {error}",
        )
        if scan.derivative_attempts < settings.SCAN_DERIVATIVE_MAX_ATTEMPTS:
            return Attempt(made=False, retry_after_seconds=30 * scan.derivative_attempts)
        return Attempt(made=False)
    return Attempt(made=True)
