"""Staff side of scans: attaching files in the admin, the record inline, failures shown."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accessions.scans.ingest import ingest_scan
from accessions.scans.models import Scan
from tests.scan_files import encrypted_pdf_bytes, image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ocr_off(settings):
    settings.TESSERACT_COMMAND = ""


def files(*pairs):
    return [SimpleUploadedFile(name, data) for name, data in pairs]


def attach_url(record):
    return reverse("admin:accessions_scan_attach", args=[record.pk])


def test_cataloguer_attaches_several_files_at_once(
    client, make_record, cataloguer, django_capture_on_commit_callbacks
):
    record = make_record(status="draft")
    client.force_login(cataloguer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            attach_url(record),
            {
                "files": files(
                    ("p1.jpg", image_bytes("JPEG", text="one")),
                    ("translation.pdf", pdf_bytes(pages=2, size=(200, 260))),
                ),
                "kind": "original",
                "label": "",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accessions_record_change", args=[record.pk])
    scans = list(record.scans.order_by("position"))
    assert [scan.original_filename for scan in scans] == ["p1.jpg", "translation.pdf"]
    assert [scan.page_count for scan in scans] == [1, 2]
    assert all(scan.uploaded_by == cataloguer for scan in scans)
    assert all(scan.derivative_status == Scan.DerivativeStatus.DONE for scan in scans)


def test_one_bad_file_refuses_the_whole_upload_with_its_reason(
    client, make_record, cataloguer, settings
):
    record = make_record(status="draft")
    client.force_login(cataloguer)
    response = client.post(
        attach_url(record),
        {
            "files": files(
                ("good.jpg", image_bytes("JPEG")), ("locked.pdf", encrypted_pdf_bytes())
            ),
            "kind": "original",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "locked.pdf is an encrypted PDF; remove the password and attach it again." in html
    assert "Nothing was attached" in html
    assert not Scan.objects.exists()
    root = settings.SCANS_ROOT
    assert not root.exists() or not any(path.is_file() for path in root.rglob("*"))


def test_upload_without_files_is_refused(client, make_record, cataloguer):
    record = make_record(status="draft")
    client.force_login(cataloguer)
    response = client.post(attach_url(record), {"kind": "original"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_attach_view_needs_login_and_the_add_scan_permission(
    client, make_record, staff_without_role, rights_manager
):
    record = make_record(status="draft")
    response = client.get(attach_url(record))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    for user in (staff_without_role, rights_manager):
        client.force_login(user)
        assert client.get(attach_url(record)).status_code == 403
        response = client.post(
            attach_url(record), {"files": files(("a.jpg", image_bytes())), "kind": "original"}
        )
        assert response.status_code == 403
    assert not Scan.objects.exists()


def test_record_admin_shows_scans_with_thumbnail_hash_and_attach_link(
    client, make_record, cataloguer, django_capture_on_commit_callbacks
):
    record = make_record(status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        scan = ingest_scan(
            record=record, upload=upload(image_bytes(), "p1.jpg"), name="p1.jpg", label="Envelope"
        )
    client.force_login(cataloguer)
    html = client.get(reverse("admin:accessions_record_change", args=[record.pk])).content.decode()
    page = scan.pages.get()
    assert reverse("admin:accessions_scan_page_image", args=[page.pk, "thumb"]) in html
    assert scan.sha256 in html
    assert attach_url(record) in html
    assert 'alt="Envelope"' in html


def test_failed_derivatives_and_duplicates_are_shown_to_staff(
    client, make_record, editor, settings
):
    settings.SCAN_DERIVATIVE_MAX_ATTEMPTS = 1
    first = make_record(status="draft", title="First")
    second = make_record(status="draft", title="Second")
    data = image_bytes("JPEG")
    ingest_scan(record=first, upload=upload(data, "a.jpg"), name="a.jpg")
    duplicate = ingest_scan(record=second, upload=upload(data, "a.jpg"), name="a.jpg")
    Scan.objects.filter(pk=duplicate.pk).update(
        derivative_status=Scan.DerivativeStatus.FAILED,
        derivative_attempts=3,
        derivative_error="Attempt 3: OSError: image file is truncated",
    )
    client.force_login(editor)
    changelist = client.get(
        reverse("admin:accessions_scan_changelist") + "?derivative_status__exact=failed"
    ).content.decode()
    assert "Failed" in changelist and "a.jpg" in changelist
    change = client.get(
        reverse("admin:accessions_scan_change", args=[duplicate.pk])
    ).content.decode()
    assert "Failed after 3 attempt(s)" in change
    assert "image file is truncated" in change
    assert f"record {first.record_id}" in change
    assert "OCR is off" in change


def test_remake_action_makes_failed_derivatives_again(client, make_record, editor):
    record = make_record(status="draft")
    scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    client.force_login(editor)
    response = client.post(
        reverse("admin:accessions_scan_changelist"),
        {"action": "remake_selected_derivatives", "_selected_action": [scan.pk]},
        follow=True,
    )
    assert "Derivatives made for 1 scan(s)." in response.content.decode()
    scan.refresh_from_db()
    assert scan.derivative_status == Scan.DerivativeStatus.DONE


def test_editor_deleting_a_scan_removes_its_files(
    client, make_record, editor, settings, django_capture_on_commit_callbacks
):
    record = make_record(status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        scan = ingest_scan(record=record, upload=upload(image_bytes(), "a.jpg"), name="a.jpg")
    assert any(path.is_file() for path in settings.SCANS_ROOT.rglob("*"))
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accessions_scan_delete", args=[scan.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Scan.objects.exists()
    assert not any(path.is_file() for path in settings.SCANS_ROOT.rglob("*"))


def test_the_same_file_twice_in_one_upload_attaches_neither(
    client, make_record, cataloguer, settings
):
    record = make_record(status="draft")
    client.force_login(cataloguer)
    data = image_bytes("JPEG")
    response = client.post(
        attach_url(record),
        {"files": files(("a.jpg", data), ("copy-of-a.jpg", data)), "kind": "original"},
    )
    assert response.status_code == 400
    assert "copy-of-a.jpg is already attached to this record" in response.content.decode()
    assert not Scan.objects.exists()
    root = settings.SCANS_ROOT
    assert not root.exists() or not any(path.is_file() for path in root.rglob("*"))


def test_a_file_already_on_the_record_is_refused_with_its_name(client, make_record, cataloguer):
    record = make_record(status="draft")
    data = image_bytes("JPEG")
    ingest_scan(record=record, upload=upload(data, "a.jpg"), name="a.jpg", label="Envelope")
    client.force_login(cataloguer)
    response = client.post(
        attach_url(record), {"files": files(("again.jpg", data)), "kind": "original"}
    )
    assert response.status_code == 400
    assert "again.jpg is already attached to this record as “Envelope”" in response.content.decode()
    assert record.scans.count() == 1


def test_an_empty_file_among_several_is_named_in_the_refusal(client, make_record, cataloguer):
    record = make_record(status="draft")
    client.force_login(cataloguer)
    response = client.post(
        attach_url(record),
        {
            "files": files(("good.jpg", image_bytes("JPEG")), ("blank-page.jpg", b"")),
            "kind": "original",
        },
    )
    assert response.status_code == 400
    assert "blank-page.jpg: The submitted file is empty." in response.content.decode()
    assert not Scan.objects.exists()
