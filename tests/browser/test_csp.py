"""The Content-Security-Policy in a real browser: pages, the scan viewer and the staff pages.

The `page` fixture fails any browser test on any violation; these tests cover what the
other journeys do not reach, and show that the check itself catches a violation.
"""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from accessions.scans.ingest import ingest_scan
from tests.browser.support import BROWSER_MARKS, STAFF_PASSWORD, sign_in
from tests.scan_files import pdf_bytes, upload

pytestmark = BROWSER_MARKS

OPENSEADRAGON = Path(django_settings.BASE_DIR) / "static/vendor/openseadragon/openseadragon.min.js"


@pytest.fixture
def scanned_record(settings, make_record):
    settings.TESSERACT_COMMAND = ""
    record = make_record(status="published")
    ingest_scan(record=record, upload=upload(pdf_bytes(pages=2), "l.pdf"), name="l.pdf")
    return record


def test_the_policy_is_sent_and_a_violation_is_caught(page):
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # What an injected attribute or an off-site image would do.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"data:,\">')")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"https://example.net/x.png\">')"
    )
    page.wait_for_function("() => true")
    page.wait_for_timeout(200)
    directives = sorted({violation["directive"] for violation in page.csp_violations})
    assert directives == ["img-src", "style-src-attr"]
    page.csp_violations.clear()


@pytest.mark.skipif(not OPENSEADRAGON.exists(), reason="run `make vendor` to install OpenSeadragon")
def test_the_scan_viewer_zooms_rotates_and_goes_full_page_within_the_policy(page, scanned_record):
    page.goto(scanned_record.get_absolute_url())
    page.locator(".scan-viewer-canvas .openseadragon-canvas canvas").first.wait_for()
    for label in ("Zoom in", "Rotate right", "Toggle full page", "Toggle full page", "Next page"):
        page.get_by_title(label).first.click()
        page.wait_for_timeout(150)
    page.locator(".scan-page-link").nth(1).click()
    page.wait_for_timeout(300)
    assert page.csp_violations == []


def test_staff_pages_run_within_the_policy(page, scanned_record, django_user_model):
    get_user_model().objects.create_superuser("chief", password=STAFF_PASSWORD)
    sign_in(page, "chief")
    for url in (
        "/admin/",
        "/admin/accessions/record/",
        f"/admin/accessions/record/{scanned_record.pk}/change/",
        f"/admin/accessions/record/{scanned_record.pk}/preview/",
        "/admin/accessions/scan/",
        f"/admin/accessions/scan/{scanned_record.scans.get().pk}/change/",
        "/admin/accessions/importjob/",
        "/admin/accessions/accession/add/",
        "/admin/accessions/routingrule/",
        "/admin/accessions/apitoken/add/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    assert page.csp_violations == []
