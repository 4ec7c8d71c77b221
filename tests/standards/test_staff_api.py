"""The staff write API: every endpoint by role, tokens that stop working at once, history,
the search index and the public surfaces kept in step."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accessions.catalogue.intake import create_accession, create_record
from accessions.models import (
    Accession,
    Agent,
    ApiToken,
    Donor,
    Record,
    RecordEvent,
    RecordText,
    Scan,
    SearchEntry,
    Subject,
)
from accessions.standards.api.tokens import revoke_tokens
from tests.scan_files import image_bytes, upload
from tests.standards.staff_api import TokenClient

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no role", "Cataloguer", "Editor", "Rights manager", "superuser"]


@pytest.fixture
def as_role(client, django_user_model):
    def make(role: str) -> TokenClient:
        if role == "anonymous":
            return TokenClient(client)
        username = role.lower().replace(" ", "-")
        if role == "superuser":
            user = django_user_model.objects.create_superuser(username, password="pw")
        else:
            user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
            if role != "no role":
                user.groups.add(Group.objects.get(name=role))
        return TokenClient(client, user)

    return make


@pytest.fixture
def objects(funder, rights_statement, django_user_model):
    owner = django_user_model.objects.create_user("owner", is_staff=True)
    draft = create_record(
        title="A draft", user=owner, date_text="1962", summary="Draft.", rights=rights_statement
    )
    text = RecordText.objects.create(record=draft, body="Text.")
    accession = create_accession(title="Papers", date_received=date(2024, 5, 1), user=owner)
    Subject.objects.create(name="Missiles")
    return {"draft": draft, "text": text, "accession": accession, "donor": funder}


def _png(name="scan.png"):
    return upload(image_bytes(format="PNG", size=(60, 80)), name)


# (label, method, url, payload) by the objects above; payloads are valid for every role.
ENDPOINTS = {
    "create record": ("post", lambda o: "/api/staff/records/", lambda o: {"title": "New"}),
    "edit record": (
        "patch",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/",
        lambda o: {"title": "Renamed"},
    ),
    "add text": (
        "post",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/texts/",
        lambda o: {"body": "A translation.", "language": "en"},
    ),
    "edit text": (
        "patch",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/texts/{o['text'].pk}/",
        lambda o: {"credit": "Translated by B."},
    ),
    "submit": (
        "post",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/transition/",
        lambda o: {"action": "submit"},
    ),
    "publish": (
        "post",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/transition/",
        lambda o: {"action": "publish"},
    ),
    "upload scan": (
        "upload",
        lambda o: f"/api/staff/records/{o['draft'].record_id}/scans/",
        lambda o: {"file": _png(), "label": "Page one"},
    ),
    "create accession": (
        "post",
        lambda o: "/api/staff/accessions/",
        lambda o: {"title": "Letters", "date_received": "2025-02-03"},
    ),
    "edit accession": (
        "patch",
        lambda o: f"/api/staff/accessions/{o['accession'].number}/",
        lambda o: {"extent": "3 folders"},
    ),
    "create donor": ("post", lambda o: "/api/staff/donors/", lambda o: {"name": "A Fund"}),
    "edit donor": (
        "patch",
        lambda o: f"/api/staff/donors/{o['donor'].slug}/",
        lambda o: {"credit": "The Example Foundation"},
    ),
    "create term": (
        "post",
        lambda o: "/api/staff/terms/subjects/",
        lambda o: {"name": "Nuclear weapons"},
    ),
    "edit term": (
        "patch",
        lambda o: "/api/staff/terms/subjects/missiles/",
        lambda o: {"name": "Missiles (nuclear)"},
    ),
}
# What each role gets, in the order of ROLES: the admin's own permissions, through a token.
MATRIX = {
    "create record": [401, 403, 201, 201, 403, 201],
    "edit record": [401, 403, 200, 200, 403, 200],
    "add text": [401, 403, 201, 201, 403, 201],
    "edit text": [401, 403, 200, 200, 403, 200],
    "submit": [401, 403, 200, 200, 403, 200],
    "publish": [401, 403, 403, 200, 403, 200],
    "upload scan": [401, 403, 201, 201, 403, 201],
    "create accession": [401, 403, 201, 201, 403, 201],
    "edit accession": [401, 403, 200, 200, 403, 200],
    "create donor": [401, 403, 201, 201, 201, 201],
    "edit donor": [401, 403, 403, 403, 200, 200],
    "create term": [401, 403, 201, 201, 403, 201],
    "edit term": [401, 403, 200, 200, 403, 200],
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_write_endpoint_allows_exactly_the_roles_the_admin_allows(
    as_role, objects, settings, endpoint, role
):
    settings.TESSERACT_COMMAND = ""
    method, url, payload = ENDPOINTS[endpoint]
    api = as_role(role)
    response = getattr(api, method)(url(objects), payload(objects))
    expected = MATRIX[endpoint][ROLES.index(role)]
    assert response.status_code == expected, response.content
    assert response.get("Access-Control-Allow-Origin") is None
    if expected >= 400:
        assert response.json()["detail"]


def test_a_cataloguer_cannot_publish_and_the_record_stays_private(as_role, objects, client):
    api = as_role("Cataloguer")
    draft = objects["draft"]
    response = api.post(f"/api/staff/records/{draft.record_id}/transition/", {"action": "publish"})
    assert response.status_code == 403
    assert "permission to publish" in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.status == Record.Status.DRAFT
    assert client.get(f"/api/records/{draft.record_id}/").status_code == 404


def test_donor_contacts_are_shown_and_set_by_rights_managers_only(as_role, objects):
    donor = objects["donor"]
    url = f"/api/staff/donors/{donor.slug}/"
    cataloguer = as_role("Cataloguer")
    seen = cataloguer.get(url)
    assert seen.status_code == 200 and "email" not in seen.json()
    assert donor.email not in seen.content.decode()
    assert donor.email not in cataloguer.get("/api/staff/donors/").content.decode()
    refused = cataloguer.post("/api/staff/donors/", {"name": "Nosy", "email": "a@b.example"})
    assert refused.status_code == 403
    assert "contact" in refused.json()["detail"]
    assert not Donor.objects.filter(name="Nosy").exists()
    rights_manager = as_role("Rights manager")
    assert rights_manager.get(url).json()["email"] == donor.email
    changed = rights_manager.patch(url, {"phone": "+1 555 0100"})
    assert changed.status_code == 200
    donor.refresh_from_db()
    assert donor.phone == "+1 555 0100"


def test_a_revoked_token_stops_working_at_once(as_role, objects):
    api = as_role("Editor")
    url = f"/api/staff/records/{objects['draft'].record_id}/"
    assert api.get(url).status_code == 200
    revoke_tokens(queryset=ApiToken.objects.filter(pk=api.token.pk))
    response = api.patch(url, {"title": "After revocation"})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    objects["draft"].refresh_from_db()
    assert objects["draft"].title == "A draft"


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_a_deactivated_users_token_stops_working_at_once(as_role, objects, change):
    api = as_role("Editor")
    url = f"/api/staff/records/{objects['draft'].record_id}/"
    assert api.get(url).status_code == 200
    get_user_model().objects.filter(pk=api.token.user_id).update(**change)
    assert api.get(url).status_code == 401
    assert api.patch(url, {"title": "Too late"}).status_code == 401


@pytest.mark.parametrize(
    "header", ["Token", "Token not-a-real-token", "Bearer x y", "Token é", "Basic YTpi"]
)
def test_bad_authorization_headers_are_refused_with_401(client, objects, header):
    response = client.post(
        "/api/staff/records/",
        {"title": "x"},
        content_type="application/json",
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert not Record.objects.filter(title="x").exists()


def test_the_token_is_stored_hashed_and_its_use_is_recorded(as_role, objects):
    api = as_role("Editor")
    raw = api.headers["Authorization"].split()[1]
    token = ApiToken.objects.get(pk=api.token.pk)
    assert raw not in (token.digest, token.prefix) and token.prefix == raw[:8]
    assert len(token.digest) == 64 and token.last_used_at is None
    api.get(f"/api/staff/records/{objects['draft'].record_id}/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_requests_past_the_tokens_rate_are_refused_with_429(as_role, objects, settings):
    settings.API_TOKEN_RATE = "3/minute"
    api, other = as_role("Editor"), as_role("Cataloguer")
    url = f"/api/staff/records/{objects['draft'].record_id}/"
    assert [api.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    # The limit is per token: another token is not held back.
    assert other.get(url).status_code == 200


def test_a_record_written_through_the_api_gets_history_index_and_stays_private_until_published(
    as_role, client, rights_statement
):
    api = as_role("Editor")
    created = api.post(
        "/api/staff/records/",
        {
            "title": "Secret telegram from the API",
            "date_text": "1962-10",
            "summary": "Missiles in Cuba.",
            "rights": rights_statement.pk,
            "languages": ["ru"],
        },
    )
    assert created.status_code == 201, created.content
    data = created.json()
    record_id = data["record_id"]
    assert data["status"] == "draft" and data["date_display"] == "October 1962"
    record = Record.objects.get(record_id=record_id)
    assert [e.action for e in RecordEvent.objects.filter(record=record)] == ["created"]
    assert record.created_by.username == "editor"
    # A draft is on no public surface.
    for url in (
        f"/api/records/{record_id}/",
        f"/document/{record_id}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/api/records/?q=secret", "/search/?q=secret", "/feeds/documents.atom"):
        assert b"Secret telegram" not in client.get(url).content, url
    assert not SearchEntry.objects.filter(record=record).exists()
    # The public pages are cached; publishing drops them and indexes the record.
    assert client.get("/search/?q=secret").status_code == 200
    published = api.post(f"/api/staff/records/{record_id}/transition/", {"action": "publish"})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert SearchEntry.objects.filter(record=record).exists()
    assert b"Secret telegram" in client.get("/search/?q=secret").content
    assert client.get(f"/api/records/{record_id}/").json()["languages"][0]["code"] == "ru"
    assert [e.action for e in RecordEvent.objects.filter(record=record)] == ["publish", "created"]
    # An edit reaches the index and the cached pages at once.
    api.patch(f"/api/staff/records/{record_id}/", {"title": "Renamed telegram"})
    assert b"Renamed telegram" in client.get("/search/?q=renamed").content


def test_publishing_an_incomplete_record_lists_what_it_lacks(as_role):
    api = as_role("Editor")
    record_id = api.post("/api/staff/records/", {"title": "Bare"}).json()["record_id"]
    response = api.post(f"/api/staff/records/{record_id}/transition/", {"action": "publish"})
    assert response.status_code == 400
    assert "a rights statement" in response.json()["missing"]
    again = api.post(f"/api/staff/records/{record_id}/transition/", {"action": "withdraw"})
    assert again.status_code == 409


def test_a_term_rename_moves_the_records_showing_it(as_role, make_record, client):
    subject = Subject.objects.create(name="Missiles")
    record = make_record(subjects=[subject])
    before = Record.objects.get(pk=record.pk).updated_at
    response = as_role("Editor").patch(
        "/api/staff/terms/subjects/missiles/", {"name": "Ballistic missiles"}
    )
    assert response.status_code == 200
    assert Record.objects.get(pk=record.pk).updated_at > before
    body = client.get(f"/api/records/{record.record_id}/").json()
    assert body["subjects"] == [{"name": "Ballistic missiles", "slug": "missiles"}]


def test_a_scan_uploaded_through_the_api_is_ingested_like_the_admins(as_role, objects, settings):
    settings.TESSERACT_COMMAND = ""
    draft = objects["draft"]
    response = as_role("Cataloguer").upload(
        f"/api/staff/records/{draft.record_id}/scans/", {"file": _png(), "kind": "original"}
    )
    assert response.status_code == 201, response.content
    scan = Scan.objects.get(record=draft)
    assert response.json()["sha256"] == scan.sha256 and scan.pages.count() == 1
    assert scan.uploaded_by.username == "cataloguer"


def test_accessions_get_the_next_number_of_their_year(as_role):
    api = as_role("Cataloguer")
    first = api.post("/api/staff/accessions/", {"title": "A", "date_received": "2025-01-02"})
    second = api.post("/api/staff/accessions/", {"title": "B", "date_received": "2025-03-04"})
    assert first.status_code == second.status_code == 201
    assert [first.json()["number"], second.json()["number"]] == ["2025-0001", "2025-0002"]
    assert Accession.objects.get(number="2025-0001").created_by.username == "cataloguer"


def test_a_text_written_through_the_api_moves_its_record_and_reaches_the_index(
    as_role, make_record, client
):
    record = make_record(title="Telegram")
    before = Record.objects.get(pk=record.pk).updated_at
    api = as_role("Cataloguer")
    response = api.post(
        f"/api/staff/records/{record.record_id}/texts/",
        {"kind": "transcript", "language": "ru", "body": "Совершенно секретно, zanzibarian"},
    )
    assert response.status_code == 201, response.content
    moved = Record.objects.get(pk=record.pk)
    assert moved.updated_at > before and moved.updated_by.username == "cataloguer"
    assert b"Telegram" in client.get("/search/?q=zanzibarian").content
    second_main = api.post(
        f"/api/staff/records/{record.record_id}/texts/", {"body": "Another", "is_primary": True}
    )
    assert second_main.status_code == 400
    assert RecordText.objects.filter(record=record).count() == 2


def test_a_person_made_without_name_parts_gets_them_split_as_in_the_admin(as_role, admin_client):
    response = as_role("Cataloguer").post("/api/staff/terms/agents/", {"name": "George F. Kennan"})
    assert response.status_code == 201, response.content
    assert (response.json()["family_name"], response.json()["given_name"]) == (
        "Kennan",
        "George F.",
    )
    organisation = as_role("Editor").post(
        "/api/staff/terms/agents/", {"name": "UNESCO", "kind": "organization", "family_name": "X"}
    )
    assert organisation.status_code == 201 and organisation.json()["family_name"] == ""
    # The admin's add form no longer refuses a person typed without the parts.
    added = admin_client.post(
        "/admin/accessions/agent/add/",
        {"name": "Nikita Khrushchev", "slug": "nikita-khrushchev", "kind": "person"},
    )
    assert added.status_code == 302
    assert Agent.objects.get(slug="nikita-khrushchev").family_name == "Khrushchev"
