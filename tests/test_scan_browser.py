"""The scan viewer in a real browser: plain images without JavaScript, OpenSeadragon with it."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accessions.imaging import ingest_scan
from accessions.models import Language
from tests.scan_files import pdf_bytes, upload

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OPENSEADRAGON = Path(django_settings.BASE_DIR) / "static/vendor/openseadragon/openseadragon.min.js"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium on this machine"),
]
# Playwright drives the browser from a thread with an event loop; Django must allow the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def scanned_record(settings, make_record):
    settings.TESSERACT_COMMAND = ""
    # A transactional test flushes what migrations made; the record needs its language back.
    Language.objects.get_or_create(code="en", defaults={"name": "English"})
    record = make_record(status="published")
    # No surrounding transaction here, so the derivative task runs when the ingest commits.
    # Letter-size pages: the web image is 1200 pixels high, the zoom image 3000.
    ingest_scan(record=record, upload=upload(pdf_bytes(pages=3), "l.pdf"), name="l.pdf")
    return record


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_viewer_page_without_javascript_shows_every_page_as_an_image(
    live_server, scanned_record, browser
):
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + scanned_record.get_absolute_url())
    images = page.locator(".scan-page img")
    assert images.count() == 3
    images.first.wait_for()
    assert page.evaluate("document.querySelector('.scan-page img').naturalWidth") > 0
    assert images.nth(1).get_attribute("alt").startswith("p. 2 of the document")
    assert page.locator("[data-scan-stage]").is_hidden()


@pytest.mark.skipif(not OPENSEADRAGON.exists(), reason="run `make vendor` to install OpenSeadragon")
def test_viewer_with_javascript_zooms_and_turns_pages_from_the_thumbnails(
    live_server, scanned_record, browser
):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + scanned_record.get_absolute_url())
    page.locator(".scan-viewer-canvas .openseadragon-canvas canvas").first.wait_for()
    caption = page.locator(".scan-viewer-caption")
    assert caption.inner_text() == "p. 1 (1 of 3)"
    # Zooming in with the keyboard makes the viewer fetch the full-resolution level.
    page.locator(".scan-viewer-canvas .openseadragon-canvas").first.focus()
    zoom = "document.querySelector('[data-scan-viewer]').scanViewer.viewport.getZoom(true)"
    before = page.evaluate(zoom)
    page.keyboard.press("=")
    page.wait_for_function(f"{zoom} > {before}")
    for _ in range(2):
        page.get_by_title("Zoom in").first.click()
    page.wait_for_function(f"{zoom} > {before} * 3")
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/zoom.jpg") for url in requested)
    page.locator(".scan-page-link").nth(2).click()
    page.wait_for_function(
        "document.querySelector('.scan-viewer-caption').textContent.startsWith('p. 3')"
    )
    assert page.locator(".scan-page-link").nth(2).get_attribute("aria-current") == "page"
    assert errors == []
