"""Reads from a real streaming replica: public reads there, writes and staff on the primary.

The replica (`.ci/replica`) replays the primary's test database. Pausing its replay makes
any write on the primary invisible there, so a page shows which database it read from.
"""

import subprocess
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import reverse

from accessions.catalogue import page_cache
from accessions.catalogue.models import SITEMAP_SECTION_SIZE, Subject
from archive import database_routing
from tests.engines import REPLICA, replica_caught_up, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    pytest.mark.usefixtures("replica_database"),
]


@pytest.fixture(autouse=True)
def replica_answers(monkeypatch):
    """Each test starts with the replica trusted and caught up."""
    monkeypatch.setattr(database_routing, "_replica_down_until", 0.0)
    wait_until(replica_caught_up, what="the replica to catch up")


@contextmanager
def replay_held():
    """The replica, caught up first, stops replaying the primary's writes until the block
    ends, then catches up."""
    wait_until(replica_caught_up, what="the replica to catch up")
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        wait_until(replica_caught_up, what="the replica to catch up")


@pytest.fixture
def replay_paused():
    """The replica stops replaying the primary's writes until the test ends."""
    with replay_held():
        yield


def api_record(client, record) -> int:
    return client.get(reverse("standards:api_record", args=[record.record_id])).status_code


def test_public_reads_come_from_the_replica_and_cached_pages_from_the_primary(
    client, make_record, replay_paused
):
    record = make_record(title="Published while the replica waits")
    # The API is not cached: it reads the replica, which has not replayed the publication.
    assert api_record(client, record) == 404
    # Cached pages are rendered from the primary, so none can keep what the replica lags on.
    assert record.title in client.get(reverse("accessions:home")).content.decode()
    assert client.get(record.get_absolute_url()).status_code == 200


def test_the_replica_serves_what_it_has_replayed(client, make_record):
    record = make_record()
    wait_until(replica_caught_up, what="the replica to catch up")
    assert api_record(client, record) == 200


def test_staff_read_their_own_writes_from_the_primary(client, make_record, editor, replay_paused):
    record = make_record(status="in_review", title="Published by the editor")
    client.force_login(editor)
    response = client.post(
        reverse("admin:accessions_record_transition", args=[record.pk, "publish"]), follow=True
    )
    assert response.status_code == 200
    assert "Workflow: Published" in response.content.decode()
    assert api_record(client, record) == 200
    # A visitor still reads the replica, where the record is not published yet.
    assert api_record(Client(), record) == 404


def test_a_visitor_who_just_wrote_reads_the_primary_for_a_while(client, make_record, settings):
    record = make_record()
    inquiry = reverse("accessions:rights_inquiry", args=[record.record_id])
    # Any write, even a refused one, pins the writer's next reads to the primary.
    client.post(inquiry, {"name": ""})
    assert client.cookies[database_routing.PIN_COOKIE]["max-age"] == (
        settings.DATABASE_REPLICA_PIN_SECONDS
    )
    with replay_held():
        later = make_record(title="Published after the visitor wrote")
        assert api_record(client, later) == 200
        assert api_record(Client(), later) == 404


def replica_cluster() -> tuple[str, str]:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int / 10000")
        version = str(cursor.fetchone()[0])
    return version, "replica"


def test_pages_answer_from_the_primary_while_the_replica_is_stopped(client, make_record):
    """Fault: the replica's server stops; visitors read the primary, readiness says degraded."""
    record = make_record()
    version, cluster = replica_cluster()
    connections[REPLICA].close()
    subprocess.run(["pg_ctlcluster", version, cluster, "stop", "-m", "fast"], check=True)
    try:
        assert api_record(client, record) == 200
        assert client.get(reverse("accessions:search") + "?q=telegram").status_code == 200
        ready = client.get(reverse("readyz"))
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["replica"].startswith("unavailable")
    finally:
        subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True)
    database_routing._replica_down_until = 0.0
    wait_until(replica_caught_up, timeout=60, what="the replica to come back")
    assert api_record(client, record) == 200


def search_page(client, words: str):
    return client.get(reverse("accessions:search") + "?q=" + words)


def test_a_search_counts_on_the_replica_the_records_it_lists(client, make_record, replay_paused):
    make_record(title="Zebrafinch survey")
    # The replica has not replayed the publication: the API's search lists nothing, and
    # its count (raw SQL beside the ORM's reads) comes from the same database.
    found = client.get("/api/records/?q=zebrafinch").json()
    assert (found["count"], found["results"]) == (0, [])


def test_a_kept_page_renders_from_the_replica_once_it_has_replayed_the_last_write(
    client, make_record
):
    record = make_record(title="Lighthouse keeper log")
    with replay_held():
        # A change on the primary that drops no cached page, to tell the databases apart:
        # the replica, which has replayed the last public write, still lists the record.
        with connections["default"].cursor() as cursor:
            cursor.execute("DELETE FROM accessions_searchentry WHERE record_id = %s", [record.pk])
        page = search_page(client, "lighthouse")
        assert page["X-Archive-Cache"] == "miss"
        assert record.title in page.content.decode()
        # A public write the replica has not replayed: kept pages come from the primary.
        later = make_record(title="Lighthouse lamp inventory")
        page = search_page(client, "lighthouse")
        html = page.content.decode()
        assert later.title in html and record.title not in html


def test_without_a_recorded_position_kept_pages_render_from_the_primary(client, make_record):
    record = make_record(title="Semaphore codebook")
    cache.delete(page_cache.WAL_KEY)
    with replay_held():
        with connections["default"].cursor() as cursor:
            cursor.execute("DELETE FROM accessions_searchentry WHERE record_id = %s", [record.pk])
        # Not knowing how far the replica must have replayed, the primary renders the page.
        assert record.title not in search_page(client, "semaphore").content.decode()


def test_a_record_and_its_lists_are_read_from_the_same_database(client, make_record):
    record = make_record(title="Survey of the coast")
    with replay_held():
        # On the primary only: the replica, which answers the API, has not replayed it.
        record.subjects.add(Subject.objects.create(name="Cartography"))
        response = client.get(reverse("standards:api_record", args=[record.record_id]))
        assert response.status_code == 200
        assert "Cartography" not in response.content.decode()


def test_the_sitemap_lists_the_sections_the_replica_has(client, make_record, replay_paused):
    make_record(record_id=3 * SITEMAP_SECTION_SIZE + 7)
    # The index and the sections both read the replica, which has not replayed the record:
    # the index names no section whose page would say there is nothing in it.
    index = client.get(reverse("standards:sitemap")).content.decode()
    assert reverse("standards:sitemap_records", args=[3]) not in index
    assert client.get(reverse("standards:sitemap_records", args=[3])).status_code == 404
