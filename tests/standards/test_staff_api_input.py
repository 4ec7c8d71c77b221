"""Bad input to the staff API: a 4xx with the field at fault, never a 500, nothing half-written."""

import json

import pytest

from accessions.models import Record, Scan, Subject
from tests.scan_files import image_bytes, upload
from tests.standards.staff_api import TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, editor):
    return TokenClient(client, editor)


@pytest.fixture
def draft(api):
    return Record.objects.get(
        record_id=api.post("/api/staff/records/", {"title": "D"}).json()["record_id"]
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "Null\x00byte"}, "title"),
        ({"title": "Lone \ud800 surrogate"}, "title"),
        ({"title": 42, "date_text": "the thirteenth of Smarch"}, "date_text"),
        ({"title": "x", "record_id": 2**31}, "record_id"),
        ({"title": "x", "record_id": -5}, "record_id"),
        ({"title": "x", "record_id": "twelve"}, "record_id"),
        ({"title": "x", "subjects": ["no-such-subject"]}, "subjects"),
        ({"title": "x", "subjects": "missiles"}, "subjects"),
        ({"title": "x", "rights": 10**30}, "rights"),
        ({"title": "x", "original_upload_date": "1962-02-30"}, "original_upload_date"),
        ({"title": "x", "languages": [None]}, "languages"),
    ],
)
def test_bad_record_fields_get_field_errors_and_create_nothing(api, payload, field):
    response = api.post("/api/staff/records/", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Record.objects.exists()


def test_a_taken_record_id_is_a_field_error(api, draft):
    response = api.post("/api/staff/records/", {"title": "Again", "record_id": draft.record_id})
    assert response.status_code == 400
    assert "record_id" in response.json()
    assert Record.objects.count() == 1


def test_a_record_id_cannot_change(api, draft):
    response = api.patch(
        f"/api/staff/records/{draft.record_id}/", {"record_id": draft.record_id + 1}
    )
    assert response.status_code == 400
    assert "permanent" in response.json()["record_id"][0]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"title": NaN}', "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("title=x", "text/plain", 415),
        ("<record/>", "application/xml", 415),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(client, api, body, content_type, status):
    response = client.post(
        "/api/staff/records/", body, content_type=content_type, headers=api.headers
    )
    assert response.status_code == status
    assert response.json()
    assert not Record.objects.exists()


def test_a_json_body_past_the_limit_is_refused_with_413(client, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x", "summary": "y" * 2000})
    response = client.post(
        "/api/staff/records/", body, content_type="application/json", headers=api.headers
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not Record.objects.exists()


def test_slug_clashes_are_field_errors(api):
    assert api.post("/api/staff/terms/subjects/", {"name": "Arms!"}).status_code == 201
    response = api.post("/api/staff/terms/subjects/", {"name": "Arms?"})
    assert response.status_code == 400
    assert "slug" in response.json()
    assert list(Subject.objects.values_list("name", flat=True)) == ["Arms!"]


@pytest.mark.parametrize("name", ["!!!", "  ", "von", "Jr."])
def test_odd_agent_names_never_crash(api, name):
    response = api.post("/api/staff/terms/agents/", {"name": name})
    assert response.status_code in (201, 400), response.content


def _files(settings):
    return [path for path in settings.SCANS_ROOT.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not an image at all", "scan.png", "scan.png"),
        (b"", "empty.jpg", "empty"),
        (image_bytes(format="PNG")[:200], "cut.png", "cut.png"),
        (b"%PDF-1.4 broken", "fake.pdf", "fake.pdf"),
    ],
)
def test_rejected_scans_leave_nothing_behind(api, draft, settings, data, name, message):
    settings.TESSERACT_COMMAND = ""
    response = api.upload(
        f"/api/staff/records/{draft.record_id}/scans/", {"file": upload(data, name)}
    )
    assert response.status_code == 400, response.content
    assert message in response.json()["file"][0]
    assert not Scan.objects.exists()
    assert _files(settings) == []


def test_a_scan_past_the_size_limit_is_refused_with_413(api, draft, settings):
    settings.SCAN_MAX_BYTES = 1000
    response = api.upload(
        f"/api/staff/records/{draft.record_id}/scans/",
        {"file": upload(image_bytes(format="PNG", size=(400, 400)), "big.png")},
    )
    assert response.status_code == 413
    assert "limit" in response.json()["file"][0]
    assert not Scan.objects.exists() and _files(settings) == []


def test_a_scan_sent_as_json_is_refused_with_415(api, draft):
    response = api.post(f"/api/staff/records/{draft.record_id}/scans/", {"file": "abc"})
    assert response.status_code == 415
    assert not Scan.objects.exists()


def test_a_scan_sent_twice_is_refused_the_second_time(api, draft, settings):
    settings.TESSERACT_COMMAND = ""
    data = image_bytes(format="PNG", size=(60, 80))
    url = f"/api/staff/records/{draft.record_id}/scans/"
    assert api.upload(url, {"file": upload(data, "a.png")}).status_code == 201
    again = api.upload(url, {"file": upload(data, "b.png")})
    assert again.status_code == 400
    assert "already attached" in again.json()["file"][0]
    assert Scan.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/staff/records/999999/",
        "/api/staff/records/999999/texts/",
        "/api/staff/accessions/1999-0001/",
        "/api/staff/donors/nobody/",
        "/api/staff/terms/subjects/nothing/",
    ],
)
def test_unknown_objects_are_json_404s(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]
