"""The Atom feed of newly published documents: parsed by a real feed reader, published only."""

from datetime import UTC, datetime

import feedparser
import pytest

from accessions.models import Agent, Collection, Record, Subject
from tests.atom_rules import atom_errors

pytestmark = pytest.mark.django_db

FEED = "/feeds/documents.atom"


def read_feed(client, query=""):
    response = client.get(FEED + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_feed_lists_published_documents_newest_first(client, make_record):
    first = make_record(
        title="First published",
        authors=[Agent.objects.create(name="Nehru, Jawaharlal")],
        subjects=[Subject.objects.create(name="India--Politics")],
    )
    second = make_record(title="Second published")
    Record.objects.filter(pk=first.pk).update(published_at=datetime(2024, 1, 1, tzinfo=UTC))
    parsed = read_feed(client)
    assert [entry.title for entry in parsed.entries] == ["Second published", "First published"]
    entry = parsed.entries[1]
    assert entry.link == f"http://testserver{first.get_absolute_url()}"
    assert entry.summary == "A summary of the telegram."
    assert entry.author == "Nehru, Jawaharlal"
    assert [author.name for author in entry.authors] == ["Nehru, Jawaharlal"]
    assert [tag.term for tag in entry.tags] == ["India--Politics"]
    assert entry.published_parsed[:3] == (2024, 1, 1)
    assert (
        parsed.feed.title
        == "Newly published documents | Declassified: International History Archive"
    )
    assert second.get_absolute_url() in parsed.entries[0].link


def test_feed_never_lists_unpublished_documents(client, make_record):
    collection = Collection.objects.create(name="Crisis")
    make_record(title="Visible", collections=[collection])
    for status in ("draft", "in_review", "withdrawn"):
        make_record(status=status, title=f"Hidden {status}", collections=[collection])
    for query in ("", "?collection=crisis"):
        response = client.get(FEED + query)
        assert b"Hidden" not in response.content
        assert [e.title for e in feedparser.parse(response.content).entries] == ["Visible"]


def test_feed_filtered_by_collection(client, make_record):
    crisis = Collection.objects.create(name="Crisis", description="Letters of October 1962")
    cyrillic = Collection.objects.create(name="Переписка")
    make_record(title="Inside", collections=[crisis, cyrillic])
    make_record(title="Outside")
    parsed = read_feed(client, "?collection=crisis")
    assert [entry.title for entry in parsed.entries] == ["Inside"]
    assert parsed.feed.title.startswith("Crisis: ")
    assert parsed.feed.subtitle == "Letters of October 1962"
    assert parsed.feed.link == "http://testserver/collections/crisis/"
    parsed = read_feed(client, f"?collection={cyrillic.slug}")
    assert [entry.title for entry in parsed.entries] == ["Inside"]


def test_unknown_or_unpublished_collection_is_not_found(client, make_record):
    hidden = Collection.objects.create(name="Drafts only")
    make_record(status="draft", collections=[hidden])
    assert client.get(FEED + "?collection=no-such").status_code == 404
    response = client.get(FEED + "?collection=drafts-only")
    assert response.status_code == 404
    assert b"Drafts only" not in response.content


def test_feed_query_count_does_not_grow_with_entries(
    client, make_record, django_assert_num_queries
):
    make_record()
    with django_assert_num_queries(3):
        client.get(FEED)
    for number in range(5):
        record = make_record(title=f"More {number}")
        record.authors.add(Agent.objects.create(name=f"Author {number}"))
    with django_assert_num_queries(3):
        response = client.get(FEED)
    assert len(feedparser.parse(response.content).entries) == 6


def test_control_characters_in_staff_text_do_not_break_the_feed(client, make_record):
    collection = Collection.objects.create(name="Cables\x0b", slug="cables")
    make_record(
        title="Title\x0b one",
        collections=[collection],
        summary="Line one\x0bline two\x1f",
        authors=[Agent.objects.create(name="Agent\x01")],
        subjects=[Subject.objects.create(name="Subject\x02")],
    )
    for query in ("", "?collection=cables"):
        parsed = read_feed(client, query)
        assert parsed.entries[0].title == "Title one"
        assert parsed.entries[0].summary == "Line oneline two"


def test_feed_checker_finds_what_rfc_4287_forbids():
    # Django's feed as it was: an entry without an author in a feed without one.
    invalid = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>http://x/</id>'
        b"<updated>2024-01-01T00:00:00Z</updated><entry><title>e</title>"
        b'<link href="http://x/1/" rel="alternate"/><id>http://x/1/</id>'
        b"<updated>2024-01-01</updated></entry></feed>"
    )
    assert atom_errors(invalid) == [
        "entry 1 atom:updated '2024-01-01' is not RFC 3339 (3.3)",
        "entry 1 has no atom:author and neither has the feed (4.1.1)",
    ]


def test_every_feed_is_valid_atom_with_authors_ids_and_dates(client, make_record):
    crisis = Collection.objects.create(name="Crisis")
    make_record(title="Anonymous report", collections=[crisis])
    make_record(
        title="Joint letter",
        authors=[
            Agent.objects.create(name="Kennedy, John F."),
            Agent.objects.create(name="Khrushchev, Nikita"),
        ],
    )
    Collection.objects.create(name="Empty")
    ids = set()
    for query in ("", "?collection=crisis"):
        response = client.get(FEED + query)
        assert atom_errors(response.content) == []
        parsed = read_feed(client, query)
        ids.add(parsed.feed.id)
        assert parsed.feed.author == "Declassified: International History Archive"
    # Each feed has its own id: its own URL.
    assert ids == {f"http://testserver{FEED}", f"http://testserver{FEED}?collection=crisis"}
    joint = next(e for e in read_feed(client).entries if e.title == "Joint letter")
    assert [author.name for author in joint.authors] == ["Kennedy, John F.", "Khrushchev, Nikita"]


def test_a_feed_without_entries_is_valid(client):
    assert atom_errors(client.get(FEED).content) == []
