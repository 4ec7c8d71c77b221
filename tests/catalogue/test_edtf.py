"""EDTF dates on records: what save keeps, the admin form, the record page, migration 0022."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from accessions.models import Record

pytestmark = pytest.mark.django_db

EMPTY_INLINES = {
    f"{prefix}-{field}": "0"
    for prefix in ("texts", "events", "scans")
    for field in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def test_saving_a_record_keeps_the_edtf_form_beside_display_and_range(make_record):
    record = make_record(date_text="c. 1962")
    assert (record.date_display, record.date_edtf, record.date_approximate) == (
        "c. 1962",
        "1962~",
        True,
    )
    record.date_text = "196X"
    record.save()
    record.refresh_from_db()
    assert (record.date_display, record.date_edtf) == ("1960s", "196X")
    assert (str(record.date_start), str(record.date_end)) == ("1960-01-01", "1969-12-31")
    record.date_text = ""
    record.save()
    assert (record.date_edtf, record.date_display, record.date_start) == ("", "", None)


def test_cataloguer_may_type_edtf_in_the_admin(client, cataloguer, rights_statement):
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_record_add"),
        {"title": "Uncertain cable", "date_text": "1962?", "rights": rights_statement.pk}
        | EMPTY_INLINES,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Record.objects.get(title="Uncertain cable")
    assert (record.date_display, record.date_edtf) == ("1962?", "1962?")
    page = client.get(reverse("admin:accessions_record_change", args=[record.pk]))
    assert "1962?" in page.content.decode() and "Date (EDTF)" in page.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1960/..", "a range needs both its ends"),
        ("[1962, 1963]", "EDTF sets and lists"),
        ("<script>alert(1)</script>", "not a date this archive understands"),
    ],
)
def test_invalid_edtf_in_the_admin_is_refused_and_nothing_saved(client, cataloguer, typed, message):
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_record_add"),
        {"title": "Bad EDTF", "date_text": typed} | EMPTY_INLINES,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "<script>alert(1)</script>" not in html
    assert not Record.objects.filter(title="Bad EDTF").exists()


def test_record_page_says_when_a_date_is_approximate_or_uncertain(client, make_record):
    both = make_record(title="Both", date_text="1962%")
    html = client.get(both.get_absolute_url()).content.decode()
    assert "c. 1962?" in html and "(approximate and uncertain date)" in html
    assert '<code class="date-edtf">1962%</code>' in html
    exact = make_record(title="Exact", date_text="1963-11-25")
    html = client.get(exact.get_absolute_url()).content.decode()
    assert "date-qualifier" not in html
    assert '<code class="date-edtf">1963-11-25</code>' in html


def test_a_draft_with_an_edtf_date_stays_hidden(client, make_record):
    draft = make_record(status="draft", title="Secret draft", date_text="1962~")
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_migration_fills_the_edtf_form_from_the_date_text(make_record):
    forms = {"c. 1962": "1962~", "1960s": "196X", "undated": "XXXX", "November 1967": "1967-11"}
    records = [make_record(title=f"Dated {typed}", date_text=typed) for typed in forms]
    undated_yet = make_record(status="draft", title="Not yet dated", date_text="")
    Record.objects.update(date_edtf="")
    migration = importlib.import_module("accessions.migrations.0022_record_date_edtf")
    # The migration writes through the schema editor's connection; that is all it reads of it.
    migration.fill_edtf(apps, SimpleNamespace(connection=connection))
    for record, edtf in zip(records, forms.values(), strict=True):
        record.refresh_from_db()
        assert record.date_edtf == edtf
    undated_yet.refresh_from_db()
    assert undated_yet.date_edtf == ""
