"""A real OAI-PMH client (Sickle) harvests the repository over HTTP across resumption tokens."""

from collections import Counter

import pytest
from sickle import Sickle
from sickle.oaiexceptions import IdDoesNotExist, NoRecordsMatch

from accessions.models import Collection


@pytest.fixture
def harvester(live_server):
    return Sickle(f"{live_server.url}/oai/", max_retries=0, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_every_published_record_exactly_once(harvester, make_record, settings):
    settings.OAI_PAGE_SIZE = 3
    crisis = Collection.objects.create(name="Crisis")
    published = [
        make_record(title=f"Telegram {number}", collections=[crisis] if number % 2 else [])
        for number in range(10)
    ]
    withdrawn = [make_record(status="withdrawn", title=f"Withdrawn {n}") for n in range(2)]
    unpublished = [make_record(status=s, title=f"Hidden {s}") for s in ("draft", "in_review")]

    identify = harvester.Identify()
    assert identify.repositoryName
    assert identify.deletedRecord == "transient"

    pages = harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    # The first answer holds one page of three and a token for the rest; the list's size is
    # left out (optional in the protocol), as counting it would read every record.
    assert pages.resumption_token.token
    assert pages.resumption_token.complete_list_size is None
    assert pages.resumption_token.cursor == "0"
    harvested = list(pages)
    counts = Counter(record.header.identifier for record in harvested)
    expected_live = {f"oai:archive.example.org:{r.record_id}" for r in published}
    expected_deleted = {f"oai:archive.example.org:{r.record_id}" for r in withdrawn}
    assert set(counts) == expected_live | expected_deleted
    assert all(count == 1 for count in counts.values())
    assert {r.header.identifier for r in harvested if r.header.deleted} == expected_deleted
    titles = {r.metadata["title"][0] for r in harvested if not r.header.deleted}
    assert titles == {record.title for record in published}
    for hidden in unpublished:
        assert hidden.title not in titles

    in_set = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="crisis"))
    assert sorted(header.identifier for header in in_set) == sorted(
        f"oai:archive.example.org:{r.record_id}" for r in published[1::2]
    )
    assert [s.setSpec for s in harvester.ListSets()] == ["crisis"]
    assert [f.metadataPrefix for f in harvester.ListMetadataFormats()] == ["oai_dc"]

    single = harvester.GetRecord(
        identifier=f"oai:archive.example.org:{published[0].record_id}", metadataPrefix="oai_dc"
    )
    assert single.metadata["title"] == ["Telegram 0"]
    with pytest.raises(IdDoesNotExist):
        harvester.GetRecord(
            identifier=f"oai:archive.example.org:{unpublished[0].record_id}",
            metadataPrefix="oai_dc",
        )
    with pytest.raises(NoRecordsMatch):
        list(harvester.ListRecords(metadataPrefix="oai_dc", until="1900-01-01"))


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_over_post_too(live_server, make_record, settings):
    settings.OAI_PAGE_SIZE = 2
    records = [make_record(title=f"Letter {number}") for number in range(5)]
    harvester = Sickle(f"{live_server.url}/oai/", http_method="POST", max_retries=0, timeout=30)
    headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc"))
    assert sorted(h.identifier for h in headers) == sorted(
        f"oai:archive.example.org:{r.record_id}" for r in records
    )
