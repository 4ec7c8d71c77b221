"""The demo gains facsimile scans: published records, one multi-page, and a hidden draft."""

import pytest
from django.urls import reverse

from accessions.demo.loader import load_demo
from accessions.models import Record
from accessions.scans.models import Scan, ScanPage

pytestmark = pytest.mark.django_db


def test_demo_attaches_facsimiles_idempotently_and_keeps_the_draft_hidden(
    client, settings, django_capture_on_commit_callbacks
):
    settings.TESSERACT_COMMAND = ""
    with django_capture_on_commit_callbacks(execute=True):
        report = load_demo()
    assert sorted(report.scanned_records) == [200001, 200006, 200009, 200013]
    published = Record.objects.published().filter(scans__isnull=False).distinct()
    assert published.count() >= 3
    assert ScanPage.objects.filter(scan__record__record_id=200001).count() == 3
    assert not Scan.objects.exclude(derivative_status=Scan.DerivativeStatus.DONE).exists()

    multi_page = Record.objects.get(record_id=200001)
    html = client.get(multi_page.get_absolute_url()).content.decode()
    assert "Scans (3 pages)" in html

    draft_pages = ScanPage.objects.filter(scan__record__record_id=200013)
    assert draft_pages.exists()
    for page in draft_pages:
        url = reverse("accessions:scan_page_image", args=[page.pk, "web"])
        assert client.get(url).status_code == 404

    scans_before = list(Scan.objects.values_list("pk", "sha256"))
    with django_capture_on_commit_callbacks(execute=True):
        again = load_demo()
    assert again.scanned_records == []
    assert list(Scan.objects.values_list("pk", "sha256")) == scans_before
