"""Staff make and revoke their API tokens in the admin; a token is shown once, kept hashed."""

import hashlib
import re

import pytest

from accessions.models import ApiToken
from accessions.standards.api.tokens import issue_token

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_stored_as_a_digest(client, cataloguer):
    client.force_login(cataloguer)
    response = client.post("/admin/accessions/apitoken/add/", {"name": "Scanner 2"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'<code class="api-token">([^<]+)</code>', response.content.decode())[1]
    token = ApiToken.objects.get()
    assert token.user == cataloguer and token.name == "Scanner 2"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    for url in (
        "/admin/accessions/apitoken/",
        f"/admin/accessions/apitoken/{token.pk}/change/",
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert raw not in page.content.decode()
    # The token works for the API at once.
    answer = client.get("/api/staff/accessions/", headers={"Authorization": f"Token {raw}"})
    assert answer.status_code == 200


def test_staff_see_and_revoke_only_their_own_tokens(client, cataloguer, editor):
    own, own_raw = issue_token(user=cataloguer, name="Mine")
    other, other_raw = issue_token(user=editor, name="Not mine")
    client.force_login(cataloguer)
    listing = client.get("/admin/accessions/apitoken/").content.decode()
    assert "Mine" in listing and "Not mine" not in listing
    assert client.get(f"/admin/accessions/apitoken/{other.pk}/change/").status_code == 302
    client.post(
        "/admin/accessions/apitoken/",
        {"action": "revoke_selected", "_selected_action": [own.pk, other.pk]},
    )
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.revoked_at is not None and other.revoked_at is None
    url = "/api/staff/accessions/"
    assert client.get(url, headers={"Authorization": f"Token {own_raw}"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Token {other_raw}"}).status_code == 200


def test_non_staff_users_have_no_token_admin(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw")
    client.force_login(user)
    assert client.get("/admin/accessions/apitoken/add/").status_code == 302
    _, raw = issue_token(user=user, name="Sneaky")
    answer = client.get("/api/staff/accessions/", headers={"Authorization": f"Token {raw}"})
    assert answer.status_code == 401
