"""Cached public pages: served to anonymous visitors, dropped by every write the public sees."""

import io
import threading
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from accessions.catalogue import page_cache as cached_pages
from accessions.catalogue.workflow import transition_record
from accessions.models import Collection, Subject
from accessions.scans.ingest import ingest_scan
from accessions.scans.tasks import run_derivatives
from accessions.transfer.importer import import_records
from tests.scan_files import image_bytes, upload

pytestmark = pytest.mark.django_db

TITLE = "Telegram on the missile crisis"


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request):
    """The cache in local memory (one process) and in Redis (production)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


@pytest.fixture
def published(make_record):
    crisis = Collection.objects.create(name="Missile crisis")
    subject = Subject.objects.create(name="Nuclear weapons", slug="nuclear-weapons")
    return make_record(title=TITLE, collections=[crisis], subjects=[subject])


def public_pages(record) -> dict[str, str]:
    """Every cached page type on which a published record shows, with what shows it there."""
    return {
        reverse("accessions:home"): TITLE,
        reverse("accessions:collection_list"): "Missile crisis",
        reverse("accessions:collection_detail", args=["missile-crisis"]): TITLE,
        reverse("accessions:search"): TITLE,
        reverse("accessions:search") + "?q=telegram": TITLE,
        reverse("accessions:search_facet", args=["subject"]): "Nuclear weapons",
        record.get_absolute_url(): TITLE,
    }


def test_anonymous_visitors_get_a_page_from_the_cache_without_a_query(
    client, published, page_cache, django_assert_num_queries
):
    first = client.get(reverse("accessions:home"))
    assert first["X-Archive-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(reverse("accessions:home"))
    assert second["X-Archive-Cache"] == "hit"
    assert second.content == first.content


def test_signed_in_staff_always_get_the_page_rendered_afresh(client, published, editor):
    client.force_login(editor)
    for _ in range(2):
        response = client.get(published.get_absolute_url())
        assert response.status_code == 200
        assert "X-Archive-Cache" not in response


def test_a_withdrawn_record_vanishes_from_every_cached_page_at_once(
    client, published, editor, page_cache
):
    pages = public_pages(published)
    for url, shown in pages.items():
        assert shown in client.get(url).content.decode(), url
        assert client.get(url)["X-Archive-Cache"] == "hit", url

    transition_record(record=published, action="withdraw", user=editor)

    for url, shown in pages.items():
        response = client.get(url)
        if url == published.get_absolute_url():
            assert response.status_code == 410
        else:
            assert shown not in response.content.decode(), url


def test_an_edit_through_the_import_shows_on_every_cached_page(
    client, published, editor, page_cache
):
    pages = [url for url, shown in public_pages(published).items() if shown == TITLE]
    for url in pages:
        client.get(url)
    import_records(
        stream=io.BytesIO(
            f"record_id,title\n{published.record_id},Telegram on the Cuban crisis\n".encode()
        ),
        user=editor,
    )
    for url in pages:
        assert "Telegram on the Cuban crisis" in client.get(url).content.decode(), url


def test_renaming_a_collection_in_the_admin_shows_on_the_cached_lists(client, published, editor):
    superuser = get_user_model().objects.create_superuser("boss", password="pw-for-tests-only")
    collection = Collection.objects.get()
    collections = reverse("accessions:collection_list")
    assert "Missile crisis" in client.get(collections).content.decode()
    staff = client.__class__()
    staff.force_login(superuser)
    response = staff.post(
        reverse("admin:accessions_collection_change", args=[collection.pk]),
        {"name": "The October crisis", "slug": "missile-crisis", "description": ""},
    )
    assert response.status_code == 302
    assert "The October crisis" in client.get(collections).content.decode()


def test_scan_images_replace_the_placeholders_on_a_cached_record_page(
    client, published, settings, django_capture_on_commit_callbacks
):
    settings.TESSERACT_COMMAND = ""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    scan = ingest_scan(record=published, upload=upload(image_bytes(), "p.jpg"), name="p.jpg")
    assert "is being prepared" in client.get(published.get_absolute_url()).content.decode()
    run_derivatives(scan_id=scan.pk)
    page = client.get(published.get_absolute_url()).content.decode()
    assert "is being prepared" not in page and 'data-zoom="' in page


@pytest.mark.django_db(transaction=True)
def test_a_page_rendered_before_the_withdrawal_commits_is_not_kept_after_it(
    live_server, published, editor
):
    """Another connection renders the home page while the withdrawal is not yet committed."""
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite the live server shares the test's connection.")
    home = live_server.url + reverse("accessions:home")

    def read_home() -> str:
        return urllib.request.urlopen(home, timeout=10).read().decode()

    with transaction.atomic():
        transition_record(record=published, action="withdraw", user=editor)
        # Rendered by the server's own connection, which still sees the record published.
        seen = {}
        reader = threading.Thread(target=lambda: seen.update(page=read_home()))
        reader.start()
        reader.join()
        assert TITLE in seen["page"]
    assert TITLE not in read_home()


def test_the_recorded_wal_position_only_moves_forward(page_cache):
    # Two commits may record their positions in either order: the later position stays.
    cache.delete(cached_pages.WAL_KEY)
    cached_pages._move_position_to(2_000)
    cached_pages._move_position_to(1_500)
    assert cache.get(cached_pages.WAL_KEY) == 2_000
    cached_pages._move_position_to(2_600)
    assert cache.get(cached_pages.WAL_KEY) == 2_600
