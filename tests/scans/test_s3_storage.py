"""Scans in S3, against moto's S3 server on loopback: ingest, derivatives, serving, fixity."""

import io
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from PIL import Image

from accessions.catalogue.workflow import transition_record
from accessions.models import RightsStatement
from accessions.scans.fixity import check_fixity
from accessions.scans.ingest import ingest_scan
from accessions.scans.models import Scan
from accessions.scans.tasks import remake_derivatives
from tests.scan_files import image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ocr_off(settings):
    settings.TESSERACT_COMMAND = ""


@pytest.fixture
def scanned(s3_scans, make_record, django_capture_on_commit_callbacks):
    """A record (published unless asked) with a two-page PDF whose derivatives are made."""

    def make(status="published", **fields):
        record = make_record(status="draft", **fields)
        with django_capture_on_commit_callbacks(execute=True):
            scan = ingest_scan(
                record=record, upload=upload(pdf_bytes(pages=2), "letter.pdf"), name="letter.pdf"
            )
        robot = get_user_model().objects.get(username="workflow-robot")
        steps = {"draft": [], "published": ["publish"], "withdrawn": ["publish", "withdraw"]}
        for action in steps[status]:
            transition_record(record=record, action=action, user=robot)
        scan.refresh_from_db()
        return record, scan

    return make


def bucket_keys(s3) -> list[str]:
    listed = s3.client().list_objects_v2(Bucket=s3.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


def test_originals_and_derivatives_are_kept_in_the_bucket_not_on_the_disk(
    scanned, s3_scans, settings
):
    record, scan = scanned()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE, scan.derivative_error
    keys = bucket_keys(s3_scans)
    assert scan.file.name in keys and scan.file.name.startswith("originals/")
    for page in scan.pages.all():
        assert {page.thumbnail, page.web_image, page.zoom_image} <= set(keys)
    assert len(keys) == 1 + 2 * 3
    assert not settings.SCANS_ROOT.exists() or not any(settings.SCANS_ROOT.rglob("*.*"))


def test_remade_derivatives_replace_the_old_images_in_the_bucket(
    scanned, s3_scans, django_capture_on_commit_callbacks
):
    record, scan = scanned()
    before = set(bucket_keys(s3_scans))
    # The old images are deleted once the new names are committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert remake_derivatives(scan=scan)
    after = set(bucket_keys(s3_scans))
    assert len(after) == len(before) and after != before
    for page in scan.pages.all():
        assert {page.thumbnail, page.web_image, page.zoom_image} <= after


def test_a_published_records_image_redirects_to_a_short_lived_signed_link(client, scanned):
    record, scan = scanned()
    page = scan.pages.first()
    response = client.get(reverse("accessions:scan_page_image", args=[page.pk, "web"]))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-cache"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"]
    body, headers = fetch(response["Location"])
    assert headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(body)) as image:
        assert max(image.size) <= 1200


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_images_of_unpublished_records_are_not_found_and_not_signed(client, scanned, status):
    record, scan = scanned(status=status)
    page = scan.pages.first()
    response = client.get(reverse("accessions:scan_page_image", args=[page.pk, "zoom"]))
    assert response.status_code == 404
    assert "Location" not in response


def test_an_open_licence_original_downloads_from_the_bucket_as_an_attachment(client, scanned):
    open_licence = RightsStatement.objects.create(
        name="CC BY", statement="Reuse freely.", uri="https://creativecommons.org/licenses/by/4.0/"
    )
    record, scan = scanned(rights=open_licence)
    response = client.get(reverse("accessions:scan_original", args=[scan.pk]))
    assert response.status_code == 302
    body, headers = fetch(response["Location"])
    assert headers["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert body.startswith(b"%PDF-") and len(body) == scan.size_bytes


def test_the_bucket_and_its_scans_grant_nothing_to_the_public(scanned, s3_scans):
    record, scan = scanned()
    client = s3_scans.client()
    public = "http://acs.amazonaws.com/groups/global/AllUsers"
    grants = client.get_bucket_acl(Bucket=s3_scans.bucket)["Grants"]
    grants += client.get_object_acl(Bucket=s3_scans.bucket, Key=scan.file.name)["Grants"]
    assert all(grant["Grantee"].get("URI") != public for grant in grants)


def test_fixity_reads_the_bucket_and_finds_changed_and_missing_originals(
    s3_scans, make_record, capsys
):
    record = make_record()
    changed = ingest_scan(
        record=record, upload=upload(image_bytes(text="one"), "one.jpg"), name="one.jpg"
    )
    missing = ingest_scan(
        record=record, upload=upload(image_bytes(text="two"), "two.jpg"), name="two.jpg"
    )
    assert check_fixity(scan=changed).ok and check_fixity(scan=missing).ok

    client = s3_scans.client()
    client.put_object(Bucket=s3_scans.bucket, Key=changed.file.name, Body=b"not the original")
    client.delete_object(Bucket=s3_scans.bucket, Key=missing.file.name)
    assert check_fixity(scan=changed).problem == "changed"
    assert check_fixity(scan=missing).problem == "missing"
    with pytest.raises(CommandError, match="Fixity failed for 2 original"):
        call_command("verify_fixity")
    capsys.readouterr()


def test_images_of_an_unready_page_are_not_found(client, s3_scans, make_record, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    record = make_record()
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    page = scan.pages.get()
    response = client.get(reverse("accessions:scan_page_image", args=[page.pk, "web"]))
    assert response.status_code == 404
