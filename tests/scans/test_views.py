"""Public scan surfaces: the record page viewer, page images, downloads, IIIF; and no leaks."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from accessions.catalogue.workflow import transition_record
from accessions.models import RightsStatement
from accessions.scans.ingest import ingest_scan
from tests.conftest import RECORD_PAGE_QUERIES
from tests.iiif_rules import ManifestError, validate_manifest
from tests.scan_files import image_bytes, multipage_tiff_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ocr_off(settings):
    """OCR costs a second a page; only the tests about OCR switch it on."""
    settings.TESSERACT_COMMAND = ""


def attach(record, data, name, **fields):
    return ingest_scan(record=record, upload=upload(data, name), name=name, **fields)


@pytest.fixture
def scanned(make_record, django_capture_on_commit_callbacks):
    """Make a record in a status with a two-page PDF whose derivatives are made."""

    def make(status="published", **fields):
        record = make_record(status="draft", **fields)
        with django_capture_on_commit_callbacks(execute=True):
            scan = attach(record, pdf_bytes(pages=2, size=(200, 260)), "letter.pdf", label="Letter")
        if status != "draft":
            from django.contrib.auth import get_user_model

            robot = get_user_model().objects.get(username="workflow-robot")
            steps = {
                "in_review": ["submit"],
                "published": ["submit", "publish"],
                "withdrawn": ["submit", "publish", "withdraw"],
            }[status]
            for action in steps:
                transition_record(record=record, action=action, user=robot)
        return record, scan

    return make


def media_urls(record, scan) -> list[str]:
    urls = [
        reverse("accessions:scan_page_image", args=[page.pk, size])
        for page in scan.pages.all()
        for size in ("thumb", "web", "zoom")
    ]
    urls.append(reverse("accessions:scan_original", args=[scan.pk]))
    urls.append(reverse("accessions:iiif_manifest", args=[record.record_id]))
    return urls


def test_published_record_page_shows_sized_lazy_images_with_alt_text_without_javascript(
    client, scanned
):
    record, scan = scanned()
    html = client.get(record.get_absolute_url()).content.decode()
    first, second = scan.pages.order_by("number")
    assert "Scans (2 pages)" in html
    assert f'src="/scans/page/{first.pk}/web.jpg"' in html
    assert f'width="{first.web_size[0]}" height="{first.web_size[1]}"' in html
    assert f'alt="p. 1 of the document “{record.title}”"' in html
    # The first page loads at once; the others only when scrolled to.
    assert html.count('loading="lazy"') == 1
    assert f'href="/scans/page/{second.pk}/zoom.jpg"' in html
    assert f'href="/iiif/{record.record_id}/manifest.json"' in html
    # The web-size image of every page can always be downloaded.
    assert f'<a href="/scans/page/{second.pk}/web.jpg" download>download</a>' in html


def test_page_images_of_a_published_record_are_served_as_jpeg(client, scanned):
    record, scan = scanned()
    page = scan.pages.first()
    for size in ("thumb", "web", "zoom"):
        response = client.get(reverse("accessions:scan_page_image", args=[page.pk, size]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
        assert "private" in response["Cache-Control"]


def test_unknown_image_size_is_not_found(client, scanned):
    record, scan = scanned()
    page = scan.pages.first()
    assert client.get(f"/scans/page/{page.pk}/huge.jpg").status_code == 404


@pytest.mark.parametrize("status", ["draft", "in_review", "withdrawn"])
def test_media_of_unpublished_records_is_not_found_by_any_url(client, scanned, status):
    record, scan = scanned(status=status)
    for url in media_urls(record, scan):
        response = client.get(url)
        assert response.status_code == 404, url
    html = client.get(record.get_absolute_url()).content.decode()
    assert "/scans/page/" not in html


def test_old_media_urls_stop_working_when_a_record_is_withdrawn(client, scanned, editor):
    record, scan = scanned(
        status="published",
        rights=RightsStatement.objects.create(
            name="Public domain",
            statement="No copyright.",
            uri="http://rightsstatements.org/vocab/NoC-US/1.0/",
        ),
    )
    urls = media_urls(record, scan)
    assert all(client.get(url).status_code == 200 for url in urls)
    transition_record(record=record, action="withdraw", user=editor)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_scans_are_not_under_the_public_media_folder(scanned, settings):
    record, scan = scanned()
    from accessions.scans.models import scan_storage

    stored = scan_storage().path(scan.file.name)
    assert not stored.startswith(str(settings.MEDIA_ROOT))
    assert not str(settings.SCANS_ROOT).startswith(str(settings.MEDIA_ROOT))


def test_original_download_follows_the_rights_statement(client, scanned):
    restricted, restricted_scan = scanned()  # the fixture's statement is In Copyright
    response = client.get(reverse("accessions:scan_original", args=[restricted_scan.pk]))
    assert response.status_code == 404
    assert "Download the original" not in client.get(restricted.get_absolute_url()).content.decode()

    open_rights = RightsStatement.objects.create(
        name="CC BY",
        statement="Reuse with credit.",
        uri="https://creativecommons.org/licenses/by/4.0/",
    )
    record, scan = scanned(title="Open letter", rights=open_rights)
    response = client.get(reverse("accessions:scan_original", args=[scan.pk]))
    assert response.status_code == 200
    assert 'attachment; filename="letter.pdf"' == response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert (
        "Download the original: letter.pdf"
        in client.get(record.get_absolute_url()).content.decode()
    )


def test_page_placeholder_shows_until_derivatives_exist(client, make_record):
    record = make_record(status="published")
    scan = attach(record, image_bytes("JPEG"), "page.jpg")  # its task has not run: no commit
    html = client.get(record.get_absolute_url()).content.decode()
    assert "is being prepared" in html
    page = scan.pages.get()
    assert (
        client.get(reverse("accessions:scan_page_image", args=[page.pk, "web"])).status_code == 404
    )


def test_iiif_manifest_validates_and_carries_rights_credit_and_canvases(
    client, scanned, funder, settings
):
    record, scan = scanned(donors=[funder])
    response = client.get(f"/iiif/{record.record_id}/manifest.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    data = json.loads(response.content)
    validate_manifest(data)
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert data["rights"] == "http://rightsstatements.org/vocab/InC-EDU/1.0/"
    assert "Example Foundation" in data["requiredStatement"]["value"]["en"][0]
    assert data["label"] == {"en": [record.title]}
    metadata = {pair["label"]["en"][0]: pair["value"]["en"][0] for pair in data["metadata"]}
    assert metadata["Record ID"] == str(record.record_id)
    assert metadata["Date"] == "November 25, 1963"
    assert metadata["Donors"] == "Example Foundation"
    assert metadata["Rights"] == "Reuse for research and education is welcome."
    assert len(data["items"]) == 2
    canvas = data["items"][0]
    body = canvas["items"][0]["items"][0]["body"]
    assert (body["width"], body["height"]) == (canvas["width"], canvas["height"])
    assert client.get(body["id"].removeprefix("http://testserver")).status_code == 200
    assert data["thumbnail"][0]["id"].endswith("/thumb.jpg")
    assert data["summary"] == {"en": ["A summary of the telegram."]}
    assert data["provider"][0]["label"] == {"en": [settings.SITE_NAME]}


def test_iiif_manifest_query_count_does_not_grow_with_pages(
    client, scanned, make_record, django_assert_num_queries, django_capture_on_commit_callbacks
):
    record, _ = scanned()
    # The record with its foreign keys, its texts, its vocabulary lists, its ready pages.
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        client.get(f"/iiif/{record.record_id}/manifest.json")
    with django_capture_on_commit_callbacks(execute=True):
        attach(record, multipage_tiff_bytes(pages=12, size=(30, 40)), "more.tif")
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        response = client.get(f"/iiif/{record.record_id}/manifest.json")
    assert len(json.loads(response.content)["items"]) == 14


def test_iiif_manifest_of_unknown_record_is_not_found(client):
    assert client.get("/iiif/987654/manifest.json").status_code == 404


def test_record_without_scans_has_no_iiif_manifest_or_link(client, make_record):
    """IIIF Presentation 3 asks for at least one canvas; a record with no scans has none."""
    record = make_record(status="published")
    assert client.get(f"/iiif/{record.record_id}/manifest.json").status_code == 404
    assert "manifest.json" not in client.get(record.get_absolute_url()).content.decode()


def test_iiif_manifest_waits_for_the_first_ready_page(client, make_record):
    record = make_record(status="published")
    attach(record, image_bytes("JPEG"), "page.jpg")  # its task has not run: no commit
    assert client.get(f"/iiif/{record.record_id}/manifest.json").status_code == 404
    html = client.get(record.get_absolute_url()).content.decode()
    assert "is being prepared" in html
    assert "manifest.json" not in html


def test_record_page_query_count_is_the_same_for_one_page_and_200_pages(
    client, make_record, django_assert_num_queries, django_capture_on_commit_callbacks
):
    small = make_record(status="published", title="One page")
    large = make_record(status="published", title="Two hundred pages")
    with django_capture_on_commit_callbacks(execute=True):
        attach(small, image_bytes("PNG", size=(40, 50)), "one.png")
        attach(large, multipage_tiff_bytes(pages=200, size=(30, 40)), "many.tif")
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        client.get(small.get_absolute_url())
    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        response = client.get(large.get_absolute_url())
    assert response.content.decode().count('class="scan-page"') == 200


def test_staff_media_urls_need_the_scan_view_permission(
    client, scanned, cataloguer, staff_without_role
):
    record, scan = scanned(status="draft")
    page = scan.pages.first()
    urls = [
        reverse("admin:accessions_scan_page_image", args=[page.pk, "web"]),
        reverse("admin:accessions_scan_original", args=[scan.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(staff_without_role)
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(cataloguer)
    for url in urls:
        assert client.get(url).status_code == 200


def test_staff_preview_of_a_draft_shows_its_scans_through_the_admin(client, scanned, cataloguer):
    record, scan = scanned(status="draft")
    client.force_login(cataloguer)
    html = client.get(reverse("admin:accessions_record_preview", args=[record.pk])).content.decode()
    page = scan.pages.first()
    assert reverse("admin:accessions_scan_page_image", args=[page.pk, "web"]) in html
    assert "/scans/page/" not in html


def test_first_page_thumbnails_give_each_published_record_its_first_ready_page(
    scanned, make_record, django_assert_num_queries
):
    from accessions.models import Record
    from accessions.scans.models import records_with_scans
    from accessions.scans.views import first_page_thumbnails

    record, scan = scanned()
    draft, _ = scanned(status="draft", title="Draft with scans")
    bare = make_record(status="published", title="No scans")
    published = Record.objects.published()
    with django_assert_num_queries(1):
        thumbnails = first_page_thumbnails(published)
    assert set(thumbnails) == {record.pk}
    assert thumbnails[record.pk] == scan.pages.get(number=1)
    assert list(records_with_scans(published)) == [record]
    assert bare not in records_with_scans(published) and draft.pk not in thumbnails


def test_manifest_checker_refuses_what_presentation_3_forbids(client, scanned):
    record, scan = scanned()
    data = json.loads(client.get(f"/iiif/{record.record_id}/manifest.json").content)
    broken_label = {**data, "label": "plain string"}
    with pytest.raises(ManifestError, match="language map"):
        validate_manifest(broken_label)
    canvas = {**data["items"][0], "width": 0}
    with pytest.raises(ManifestError, match="width must be a positive integer"):
        validate_manifest({**data, "items": [canvas]})
    with pytest.raises(ManifestError, match="rights"):
        validate_manifest({**data, "rights": "https://example.org/licence"})


IIIF_VALIDATOR = Path(__file__).resolve().parents[2] / "var" / "iiif-validator" / "bin" / "python"
VALIDATE_SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "validate_iiif_manifest.py"


def validate_with_iiif_prezi3(manifest: bytes) -> subprocess.CompletedProcess:
    if not IIIF_VALIDATOR.exists():
        message = "iiif-prezi3 validator missing: run `make iiif-validator`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(
        [str(IIIF_VALIDATOR), str(VALIDATE_SCRIPT)], input=manifest, capture_output=True, timeout=60
    )


def test_iiif_manifest_validates_with_iiif_prezi3(client, scanned, funder):
    record, _ = scanned(donors=[funder])
    manifest = client.get(f"/iiif/{record.record_id}/manifest.json").content
    result = validate_with_iiif_prezi3(manifest)
    assert result.returncode == 0, result.stdout.decode()


def test_iiif_prezi3_refuses_a_broken_manifest(client, scanned):
    record, _ = scanned()
    data = json.loads(client.get(f"/iiif/{record.record_id}/manifest.json").content)
    data["items"][0]["width"] = "wide"
    result = validate_with_iiif_prezi3(json.dumps(data).encode())
    assert result.returncode == 1
    assert "width" in result.stdout.decode()


@pytest.mark.parametrize("sendfile_header", ["", "X-Accel-Redirect"])
def test_originals_are_always_sent_as_attachments(
    client, scanned, settings, cataloguer, sendfile_header
):
    settings.SCANS_SENDFILE_HEADER = sendfile_header
    open_rights = RightsStatement.objects.create(
        name="CC BY",
        statement="Reuse with credit.",
        uri="https://creativecommons.org/licenses/by/4.0/",
    )
    _, scan = scanned(title="Open letter", rights=open_rights)
    public = client.get(reverse("accessions:scan_original", args=[scan.pk]))
    client.force_login(cataloguer)
    staff = client.get(reverse("admin:accessions_scan_original", args=[scan.pk]))
    for response in (public, staff):
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="letter.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
