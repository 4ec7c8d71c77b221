"""The read API: same results as the search page, published records only, documented."""

import re
from datetime import date, timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from accessions.models import Agent, Collection, Language, Subject
from accessions.search.filters import search_parameters
from tests.conftest import RECORD_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def conforms(client):
    """Check an API answer against a schema of the served OpenAPI description."""
    spec = client.get("/api/openapi.json").json()
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(spec, default_specification=DRAFT202012)
    )

    def check(data, schema_name):
        schema = {"$ref": f"urn:api#/components/schemas/{schema_name}"}
        Draft202012Validator(schema, registry=registry).validate(data)
        return data

    return check


def test_openapi_description_is_valid_and_lists_every_search_filter(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate_openapi(spec)
    parameters = {p["name"] for p in spec["paths"]["/api/records/"]["get"]["parameters"]}
    assert parameters == set(search_parameters()) | {"page"}
    assert spec["servers"] == [{"url": "http://testserver"}]


def test_documentation_page_names_the_endpoints(client):
    response = client.get("/api/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "/api/records/",
        "/api/collections/",
        'href="/api/openapi.json"',
        "<code>q</code>",
    ):
        assert text in html


def search_page_ids(client, query: str) -> list[int]:
    html = client.get(f"/search/?{query}").content.decode()
    ids = [int(value) for value in re.findall(r'href="/document/(\d+)/"', html)]
    return list(dict.fromkeys(ids))


@pytest.fixture
def catalogue(make_record):
    crisis = Collection.objects.create(name="Crisis")
    subject = Subject.objects.create(name="Missiles")
    russian = Language.objects.get(code="ru")
    start = date(1962, 1, 1)
    for number in range(45):
        fields = {"date_text": (start + timedelta(days=(number * 7) % 60)).isoformat()}
        if number % 2:
            fields["collections"] = [crisis]
        if number % 3 == 0:
            fields["subjects"] = [subject]
            fields["languages"] = [russian]
        title = "Telegram on missiles" if number % 4 == 0 else f"Letter {number}"
        make_record(title=title, **fields)
    for status in ("draft", "in_review", "withdrawn"):
        make_record(status=status, title=f"Hidden {status} telegram", collections=[crisis])
    return crisis


SEARCHES = [
    "",
    "q=telegram",
    "collection=crisis",
    "subject=missiles&language=ru",
    "q=letter&collection=crisis",
]


def test_api_pages_hold_exactly_what_the_search_pages_show(client, catalogue, conforms):
    for query in SEARCHES:
        first = conforms(client.get(f"/api/records/?{query}").json(), "RecordPage")
        assert first["page_size"] == 20
        seen = []
        for number in range(1, first["pages"] + 1):
            answer = client.get(f"/api/records/?{query}&page={number}").json()
            api_ids = [record["record_id"] for record in answer["results"]]
            assert api_ids == search_page_ids(client, f"{query}&page={number}"), query
            assert not any("Hidden" in record["title"] for record in answer["results"])
            seen += api_ids
        assert first["count"] == len(seen) == len(set(seen)), query
    assert client.get("/api/records/").json()["pages"] == 3


def test_next_and_previous_links_keep_the_filters(client, catalogue):
    answer = client.get("/api/records/?collection=crisis").json()
    assert answer["count"] == 22 and answer["pages"] == 2
    assert answer["previous"] is None
    assert answer["next"] == "http://testserver/api/records/?collection=crisis&page=2"
    second = client.get(answer["next"]).json()
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/records/?collection=crisis&page=1"


@pytest.mark.parametrize(
    ("page", "status"),
    [
        ("0", 400),
        ("-1", 400),
        ("two", 400),
        ("1.5", 400),
        ("²", 400),
        ("①", 400),
        ("9" * 30, 400),
        ("99", 404),
    ],
)
def test_bad_page_numbers_get_a_clear_json_error(client, make_record, page, status):
    make_record()
    response = client.get(f"/api/records/?page={page}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert page in response.json()["detail"]


def test_record_detail_gives_the_record_page_fields(client, make_record, funder, conforms):
    record = make_record(
        title="Letter from Khrushchev",
        authors=[Agent.objects.create(name="Khrushchev, Nikita")],
        donors=[funder],
        languages=[Language.objects.get(code="ru")],
    )
    response = client.get(f"/api/records/{record.record_id}/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = conforms(response.json(), "Record")
    assert data["title"] == "Letter from Khrushchev"
    assert data["date"] == "November 25, 1963"
    assert data["authors"] == [{"name": "Khrushchev, Nikita", "slug": "khrushchev-nikita"}]
    assert data["funders"] == ["Example Foundation"]
    assert data["texts"][0]["body"] == "First paragraph.\n\nSecond paragraph."
    assert data["rights"]["uri"] == "http://rightsstatements.org/vocab/InC-EDU/1.0/"
    assert data["url"] == f"http://testserver/document/{record.record_id}/"
    assert data["citations"]["bib"].endswith(f"/document/{record.record_id}/cite.bib")
    body = response.content.decode()
    for secret in (funder.email, funder.phone, funder.address):
        assert secret not in body


@pytest.mark.parametrize(
    ("status", "code"), [("draft", 404), ("in_review", 404), ("withdrawn", 410)]
)
def test_unpublished_record_is_absent_from_the_api(client, make_record, status, code):
    record = make_record(status=status, title="Secret title", summary="Secret summary")
    response = client.get(f"/api/records/{record.record_id}/")
    assert response.status_code == code
    assert b"Secret" not in response.content
    assert client.get("/api/records/").json()["count"] == 0
    assert b"Secret" not in client.get("/api/records/?q=secret").content


@pytest.mark.parametrize("record_id", ["424242", "9" * 25])
def test_unknown_record_is_a_json_404(client, record_id):
    response = client.get(f"/api/records/{record_id}/")
    assert response.status_code == 404
    assert record_id in response.json()["detail"]


def test_collections_list_only_collections_with_published_records(client, make_record, conforms):
    public = Collection.objects.create(name="Crisis", description="October 1962")
    child = Collection.objects.create(name="Letters", parent=public)
    hidden = Collection.objects.create(name="Drafts only")
    make_record(collections=[child])
    make_record(status="draft", collections=[hidden])
    make_record(status="withdrawn", collections=[hidden])
    data = conforms(client.get("/api/collections/").json(), "CollectionList")
    # A collection counts the published records of its sub-collections too, as the search's
    # collection filter does.
    assert [(c["slug"], c["parent"], c["published_count"]) for c in data["results"]] == [
        ("crisis", None, 1),
        ("letters", "crisis", 1),
    ]
    detail = conforms(client.get("/api/collections/letters/").json(), "Collection")
    assert detail["records_url"] == "http://testserver/api/records/?collection=letters"
    response = client.get("/api/collections/drafts-only/")
    assert response.status_code == 404
    assert "Drafts only" not in response.content.decode()


def test_record_list_query_count_does_not_grow_with_results(
    client, make_record, django_assert_num_queries
):
    collection = Collection.objects.create(name="Crisis")
    make_record(collections=[collection])
    # The search page's own queries, then the three lists of the page's records.
    with django_assert_num_queries(7):
        client.get("/api/records/")
    for number in range(10):
        record = make_record(title=f"More {number}", collections=[collection])
        record.authors.add(Agent.objects.create(name=f"Author {number}"))
        record.languages.add(Language.objects.get(code="ru"))
    with django_assert_num_queries(7):
        response = client.get("/api/records/")
    assert response.json()["count"] == 11


def test_record_detail_and_collection_list_query_counts(
    client, make_record, django_assert_num_queries
):
    collections = [Collection.objects.create(name=f"Collection {n}") for n in range(5)]
    record = make_record(collections=collections)
    with django_assert_num_queries(RECORD_QUERIES):
        client.get(f"/api/records/{record.record_id}/")
    # The collections with their kept counts, in one query however many there are.
    with django_assert_num_queries(1):
        response = client.get("/api/collections/")
    assert len(response.json()["results"]) == 5


def test_api_is_read_only(client, make_record):
    record = make_record()
    for url in ("/api/records/", f"/api/records/{record.record_id}/", "/api/collections/"):
        assert client.post(url, {}).status_code == 405
        assert client.delete(url).status_code == 405
