"""Scan ingest: check a file by its content, keep the original untouched, list its pages."""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from PIL import Image, UnidentifiedImageError

from accessions.scans.active_content import image_polyglot, pdf_active_content, zip_appended
from accessions.scans.derivatives import ORIENTATION_TAG, PDF_MAX_DPI
from accessions.scans.models import ZOOM_EDGE, Scan, ScanPage, original_path
from accessions.scans.storage import scan_storage
from accessions.scans.tasks import enqueue_derivatives
from accessions.search.indexing import update_search_index

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
        also = "a ZIP archive" if zip_appended(upload) else None
    else:
        inspected, found = _inspect_image(upload, name=name)
        also = image_polyglot(upload)
    if also:
        raise ScanRejected(
            f"{name} is a {found} file that is also {also}; such a file can run code in a "
            "browser. Save the scan again as a plain image or PDF and attach that."
        )
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
    data = upload.read()
    if active := pdf_active_content(data):
        raise ScanRejected(
            f"{name} is a PDF with active content ({active}: scripts, actions or embedded "
            "files), which a scan never needs. Print or export it to a plain PDF and attach "
            "that."
        )
    document = _open_pdf(data, name=name)
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
            try:
                stored_name = scan_storage().save(
                    original_path(scan, scan.original_filename), File(upload)
                )
            except Exception as error:
                # The scan storage (a bucket) is unreachable: nothing is attached.
                logger.exception("Could not store %s", name)
                raise ScanRejected(
                    f"{name} could not be stored ({type(error).__name__}); nothing was "
                    "attached. Try again in a few minutes."
                ) from error
            scan.file.name = stored_name
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
            # "Has scans" is a search facet: the index follows in the same transaction.
            update_search_index(record_pks=[record.pk])
            # robust: a queue that is down must not undo a stored, committed scan.
            transaction.on_commit(lambda: enqueue_derivatives(scan_id=scan.pk), robust=True)
    except BaseException as error:
        # Nothing half-written: the row rolled back, so the stored original goes too.
        if stored_name:
            scan_storage().delete(stored_name)
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
            scan_storage().delete(scan.file.name)
        raise
    return scans


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
            scan_storage().delete(name)

    record_pk = scan.record_id
    with transaction.atomic():
        scan.delete()
        update_search_index(record_pks=[record_pk])
        transaction.on_commit(remove_files, robust=True)
    logger.info("Deleted scan %s (%s) and its %s file(s)", scan.pk, scan, len(names))


def upload_from_bytes(data: bytes) -> io.BytesIO:
    """A file object with the `size` an upload has, for ingesting generated files."""
    buffer = io.BytesIO(data)
    buffer.size = len(data)
    return buffer
