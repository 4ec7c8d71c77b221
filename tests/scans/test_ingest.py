"""Scan ingest: validation by content, pages, derivatives, retries, fixity and OCR."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image, ImageDraw, ImageFont

from accessions.models import Language
from accessions.scans.ingest import ScanRejected, ingest_scan
from accessions.scans.models import Scan, ScanPage, scan_storage
from accessions.scans.ocr import ocr_status
from tests.conftest import SHARED_DIR
from tests.scan_files import (
    encrypted_pdf_bytes,
    image_bytes,
    multipage_tiff_bytes,
    pdf_bytes,
    pdf_with_catalogue_entry,
    pdf_with_object_stream,
    png_bomb_bytes,
    png_with_text,
    upload,
    zip_bytes,
)

pytestmark = pytest.mark.django_db
EDGE_CASES = SHARED_DIR / "data" / "scans" / "pdf_edge_cases"
JFK = SHARED_DIR / "data" / "scans" / "jfk"


@pytest.fixture(autouse=True)
def ocr_off(settings):
    """OCR costs a second a page; only the tests about OCR switch it on."""
    settings.TESSERACT_COMMAND = ""


def stored_files(settings) -> list[Path]:
    root = Path(settings.SCANS_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def attach(record, data: bytes, name: str, **fields):
    return ingest_scan(record=record, upload=upload(data, name), name=name, **fields)


def shared_file(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared test data is not laid out beside the project")
    return path.read_bytes()


@pytest.fixture
def record(make_record):
    return make_record(status="draft")


HOSTILE = [
    ("notes.txt", b"just some text, not a scan", "is neither an image"),
    ("scan.jpg", b"GIF89a not really", "is neither an image"),
    ("renamed.jpg", image_bytes("PNG"), "claims to be a JPEG file by its name but its content is"),
    ("renamed.pdf", image_bytes("JPEG"), "claims to be a PDF file"),
    ("pdf-named.png", pdf_bytes(pages=1), "claims to be a PNG file"),
    ("truncated.jpg", image_bytes("JPEG", size=(900, 900))[:2500], "is corrupt or truncated"),
    ("truncated.png", image_bytes("PNG", size=(900, 900))[:600], "corrupt"),
    ("bomb.png", png_bomb_bytes(), "decompression bomb"),
    ("locked.pdf", encrypted_pdf_bytes(), "is an encrypted PDF"),
    ("empty.pdf", b"", "is empty"),
    ("animation.gif", image_bytes("GIF"), "is a GIF image"),
    (
        "open-action.pdf",
        pdf_with_catalogue_entry(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        r"active content \(/JavaScript",
    ),
    (
        "escaped-name.pdf",
        pdf_with_catalogue_entry(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        r"active content \(/JavaScript",
    ),
    (
        "launch.pdf",
        pdf_with_catalogue_entry(b"/OpenAction << /S /Launch /F (calc.exe) >>"),
        r"active content \(/Launch",
    ),
    (
        "hidden-in-object-stream.pdf",
        pdf_with_object_stream(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>"),
        r"active content \(/JavaScript",
    ),
    (
        "attachment.pdf",
        pdf_with_catalogue_entry(b"/Names << /EmbeddedFiles 9 0 R >>"),
        r"active content \(/EmbeddedFiles",
    ),
    ("page.jpg", image_bytes("JPEG") + b"<html><script>alert(1)</script>", "also an HTML page"),
    ("comment.png", png_with_text("<script>alert(1)</script>"), "also an HTML page"),
    ("archive.jpg", image_bytes("JPEG") + zip_bytes(), "also a ZIP archive"),
    ("archive.pdf", pdf_bytes(pages=1) + zip_bytes(), "also a ZIP archive"),
]


@pytest.mark.parametrize("name, data, message", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_upload_is_refused_with_its_reason_and_leaves_nothing(
    record, settings, name, data, message
):
    with pytest.raises(ScanRejected, match=message):
        attach(record, data, name)
    assert not Scan.objects.exists() and not ScanPage.objects.exists()
    assert stored_files(settings) == []


def test_invalid_pdf_from_the_edge_cases_is_refused_as_corrupt(record, settings):
    data = shared_file(EDGE_CASES / "invalid.pdf")
    with pytest.raises(ScanRejected, match="invalid.pdf is a corrupt PDF"):
        attach(record, data, "invalid.pdf")
    assert not Scan.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize("name", ["kcs.pdf", "c02-22.pdf"])
def test_awkward_but_readable_pdfs_are_accepted(record, name):
    scan = attach(record, shared_file(EDGE_CASES / name), name)
    assert scan.media_type == "application/pdf" and scan.page_count == 1


def test_file_over_the_size_limit_is_refused_before_it_is_read(record, settings):
    settings.SCAN_MAX_BYTES = 1000
    with pytest.raises(ScanRejected, match=r"big.png is .*; the limit is 1000 bytes"):
        attach(record, image_bytes("PNG", size=(400, 400), colour="red"), "big.png")
    assert stored_files(settings) == []


def test_image_over_the_pixel_limit_is_refused_as_a_bomb(record, settings):
    settings.SCAN_MAX_PIXELS = 100 * 100
    with pytest.raises(ScanRejected, match="200 × 200 pixels.*decompression bomb"):
        attach(record, image_bytes("PNG", size=(200, 200)), "large.png")
    assert stored_files(settings) == []


def test_pdf_with_more_pages_than_allowed_is_refused(record, settings):
    settings.SCAN_MAX_PAGES = 2
    with pytest.raises(ScanRejected, match="has 3 pages; the limit is 2"):
        attach(record, pdf_bytes(pages=3), "long.pdf")


def test_same_file_twice_on_one_record_is_refused(record, settings):
    data = image_bytes("JPEG")
    first = attach(record, data, "one.jpg")
    with pytest.raises(ScanRejected, match="already attached to this record"):
        attach(record, data, "again.jpg")
    assert list(Scan.objects.all()) == [first]
    assert len([path for path in stored_files(settings) if "originals" in path.parts]) == 1


def test_database_failure_after_the_file_is_written_removes_the_file(record, settings, monkeypatch):
    # A database error half-way cannot be provoked portably, so the page insert is made to fail.
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ScanPage.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        attach(record, image_bytes("JPEG"), "page.jpg")
    assert not Scan.objects.exists()
    assert stored_files(settings) == []


def test_original_is_stored_byte_for_byte_with_its_sha256(record):
    import hashlib

    data = image_bytes("JPEG", text="original")
    scan = attach(record, data, "Letter p1.JPG", label="Letter")
    assert scan_storage().open(scan.file.name).read() == data
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.original_filename == "Letter p1.JPG" and scan.media_type == "image/jpeg"
    assert scan.pages.get().label == "Letter"


def test_multipage_tiff_becomes_one_page_each_with_derivatives(
    record, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scan = attach(record, multipage_tiff_bytes(pages=3), "bundle.tiff")
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE
    pages = list(scan.pages.order_by("number"))
    assert [page.label for page in pages] == ["p. 1", "p. 2", "p. 3"]
    for page in pages:
        for name in (page.thumbnail, page.web_image, page.zoom_image):
            with Image.open(scan_storage().path(name)) as image:
                assert image.format == "JPEG"
        with Image.open(scan_storage().path(page.thumbnail)) as thumbnail:
            assert max(thumbnail.size) == 240


def test_multipage_pdf_becomes_one_page_each_rendered(record, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scan = attach(record, pdf_bytes(pages=4), "translation.pdf", kind=Scan.Kind.TRANSLATION)
    pages = list(scan.pages.order_by("number"))
    assert len(pages) == 4 and all(page.is_ready for page in pages)
    with Image.open(scan_storage().path(pages[1].web_image)) as web:
        assert max(web.size) == 1200
        # The second generated page is tinted; the render must carry that colour.
        assert web.convert("RGB").getpixel((10, 10))[1] < 240


def test_real_jfk_pdf_with_jbig2_pages_is_split_and_rendered(
    record, django_capture_on_commit_callbacks
):
    data = shared_file(JFK / "104-10004-10156.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        scan = attach(record, data, "104-10004-10156.pdf")
    scan.refresh_from_db()
    assert scan.page_count >= 1
    assert scan.derivative_status == Scan.DerivativeStatus.DONE, scan.derivative_error
    assert scan.pages.exclude(web_image="").count() == scan.page_count


def test_failed_derivatives_are_retried_recorded_and_remade_by_command(
    record, settings, django_capture_on_commit_callbacks
):
    settings.SCAN_DERIVATIVE_MAX_ATTEMPTS = 3
    data = image_bytes("JPEG", size=(1000, 1400))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scan = attach(record, data, "page.jpg")
    original = Path(scan_storage().path(scan.file.name))
    original.write_bytes(data[:200])  # the disk lost the file's tail before the worker ran
    for callback in callbacks:
        callback()
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.FAILED
    assert scan.derivative_attempts == 3
    assert "Attempt 3" in scan.derivative_error
    assert not scan.pages.get().is_ready

    original.write_bytes(data)
    call_command(
        "make_derivatives", "--record", str(record.record_id), stdout=open("/dev/null", "w")
    )
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE
    assert scan.derivative_attempts == 1 and scan.derivative_error == ""
    assert scan.pages.get().is_ready


def test_make_derivatives_reports_failure_with_non_zero_exit(record, capsys):
    scan = attach(record, image_bytes("JPEG"), "page.jpg")
    Path(scan_storage().path(scan.file.name)).write_bytes(b"gone bad")
    with pytest.raises(CommandError, match="1 scan"):
        call_command("make_derivatives")
    assert "FAILED: record" in capsys.readouterr().out


def test_verify_fixity_passes_then_detects_a_changed_byte_and_a_missing_file(record, capsys):
    changed = attach(record, image_bytes("JPEG", text="changed"), "changed.jpg")
    missing = attach(record, image_bytes("JPEG", text="missing"), "missing.jpg")
    call_command("verify_fixity")
    assert "Checked 2 original(s); 0 changed, missing or unreachable." in capsys.readouterr().out
    changed.refresh_from_db()
    assert changed.fixity_ok is True and changed.fixity_checked_at is not None

    path = Path(scan_storage().path(changed.file.name))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    Path(scan_storage().path(missing.file.name)).unlink()
    with pytest.raises(CommandError, match="Fixity failed for 2 original"):
        call_command("verify_fixity")
    output = capsys.readouterr().out
    assert f"CHANGED: record {record.record_id}, scan {changed.pk}" in output
    assert f"MISSING: record {record.record_id}, scan {missing.pk}" in output
    changed.refresh_from_db()
    assert changed.fixity_ok is False


def test_ocr_status_says_why_ocr_is_off_without_tesseract(settings):
    settings.TESSERACT_COMMAND = "no-such-tesseract-program"
    status = ocr_status()
    assert not status.enabled
    assert "Tesseract is not installed" in status.reason


@pytest.mark.skipif(not shutil.which("tesseract"), reason="Tesseract is not installed here")
def test_scan_without_text_layer_is_ocred_in_the_record_language_and_shown_to_staff(
    make_record, settings, client, editor, django_capture_on_commit_callbacks
):
    settings.TESSERACT_COMMAND = "tesseract"
    record = make_record(status="draft")
    record.languages.set([Language.objects.get(code="en")])
    image = Image.new("L", (1600, 600), 255)
    font = ImageFont.load_default(size=72)
    ImageDraw.Draw(image).text((60, 200), "DECLASSIFIED TELEGRAM", fill=0, font=font)
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        scan = attach(record, buffer.getvalue(), "telegram.png")
    page = scan.pages.get()
    assert "DECLASSIFIED" in page.ocr_text.upper()
    assert page.ocr_language == "eng"
    client.force_login(editor)
    html = client.get(f"/admin/accessions/scan/{scan.pk}/change/").content.decode()
    assert page.ocr_text in html and "OCR is on" in html


def test_jpeg_rotated_by_its_exif_orientation_is_shown_upright(
    record, django_capture_on_commit_callbacks
):
    image = Image.new("RGB", (800, 400), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # the camera was turned: display rotated by 90°
    import io

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    with django_capture_on_commit_callbacks(execute=True):
        scan = attach(record, buffer.getvalue(), "turned.jpg")
    page = scan.pages.get()
    assert (page.width, page.height) == (400, 800)
    with Image.open(scan_storage().path(page.web_image)) as web:
        assert web.size == (400, 800)
    assert scan_storage().open(scan.file.name).read() == buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pdf_with_catalogue_entry(b"/OpenAction [3 0 R /Fit]"),
        pdf_with_catalogue_entry(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >> /Info (JSON)"),
        pdf_with_object_stream(b"5 0 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    ],
)
def test_a_pdf_whose_only_action_opens_a_page_is_accepted(record, data):
    scan = attach(record, data, "scan.pdf")
    assert scan.page_count == 1


def test_image_metadata_in_xml_is_no_html(record):
    scan = attach(
        record, png_with_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>'), "a.png"
    )
    assert scan.page_count == 1
