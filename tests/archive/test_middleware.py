"""Requests no page can answer get a 400 with a message, never a server error."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

MANY = "&".join(f"p{number}=1" for number in range(1001))


@pytest.fixture
def client():
    # A server error is an answer here, not an exception in the test.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/search/", "/document/1/", "/no-such-page/", "/api/records/"])
def test_more_parameters_than_django_reads_get_a_400_with_a_message(
    client, settings, make_record, debug, path
):
    make_record()
    settings.DEBUG = debug
    response = client.get(path, QUERY_STRING=MANY)
    assert response.status_code == 400
    assert b"DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.content


@pytest.mark.parametrize("debug", [False, True])
def test_a_form_post_with_too_many_fields_gets_a_400(client, settings, debug):
    settings.DEBUG = debug
    response = client.post("/oai/", MANY, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/collections/%00/",
        "/collections/a%00b/export.csv",
        "/api/collections/%00/",
        "/search/?q=%00treaty",
        "/search/?subject=%00",
        "/feeds/documents.atom?collection=%00",
        "/api/records/?collection=x%00",
        "/search/?%00=1",
    ],
)
def test_null_characters_in_the_path_or_a_parameter_get_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert b"null character" in response.content


def test_null_characters_in_a_posted_form_get_a_400(client):
    response = client.post("/oai/", {"verb": "Identify\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("debug", [False, True])
def test_a_form_post_in_another_charset_gets_a_400_with_a_message(client, settings, debug):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(
        "/document/1/rights-inquiry/",
        "csrfmiddlewaretoken=" + "a" * 32 + "&name=José",
        content_type="application/x-www-form-urlencoded; charset=iso-8859-1",
    )
    assert response.status_code == 400
    assert b"UTF-8" in response.content


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_url_missing_its_slash_is_not_found_for_methods_a_redirect_cannot_carry(
    client, settings, make_record, debug, method
):
    record = make_record()
    settings.DEBUG = debug
    response = getattr(client, method)(f"/document/{record.record_id}")
    assert response.status_code == 404


def test_a_url_missing_its_slash_is_still_redirected_for_get(client, make_record):
    record = make_record()
    response = client.get(f"/document/{record.record_id}?x=1")
    assert response.status_code == 301
    assert response["Location"] == f"/document/{record.record_id}/?x=1"
