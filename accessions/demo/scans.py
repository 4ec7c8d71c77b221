"""Demo facsimiles: page images that Pillow draws from the demo records' own texts."""

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from accessions.catalogue.models import Record
from accessions.scans.ingest import ingest_scan, upload_from_bytes
from accessions.scans.models import Scan, ScanPage
from accessions.scans.ocr import ocr_status

# Record ID → (file format, pages, label). One multi-page TIFF, a PDF, images, and a draft.
DEMO_SCANS = {
    200001: ("TIFF", 3, "Telegram"),
    200006: ("PNG", 1, "Message"),
    200009: ("PDF", 2, "Treaty text"),
    200013: ("JPEG", 1, "Fragment"),
}
PAGE_SIZE = (1275, 1650)  # US letter at 150 dots per inch
EXTENSIONS = {"TIFF": "tif", "PNG": "png", "PDF": "pdf", "JPEG": "jpg"}
FONT_PATHS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]


def _font(size: int):
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _lines(record: Record) -> list[str]:
    text = record.main_text()
    body = text.body if text else record.summary or record.title
    lines = []
    for paragraph in body.split("\n"):
        lines.extend(textwrap.wrap(paragraph, width=64) or [""])
    return lines


def render_facsimile_pages(record: Record, pages: int) -> list[Image.Image]:
    """Typescript-like pages of a record's text, with a classification stamp on the first."""
    font, small, stamp = _font(22), _font(16), _font(44)
    lines = _lines(record)
    per_page = 48
    images = []
    for number in range(1, pages + 1):
        page = Image.new("RGB", PAGE_SIZE, (246, 241, 228))
        draw = ImageDraw.Draw(page)
        top = 110
        if number == 1:
            draw.text((440, 40), "DECLASSIFIED", fill=(170, 30, 30), font=stamp)
            for heading in textwrap.wrap(record.title, width=60)[:3]:
                draw.text((110, top), heading, fill=(25, 25, 25), font=font)
                top += 32
            draw.text((110, top), record.date_display or "Undated", fill=(25, 25, 25), font=font)
            top += 60
        chunk = lines[(number - 1) * per_page : number * per_page] or ["[continued]"]
        for line in chunk:
            draw.text((110, top), line, fill=(35, 35, 35), font=font)
            top += 29
            if top > PAGE_SIZE[1] - 120:
                break
        footer = f"Page {number} of {pages} — facsimile drawn for the demo, not the original"
        draw.text((110, PAGE_SIZE[1] - 70), footer, fill=(90, 90, 90), font=small)
        images.append(page)
    return images


def facsimile_bytes(record: Record, file_format: str, pages: int) -> bytes:
    images = render_facsimile_pages(record, pages)
    buffer = io.BytesIO()
    if file_format == "JPEG":
        images[0].save(buffer, "JPEG", quality=88)
    elif file_format in {"TIFF", "PDF"}:
        options = {"resolution": 150} if file_format == "PDF" else {"compression": "tiff_lzw"}
        images[0].save(buffer, file_format, save_all=True, append_images=images[1:], **options)
    else:
        images[0].save(buffer, file_format)
    return buffer.getvalue()


def attach_demo_scans(*, user) -> list[int]:
    """Attach facsimiles to the demo records that have none yet; return their record IDs."""
    attached = []
    for record_id, (file_format, pages, label) in DEMO_SCANS.items():
        record = Record.objects.filter(record_id=record_id).first()
        if record is None or record.scans.exists():
            continue
        data = facsimile_bytes(record, file_format, pages)
        name = f"facsimile-{record_id}.{EXTENSIONS[file_format]}"
        ingest_scan(
            record=record,
            upload=upload_from_bytes(data),
            name=name,
            kind=Scan.Kind.ORIGINAL,
            label=label,
            user=user,
        )
        attached.append(record_id)
    return attached


def scan_summary(record_ids: list[int]) -> str:
    """One line on the scans of these records: pages, derivatives made, pages read by OCR."""
    pages = ScanPage.objects.filter(scan__record__record_id__in=record_ids)
    total = pages.count()
    if not total:
        return "none new"
    ready = pages.exclude(thumbnail="").count()
    read = pages.exclude(ocr_text="").count()
    ocr = ocr_status()
    ocr_line = f"{read} read by OCR" if ocr.enabled else ocr.reason
    return f"{len(record_ids)} records, {total} pages; derivatives made for {ready}; {ocr_line}"
