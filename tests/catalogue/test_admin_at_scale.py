"""The staff admin at a million records: estimated counts."""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from accessions.catalogue.counting import EstimatedCountPaginator
from accessions.catalogue.intake import create_accession
from accessions.models import Record

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accessions_record_changelist"
POSTGRESQL = connection.vendor == "postgresql"

# Queries of a record list page, for a cataloguer: session, user, the user's two permission
# lists, the five filter lists (collections, languages, classifications, types, rights), the
# count (PostgreSQL: the planner's estimate, then a count that stops past the limit) and the
# page's records with their accessions.
LIST_QUERIES = 12 if POSTGRESQL else 11


def test_the_record_list_counts_exactly_below_the_limit(client, editor, make_record, settings):
    settings.ADMIN_EXACT_COUNT_LIMIT = 1000
    for number in range(3):
        make_record(status="draft", title=f"Record {number}")
    client.force_login(editor)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "3 records" in html
    assert "about" not in html


def test_the_record_list_shows_an_estimate_past_the_limit(client, editor, make_record, settings):
    settings.ADMIN_EXACT_COUNT_LIMIT = 2
    for number in range(4):
        make_record(status="draft", title=f"Telegram {number}")
    client.force_login(editor)
    response = client.get(reverse(CHANGELIST))
    html = response.content.decode()
    if POSTGRESQL:
        assert response.context["cl"].paginator.estimated
        assert "about " in html
        assert "4 records" not in html
    else:
        # SQLite, the small embedded database, always counts exactly.
        assert "4 records" in html
    # The page still lists what there is.
    assert len(response.context["cl"].result_list) == 4
    search = client.get(reverse(CHANGELIST), {"q": "telegram"}).content.decode()
    assert ("about " in search) == POSTGRESQL


def test_the_estimate_is_rounded_to_two_figures():
    paginator = EstimatedCountPaginator(Record.objects.order_by("pk"), 50)
    paginator.count = 920_108
    assert paginator.rounded_count == "920,000"
    paginator = EstimatedCountPaginator(Record.objects.order_by("pk"), 50)
    paginator.count = 87
    assert paginator.rounded_count == "87"


@pytest.mark.parametrize("records", [3, 12])
def test_the_record_list_queries_stay_the_same_however_many_records(
    client, cataloguer, make_record, django_assert_num_queries, records
):
    accession = create_accession(title="Box", date_received=date(2026, 1, 5))
    for number in range(records):
        make_record(status="draft", title=f"Record {number}", accession=accession)
    client.force_login(cataloguer)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse(CHANGELIST)).status_code == 200
