import logging
from datetime import date
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.html import escape

from accessions.demo.loader import load_demo
from accessions.models import Accession, Donor, Record, RecordEvent, Subject

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Record.objects.order_by("record_id").values_list("record_id", "status", "title")),
        Accession.objects.count(),
        Donor.objects.count(),
        Subject.objects.count(),
        RecordEvent.objects.count(),
        get_user_model().objects.count(),
    )


def test_demo_loader_is_idempotent():
    first = load_demo()
    before = _snapshot()
    second = load_demo()
    assert _snapshot() == before
    assert second.created_records == []
    assert sorted(second.existing_records) == sorted(first.created_records)


def test_demo_loads_the_seed_record_as_the_seed_page_shows_it(client):
    load_demo()
    record = Record.objects.get(record_id=117349)
    assert record.status == Record.Status.PUBLISHED
    assert record.date_display == "November 25, 1963"
    assert record.original_upload_date == date(2013, 7, 10)
    assert [language.code for language in record.languages.all()] == ["ru"]
    assert [donor.name for donor in record.donors.all()] == ["Leon Levy Foundation"]
    html = client.get("/document/117349/").content.decode()
    for expected in [
        "Top Secret Cipher Telegram from Anastas Mikoyan to CPSU Central Committee",
        "This document was made possible with support from",
        "CIPHER TELEGRAM REPRODUCTION PROHIBITED",
        "Mikoyan reports his recent conversations with US officials",
        "Yeltsin documents given to Bill Clinton on 20 June 1999",
        "The History and Public Policy Program welcomes reuse of Digital Archive materials",
        "please contact the History and Public Policy Program at",
        "2013-07-10",
        "Russian",
        "117349",
    ]:
        assert expected in html, expected


def test_demo_has_every_status_and_one_user_per_role():
    report = load_demo()
    statuses = set(Record.objects.values_list("status", flat=True))
    assert statuses == {"draft", "in_review", "published", "withdrawn"}
    assert Record.objects.published().count() >= 11
    assert Record.objects.published().values("collections").distinct().count() >= 3
    roles = {role for _, _, role in report.users}
    assert roles == {"Superuser", "Cataloguer", "Editor", "Rights manager"}
    User = get_user_model()
    assert User.objects.get(username="editor").has_perm("accessions.publish_record")
    assert not User.objects.get(username="cataloguer").has_perm("accessions.publish_record")


def test_demo_drafts_and_withdrawn_never_reach_public_pages(client):
    load_demo()
    hidden = list(Record.objects.exclude(status="published"))
    assert {record.status for record in hidden} >= {"draft", "withdrawn"}
    # Each hidden record is searched for by words of its own summary; the search box echoes
    # the query, so the check is for the hidden titles, which the query does not contain.
    searches = [f"/search/?{urlencode({'q': ' '.join(r.summary.split()[:6])})}" for r in hidden]
    for url in ["/", "/collections/", "/search/", *searches]:
        html = client.get(url).content.decode()
        for record in hidden:
            assert escape(record.title) not in html, (url, record.title)
    for record in hidden:
        assert client.get(record.get_absolute_url()).status_code in (404, 410)


def test_demo_content_reads_as_catalogue_text_without_test_markers():
    load_demo()
    for record in Record.objects.all():
        for text in (record.title, record.summary, record.staff_notes):
            assert "MARKER" not in text.upper(), (record.record_id, text)


def test_load_demo_prints_a_short_summary_not_every_task(caplog):
    out = StringIO()
    call_command("load_demo", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Demo records: ")
    assert any(line.startswith("Demo scans: ") and "pages" in line for line in lines)
    assert len(lines) <= 10
    # Every scan attached and every task run would otherwise log a line at INFO.
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []
