"""Journey 3: the scan viewer in a real browser, plain images without JavaScript, and
OpenSeadragon with it, zoomed and paged from the keyboard."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accessions.scans.ingest import ingest_scan
from tests.browser.support import BROWSER_MARKS, WIDTHS, assert_accessible, save_screenshot
from tests.scan_files import pdf_bytes, upload

OPENSEADRAGON = Path(django_settings.BASE_DIR) / "static/vendor/openseadragon/openseadragon.min.js"
needs_openseadragon = pytest.mark.skipif(
    not OPENSEADRAGON.exists(), reason="run `make vendor` to install OpenSeadragon"
)
VIEWPORT = "document.querySelector('[data-scan-viewer]').scanViewer.viewport"
ZOOM = f"{VIEWPORT}.getZoom(true)"
# Where the zoom is heading; the animated value above lags behind it on a busy machine.
ZOOM_TARGET = f"{VIEWPORT}.getZoom(false)"
ZOOM_SETTLED = f"Math.abs({ZOOM} - {ZOOM_TARGET}) < 1e-6"

pytestmark = BROWSER_MARKS


@pytest.fixture
def scanned_record(settings, make_record):
    settings.TESSERACT_COMMAND = ""
    record = make_record(status="published")
    # No surrounding transaction here, so the derivative task runs when the ingest commits.
    # Letter-size pages: the web image is 1200 pixels high, the zoom image 3000.
    ingest_scan(record=record, upload=upload(pdf_bytes(pages=3), "l.pdf"), name="l.pdf")
    return record


def open_viewer(page, record, errors: list):
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(record.get_absolute_url())
    page.locator(".scan-viewer-canvas .openseadragon-canvas canvas").first.wait_for()


def hold_key(page, key: str, milliseconds: int = 400) -> None:
    """Hold a key down as a person does: OpenSeadragon zooms for as long as +/- are held,
    so a zero-length synthetic press may move the zoom by nothing at all."""
    page.keyboard.down(key)
    page.wait_for_timeout(milliseconds)
    page.keyboard.up(key)


def caption_starts_with(page, text: str) -> None:
    page.wait_for_function(
        "text => document.querySelector('.scan-viewer-caption').textContent.startsWith(text)",
        arg=text,
    )


def test_viewer_page_without_javascript_shows_every_page_as_an_image(
    chromium_browser, live_server, scanned_record
):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=WIDTHS["desktop"], java_script_enabled=False
    )
    page = context.new_page()
    page.goto(scanned_record.get_absolute_url())
    images = page.locator(".scan-page img")
    assert images.count() == 3
    images.first.wait_for()
    assert page.evaluate("document.querySelector('.scan-page img').naturalWidth") > 0
    assert images.nth(1).get_attribute("alt").startswith("p. 2 of the document")
    assert page.locator("[data-scan-stage]").is_hidden()
    context.close()


@needs_openseadragon
def test_viewer_zooms_and_pages_with_the_keyboard(page, scanned_record):
    errors = []
    open_viewer(page, scanned_record, errors)
    assert page.locator(".scan-viewer-caption").inner_text() == "p. 1 (1 of 3)"
    canvas = page.locator(".scan-viewer-canvas .openseadragon-canvas").first
    canvas.focus()
    assert page.evaluate("document.activeElement.classList.contains('openseadragon-canvas')")
    # Start once every image has arrived: a late layout change moves the zoom limits.
    page.wait_for_load_state("networkidle")
    page.wait_for_function(ZOOM_SETTLED, timeout=20_000)
    before = page.evaluate(ZOOM_TARGET)
    hold_key(page, "=")
    page.wait_for_function(f"{ZOOM_TARGET} > {before}", timeout=20_000)
    page.wait_for_function(ZOOM_SETTLED, timeout=20_000)
    zoomed = page.evaluate(ZOOM_TARGET)
    hold_key(page, "-")
    page.wait_for_function(f"{ZOOM_TARGET} < {zoomed}", timeout=20_000)
    page.wait_for_function(ZOOM_SETTLED, timeout=20_000)
    # OpenSeadragon's keys: k for the next page, j for the previous one.
    page.keyboard.press("k")
    caption_starts_with(page, "p. 2 (2 of 3)")
    page.keyboard.press("k")
    caption_starts_with(page, "p. 3 (3 of 3)")
    assert page.locator(".scan-page-link").nth(2).get_attribute("aria-current") == "page"
    page.keyboard.press("j")
    caption_starts_with(page, "p. 2 (2 of 3)")
    # A thumbnail chosen with Enter shows its page and gives the viewer the focus back.
    page.locator(".scan-page-link").first.focus()
    page.keyboard.press("Enter")
    caption_starts_with(page, "p. 1 (1 of 3)")
    assert page.locator(".scan-page-link").first.get_attribute("aria-current") == "page"
    assert page.evaluate("document.activeElement.classList.contains('openseadragon-canvas')")
    assert errors == []
    assert_accessible(page)
    save_screenshot(page, "scan-viewer-keyboard")


@needs_openseadragon
def test_viewer_zooms_to_full_resolution_and_turns_pages_from_the_thumbnails(page, scanned_record):
    errors = []
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_viewer(page, scanned_record, errors)
    before = page.evaluate(ZOOM)
    for _ in range(3):
        page.get_by_title("Zoom in").first.click()
    page.wait_for_function(f"{ZOOM} > {before} * 3")
    # Zoomed in, the viewer fetches the full-resolution level.
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/zoom.jpg") for url in requested)
    page.locator(".scan-page-link").nth(2).click()
    caption_starts_with(page, "p. 3")
    assert page.locator(".scan-page-link").nth(2).get_attribute("aria-current") == "page"
    assert errors == []
