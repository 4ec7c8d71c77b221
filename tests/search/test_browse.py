"""Browsing: kept counts on the home and collection pages, collection pages paged by position."""

import base64

import pytest

from accessions.models import Collection
from accessions.search.browse import Position, collection_records, published_total

pytestmark = pytest.mark.django_db

DATES = ["1963-11-25", "undated", "1950", "1963-11-25", "1962-10", "undated", "1945-05-08"]


def _walk_forwards(collection, size):
    pages, page = [], collection_records(collection, size=size)
    pages.append([r.record_id for r in page.records])
    while page.next:
        page = collection_records(collection, after=page.next, size=size)
        pages.append([r.record_id for r in page.records])
    return pages, page


def test_collection_pages_hold_every_record_once_in_date_order_with_undated_last(make_record):
    collection = Collection.objects.create(name="Crisis")
    records = [
        make_record(date_text=d, title=f"Doc {n}", collections=[collection])
        for n, d in enumerate(DATES)
    ]
    make_record(status="draft", collections=[collection])
    expected = [
        r.record_id
        for r in sorted(records, key=lambda r: (r.date_start is None, r.date_start or 0, r.pk))
    ]
    pages, last = _walk_forwards(collection, size=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == expected
    # And back again from the last page, by the positions the pages give.
    backwards, page = [pages[-1]], last
    while page.previous:
        page = collection_records(collection, before=page.previous, size=3)
        backwards.insert(0, [r.record_id for r in page.records])
    assert backwards == pages


def test_collection_page_lists_and_counts_its_sub_collections_records(client, make_record):
    parent = Collection.objects.create(name="Cold War")
    child = Collection.objects.create(name="Berlin", parent=parent)
    make_record(title="In the parent", collections=[parent])
    make_record(title="In the child", collections=[child])
    make_record(status="draft", title="Draft in the child", collections=[child])
    html = client.get(parent.get_absolute_url()).content.decode()
    assert "In the parent" in html and "In the child" in html
    assert "Draft in the child" not in html
    assert "2 documents" in html
    assert "1 document," in client.get(child.get_absolute_url()).content.decode()


def test_home_and_collection_list_read_kept_counts(client, make_record):
    collection = Collection.objects.create(name="Crisis")
    make_record(collections=[collection])
    make_record(status="draft", collections=[collection])
    assert published_total() == 1
    assert "Search and read 1 published document:" in client.get("/").content.decode()
    assert "1 document" in client.get("/collections/").content.decode()


def test_deep_collection_page_runs_the_same_queries_as_the_first(
    client, make_record, django_assert_num_queries
):
    collection = Collection.objects.create(name="Crisis")
    for number in range(60):
        make_record(title=f"Doc {number}", date_text=f"{1900 + number}", collections=[collection])
    first = collection_records(collection)
    second = collection_records(collection, after=first.next)
    assert len(first.records) == 25 and second.next
    # The collection with its kept count, its sub-collections, a page of index keys, records.
    with django_assert_num_queries(4):
        client.get(collection.get_absolute_url())
    with django_assert_num_queries(4):
        response = client.get(f"{collection.get_absolute_url()}?after={first.next.token()}")
    assert "Doc 49" in response.content.decode()
    # The page that reaches past the dated records looks for undated ones too.
    with django_assert_num_queries(5):
        response = client.get(f"{collection.get_absolute_url()}?after={second.next.token()}")
    html = response.content.decode()
    assert "Doc 59" in html and "Doc 49" not in html
    assert 'rel="prev"' in html and 'rel="next"' not in html


@pytest.mark.parametrize(
    "query",
    ["after=%%%", "before=bm90LWEtZGF0ZX4x", "after=MjAwMC0wMS0wMX4x&before=MjAwMC0wMS0wMX4x"],
)
def test_mangled_page_link_is_a_400_showing_the_first_page(client, make_record, query):
    collection = Collection.objects.create(name="Crisis")
    make_record(title="The only document", collections=[collection])
    response = client.get(f"{collection.get_absolute_url()}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "That page link is not valid" in html and "The only document" in html


def test_position_tokens_round_trip_and_refuse_garbage():
    import datetime

    for position in (Position(datetime.date(1963, 11, 25), 42), Position(None, 7)):
        assert Position.from_token(position.token()) == position
    for garbage in ("", "!!!", "eA", "MjAwMC0xMy0wMX4x", "fng"):
        assert Position.from_token(garbage) is None
    # Numbers that int() reads but no primary key is: other scripts' digits, signs, overflow.
    for pk in ("٣", " 7", "-7", "1_000", "9" * 30):
        token = base64.urlsafe_b64encode(f"~{pk}".encode()).decode()
        assert Position.from_token(token) is None


def test_home_and_collection_list_run_a_fixed_number_of_queries(
    client, make_record, django_assert_num_queries
):
    collections = [Collection.objects.create(name=f"Collection {n}") for n in range(3)]
    make_record(collections=collections)
    # The recent records, the top-level collections with their kept counts, the total.
    with django_assert_num_queries(3):
        client.get("/")
    # The collections with their kept counts and parents, in one query.
    with django_assert_num_queries(1):
        client.get("/collections/")
    for number in range(10):
        make_record(
            title=f"More {number}",
            collections=[Collection.objects.create(name=f"More {number}"), *collections],
        )
    with django_assert_num_queries(3):
        client.get("/")
    with django_assert_num_queries(1):
        response = client.get("/collections/")
    assert response.content.decode().count("<h2>") == 13
