"""Scan ingest and derivatives: validate by content, keep the original, make page images."""

import hashlib
import io
import logging
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from PIL import Image, ImageOps, UnidentifiedImageError

from accessions.scans_models import (
    THUMBNAIL_EDGE,
    WEB_EDGE,
    ZOOM_EDGE,
    Scan,
    ScanPage,
    scan_storage,
)

logger = logging.getLogger(__name__)

# Image formats staff may attach, by what Pillow finds in the file, with their media types.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "TIFF": ("image/tiff", ".tif"),
    "WEBP": ("image/webp", ".webp"),
}
PDF = ("application/pdf", ".pdf")
# What a file name claims, by its extension.
CLAIMED_BY_EXTENSION = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".pdf": "PDF",
}
ORIENTATION_TAG = 0x0112
# The largest resolution a PDF page is rendered at, in dots per inch.
PDF_MAX_DPI = 300


class ScanRejected(ValueError):
    """An upload that is not an acceptable scan; the message is meant for staff."""


@dataclass
class InspectedScan:
    media_type: str
    extension: str
    sha256: str
    size_bytes: int
    page_sizes: list[tuple[int, int]] = field(default_factory=list)
    text_layers: list[bool] = field(default_factory=list)


def _human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def inspect_upload(upload, *, name: str) -> InspectedScan:
    """Check an uploaded file by its content; raise ScanRejected with a specific message."""
    size = upload.size
    if not size:
        raise ScanRejected(f"{name} is empty.")
    if size > settings.SCAN_MAX_BYTES:
        raise ScanRejected(
            f"{name} is {_human_size(size)}; the limit is {_human_size(settings.SCAN_MAX_BYTES)}."
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        inspected = _inspect_pdf(upload, name=name)
        found = "PDF"
    else:
        inspected, found = _inspect_image(upload, name=name)
    claimed = CLAIMED_BY_EXTENSION.get(Path(name).suffix.lower())
    if claimed and claimed != found:
        raise ScanRejected(
            f"{name} claims to be a {claimed} file by its name but its content is "
            f"a {found} file; rename it or attach the right file."
        )
    inspected.sha256 = digest.hexdigest()
    inspected.size_bytes = size
    upload.seek(0)
    return inspected


def _check_pixels(name: str, width: int, height: int, page: int) -> None:
    if width * height > settings.SCAN_MAX_PIXELS:
        raise ScanRejected(
            f"{name}: page {page} is {width} × {height} pixels, more than the limit of "
            f"{settings.SCAN_MAX_PIXELS:,}; refused as a possible decompression bomb."
        )


def _inspect_image(upload, *, name: str) -> tuple[InspectedScan, str]:
    # Pillow only reads the header in open(), so the pixel limit is checked before decoding.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
        except Image.DecompressionBombError:
            raise ScanRejected(
                f"{name} declares more pixels than any scan has; refused as a decompression bomb."
            ) from None
        except UnidentifiedImageError:
            raise ScanRejected(
                f"{name} is neither an image (JPEG, PNG, TIFF, WebP) nor a PDF."
            ) from None
        except (OSError, SyntaxError, ValueError) as error:
            raise ScanRejected(
                f"{name} is corrupt and cannot be read ({str(error).rstrip('.')})."
            ) from None
        if image.format not in IMAGE_FORMATS:
            raise ScanRejected(
                f"{name} is a {image.format} image; attach JPEG, PNG, TIFF, WebP or PDF."
            )
        frames = getattr(image, "n_frames", 1)
        if frames > settings.SCAN_MAX_PAGES:
            raise ScanRejected(
                f"{name} has {frames} pages; the limit is {settings.SCAN_MAX_PAGES}."
            )
        sizes = []
        for index in range(frames):
            try:
                image.seek(index)
                _check_pixels(name, image.width, image.height, index + 1)
                # Decoding every page is the only sure test of a truncated or corrupt file.
                image.load()
            except ScanRejected:
                raise
            except (OSError, SyntaxError, ValueError, EOFError) as error:
                raise ScanRejected(
                    f"{name} is corrupt or truncated at page {index + 1} ({error})."
                ) from None
            rotated = index == 0 and image.getexif().get(ORIENTATION_TAG, 1) in {5, 6, 7, 8}
            sizes.append((image.height, image.width) if rotated else image.size)
    media_type, extension = IMAGE_FORMATS[image.format]
    inspected = InspectedScan(
        media_type=media_type,
        extension=extension,
        sha256="",
        size_bytes=0,
        page_sizes=sizes,
        text_layers=[False] * frames,
    )
    return inspected, image.format


def _open_pdf(data, *, name: str) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).lower():
            raise ScanRejected(
                f"{name} is an encrypted PDF; remove the password and attach it again."
            ) from None
        raise ScanRejected(
            f"{name} is a corrupt PDF and cannot be opened ({str(error).rstrip('.')})."
        ) from None


def _pdf_render_scale(width_points: float, height_points: float) -> float:
    longest = max(width_points, height_points, 1.0)
    return min(ZOOM_EDGE / longest, PDF_MAX_DPI / 72)


def _inspect_pdf(upload, *, name: str) -> InspectedScan:
    document = _open_pdf(upload.read(), name=name)
    try:
        count = len(document)
        if count == 0:
            raise ScanRejected(f"{name} is a PDF without pages.")
        if count > settings.SCAN_MAX_PAGES:
            raise ScanRejected(f"{name} has {count} pages; the limit is {settings.SCAN_MAX_PAGES}.")
        sizes, text_layers = [], []
        for index in range(count):
            try:
                page = document[index]
                width, height = page.get_size()
                text = page.get_textpage().get_text_range()
            except pypdfium2.PdfiumError as error:
                raise ScanRejected(f"{name}: page {index + 1} is corrupt ({error}).") from None
            if width <= 0 or height <= 0:
                raise ScanRejected(f"{name}: page {index + 1} has no size.")
            scale = _pdf_render_scale(width, height)
            sizes.append((round(width * scale), round(height * scale)))
            text_layers.append(bool(text.strip()))
    finally:
        document.close()
    return InspectedScan(
        media_type=PDF[0],
        extension=PDF[1],
        sha256="",
        size_bytes=0,
        page_sizes=sizes,
        text_layers=text_layers,
    )


def page_label(*, scan_label: str, number: int, page_count: int) -> str:
    if page_count == 1 and scan_label:
        return scan_label
    return f"p. {number}"


def ingest_scan(
    *,
    record,
    upload,
    name: str,
    kind: str = Scan.Kind.ORIGINAL,
    label: str = "",
    user=None,
) -> Scan:
    """Validate an upload, store it untouched with its pages, and queue its derivatives."""
    inspected = inspect_upload(upload, name=name)
    duplicate = Scan.objects.filter(record=record, sha256=inspected.sha256).first()
    if duplicate:
        raise ScanRejected(
            f"{name} is already attached to this record as “{duplicate}” (same SHA-256)."
        )
    stored_name = None
    try:
        with transaction.atomic():
            position = (record.scans.aggregate(last=Max("position"))["last"] or 0) + 1
            scan = Scan(
                record=record,
                original_filename=Path(name).name[:255],
                media_type=inspected.media_type,
                extension=inspected.extension,
                size_bytes=inspected.size_bytes,
                sha256=inspected.sha256,
                page_count=len(inspected.page_sizes),
                kind=kind,
                label=label,
                position=position,
                uploaded_by=user,
            )
            scan.file.save(scan.original_filename, File(upload), save=False)
            stored_name = scan.file.name
            scan.save()
            ScanPage.objects.bulk_create(
                ScanPage(
                    scan=scan,
                    number=number,
                    label=page_label(
                        scan_label=label, number=number, page_count=len(inspected.page_sizes)
                    ),
                    width=width,
                    height=height,
                    has_text_layer=has_text,
                )
                for number, ((width, height), has_text) in enumerate(
                    zip(inspected.page_sizes, inspected.text_layers, strict=True), start=1
                )
            )
            # robust: a queue that is down must not undo a stored, committed scan.
            transaction.on_commit(lambda: enqueue_derivatives(scan_id=scan.pk), robust=True)
    except BaseException as error:
        # Nothing half-written: the row rolled back, so the stored original goes too.
        if stored_name:
            scan_storage.delete(stored_name)
        if isinstance(error, IntegrityError):
            # Another upload of the same file won the race past the check above.
            raise ScanRejected(f"{name} is already attached to this record.") from None
        raise
    logger.info("Attached %s to record %s as scan %s", name, record.record_id, scan.pk)
    return scan


def ingest_scans(
    *,
    record,
    uploads: list[tuple[object, str]],
    kind: str = Scan.Kind.ORIGINAL,
    label: str = "",
    user=None,
) -> list[Scan]:
    """Attach several (upload, name) files at once: all of them, or none if one is refused."""
    scans = []
    try:
        with transaction.atomic():
            for upload, name in uploads:
                scans.append(
                    ingest_scan(
                        record=record, upload=upload, name=name, kind=kind, label=label, user=user
                    )
                )
    except BaseException:
        for scan in scans:
            scan_storage.delete(scan.file.name)
        raise
    return scans


def enqueue_derivatives(*, scan_id: int, delay_seconds: int = 0) -> None:
    from accessions.tasks import make_scan_derivatives

    task = make_scan_derivatives
    if delay_seconds and task.get_backend().supports_defer:
        from datetime import timedelta

        from django.utils import timezone

        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(scan_id)


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


def _derivative_name(scan: Scan, number: int, size: str) -> str:
    return f"derivatives/{scan.pk}/{number:05d}-{size}.jpg"


def _write_jpeg(image: Image.Image, name: str, *, quality: int) -> None:
    path = Path(scan_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    # Progressive encoding helps small images appear early; the zoom image is not worth its cost.
    progressive = max(image.size) <= WEB_EDGE
    image.save(partial, "JPEG", quality=quality, optimize=False, progressive=progressive)
    # Replace in one step, so a viewer never reads a half-written derivative.
    os.replace(partial, path)


def make_derivatives(*, scan: Scan) -> int:
    """Make the thumbnail, web and zoom images of every page of a scan; return the page count."""
    path = scan_storage.path(scan.file.name)
    render = render_pdf_pages if scan.media_type == PDF[0] else render_image_pages
    pages = {page.number: page for page in scan.pages.all()}
    made = []
    for number, zoom in render(path, edge=ZOOM_EDGE):
        page = pages.get(number)
        if page is None:
            continue
        for size, image, quality in derivative_images(zoom):
            _write_jpeg(image, _derivative_name(scan, number, size), quality=quality)
        page.width, page.height = zoom.size
        page.zoom_image = _derivative_name(scan, number, "zoom")
        page.web_image = _derivative_name(scan, number, "web")
        page.thumbnail = _derivative_name(scan, number, "thumb")
        made.append(page)
    if len(made) != len(pages):
        raise RuntimeError(f"Rendered {len(made)} of {len(pages)} pages of scan {scan.pk}.")
    ScanPage.objects.bulk_update(made, ["width", "height", "zoom_image", "web_image", "thumbnail"])
    return len(made)


def run_derivative_attempt(*, scan_id: int) -> bool:
    """One try at a scan's derivatives; a failure is recorded on the scan and retried."""
    scan = Scan.objects.select_related("record").filter(pk=scan_id).first()
    if scan is None:
        return False
    Scan.objects.filter(pk=scan_id).update(derivative_attempts=F("derivative_attempts") + 1)
    scan.refresh_from_db(fields=["derivative_attempts"])
    try:
        with transaction.atomic():
            make_derivatives(scan=scan)
            Scan.objects.filter(pk=scan_id).update(
                derivative_status=Scan.DerivativeStatus.DONE, derivative_error=""
            )
    except Exception as error:
        logger.exception(
            "Derivatives of scan %s failed (attempt %s)", scan_id, scan.derivative_attempts
        )
        Scan.objects.filter(pk=scan_id).update(
            derivative_status=Scan.DerivativeStatus.FAILED,
            derivative_error=f"Attempt {scan.derivative_attempts}: {type(error).__name__}: {error}",
        )
        if scan.derivative_attempts < settings.SCAN_DERIVATIVE_MAX_ATTEMPTS:
            enqueue_derivatives(scan_id=scan_id, delay_seconds=30 * scan.derivative_attempts)
        return False
    from accessions.ocr import enqueue_ocr

    enqueue_ocr(scan_id=scan_id)
    return True


def remake_derivatives(*, scan: Scan) -> bool:
    """Make a scan's derivatives again now, as a fresh series of attempts."""
    Scan.objects.filter(pk=scan.pk).update(
        derivative_attempts=0, derivative_status=Scan.DerivativeStatus.PENDING
    )
    return run_derivative_attempt(scan_id=scan.pk)


def delete_scan(*, scan: Scan) -> None:
    """Remove a scan, its pages and, once the deletion is committed, its files."""
    names = [scan.file.name] + [
        name
        for page in scan.pages.all()
        for name in (page.thumbnail, page.web_image, page.zoom_image)
        if name
    ]

    def remove_files():
        for name in names:
            scan_storage.delete(name)

    with transaction.atomic():
        scan.delete()
        transaction.on_commit(remove_files, robust=True)
    logger.info("Deleted scan %s (%s) and its %s file(s)", scan.pk, scan, len(names))


@dataclass
class FixityResult:
    scan: Scan
    ok: bool
    problem: str = ""


def check_fixity(*, scan: Scan) -> FixityResult:
    """Re-read an original and compare it with the SHA-256 taken at ingest."""
    from django.utils import timezone

    digest = hashlib.sha256()
    try:
        with scan_storage.open(scan.file.name, "rb") as original:
            for chunk in iter(lambda: original.read(1024 * 1024), b""):
                digest.update(chunk)
    except FileNotFoundError:
        result = FixityResult(scan=scan, ok=False, problem="missing")
    else:
        changed = digest.hexdigest() != scan.sha256
        result = FixityResult(scan=scan, ok=not changed, problem="changed" if changed else "")
    Scan.objects.filter(pk=scan.pk).update(fixity_ok=result.ok, fixity_checked_at=timezone.now())
    return result


def upload_from_bytes(data: bytes) -> io.BytesIO:
    """A file object with the `size` an upload has, for ingesting generated files."""
    buffer = io.BytesIO(data)
    buffer.size = len(data)
    return buffer
