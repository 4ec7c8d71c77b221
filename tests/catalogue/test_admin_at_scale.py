"""The staff admin at a million records: estimated counts, indexed search, fixed change page."""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from accessions.catalogue.counting import EstimatedCountPaginator
from accessions.catalogue.intake import create_accession, create_record
from accessions.catalogue.staff_search import search_records
from accessions.catalogue.workflow import transition_record
from accessions.models import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordText,
    Repository,
    Subject,
)
from accessions.scans.ingest import ingest_scans
from tests.scan_files import multipage_tiff_bytes, upload

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accessions_record_changelist"
POSTGRESQL = connection.vendor == "postgresql"

# Queries of a record list page, for a cataloguer: session, user, the user's two permission
# lists, the five filter lists (collections, languages, classifications, types, rights), the
# count (PostgreSQL: the planner's estimate, then a count that stops past the limit) and the
# page's records with their accessions.
LIST_QUERIES = 12 if POSTGRESQL else 11
# The record's change page, however many relations it has: session, user, permissions (2),
# the record with its foreign keys, one query per many-to-many field (7), its texts, its
# history, its scans and their first pages (when it has scans).
CHANGE_PAGE_QUERIES = 16


@pytest.fixture(autouse=True)
def ocr_off(settings):
    """OCR costs a second a page; it is not what these tests are about."""
    settings.TESSERACT_COMMAND = ""


def listed(client, **params) -> list[str]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return [record.title for record in response.context["cl"].result_list]


def test_admin_search_finds_drafts_and_published_records_alike(client, editor, make_record):
    make_record(status="draft", title="Draft telegram from Hanoi")
    make_record(status="in_review", title="Telegram under review")
    make_record(status="published", title="Published telegram to Moscow")
    make_record(status="withdrawn", title="Withdrawn telegram")
    make_record(status="published", title="Memorandum of conversation", summary="A talk.")
    client.force_login(editor)
    assert sorted(listed(client, q="telegram")) == [
        "Draft telegram from Hanoi",
        "Published telegram to Moscow",
        "Telegram under review",
        "Withdrawn telegram",
    ]


def test_admin_search_finds_words_of_the_summary(client, editor, make_record):
    make_record(status="draft", title="Letter", summary="About the Berlin crisis.")
    make_record(status="draft", title="Note", summary="About Cuba.")
    client.force_login(editor)
    assert listed(client, q="berlin") == ["Letter"]


def test_every_term_of_the_admin_search_must_match(client, editor, make_record):
    make_record(status="draft", title="Telegram about Berlin", summary="")
    make_record(status="draft", title="Telegram about Cuba", summary="")
    client.force_login(editor)
    assert listed(client, q="telegram berlin") == ["Telegram about Berlin"]
    assert listed(client, q='"about Cuba"') == ["Telegram about Cuba"]


def test_a_number_finds_the_record_with_that_id(client, editor, make_record):
    wanted = make_record(status="draft", title="Wanted", record_id=4242)
    make_record(status="draft", title="Other", record_id=4243)
    make_record(status="draft", title="Neighbour", record_id=42420)
    client.force_login(editor)
    assert listed(client, q=str(wanted.record_id)) == ["Wanted"]


def test_an_accession_number_finds_its_records(client, editor, make_record):
    accession = create_accession(title="Box", date_received=date(2026, 1, 5))
    make_record(status="draft", title="From the box", accession=accession)
    make_record(status="draft", title="From elsewhere")
    client.force_login(editor)
    assert listed(client, q=accession.number) == ["From the box"]


def test_admin_search_follows_edits_without_reindexing(client, editor, make_record):
    record = make_record(status="draft", title="Before the edit")
    client.force_login(editor)
    Record.objects.filter(pk=record.pk).update(title="Cipher telegram")
    assert listed(client, q="cipher") == ["Cipher telegram"]
    assert listed(client, q="before") == []


def test_punctuation_alone_searches_for_nothing_in_particular(client, editor, make_record):
    make_record(status="draft", title="Anything")
    client.force_login(editor)
    assert listed(client, q="-") == ["Anything"]


def test_postgresql_admin_search_matches_word_beginnings_and_folds_accents(
    client, editor, make_record
):
    if not POSTGRESQL:
        pytest.skip("SQLite matches the term anywhere in the text, accents as typed")
    make_record(status="draft", title="Telegrams from Bogotá")
    client.force_login(editor)
    assert listed(client, q="telegr") == ["Telegrams from Bogotá"]
    assert listed(client, q="bogota") == ["Telegrams from Bogotá"]
    assert listed(client, q="Télégrams") == ["Telegrams from Bogotá"]


def test_postgresql_admin_search_reads_the_index(make_record):
    if not POSTGRESQL:
        pytest.skip("the index is PostgreSQL's")
    # Unordered: the ordered list walks the record ID index and tests rows as it goes, which
    # is the quickest way to the first page when many records match.
    queryset = search_records(Record.objects.order_by(), f"telegram {make_record().record_id}")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows is read fastest by a sequential scan; a million are not.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "record_admin_search" in plan


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


def test_the_admin_search_queries_are_pinned(
    client, cataloguer, make_record, django_assert_num_queries
):
    record = make_record(status="draft", title="Draft telegram")
    client.force_login(cataloguer)
    with django_assert_num_queries(LIST_QUERIES):
        assert listed(client, q="telegram") == ["Draft telegram"]
    # A term with digits may be part of an accession number: those are looked up first.
    with django_assert_num_queries(LIST_QUERIES + 1):
        assert listed(client, q=str(record.record_id)) == ["Draft telegram"]


def record_with(make_record, editor, how_many: int):
    """A record with `how_many` of everything its change page shows (texts: one more)."""
    languages = list(Language.objects.order_by("code")[:how_many])
    agents = [Agent.objects.create(name=f"Agent {number}") for number in range(2 * how_many)]
    record = make_record(
        status="draft",
        title="Rich telegram",
        accession=create_accession(title="Box", date_received=date(2026, 1, 5)),
        original_archive=Repository.objects.create(name="Archive"),
        original_classification=Classification.objects.create(name="Secret"),
        document_type=DocumentType.objects.create(name="Telegram"),
        languages=languages,
        authors=agents[:how_many],
        people_and_organizations=agents[how_many:],
        places=[Place.objects.create(name=f"Place {n}") for n in range(how_many)],
        subjects=[Subject.objects.create(name=f"Subject {n}") for n in range(how_many)],
        collections=[Collection.objects.create(name=f"Collection {n}") for n in range(how_many)],
        donors=[Donor.objects.create(name=f"Donor {n}") for n in range(how_many)],
    )
    for position, language in enumerate(languages, start=1):
        RecordText.objects.create(
            record=record, kind="transcript", language=language, body="Text.", position=position
        )
    for _ in range(how_many):
        transition_record(record=record, action="submit", user=editor)
        transition_record(record=record, action="return_to_draft", user=editor)
    ingest_scans(
        record=record,
        uploads=[
            (upload(multipage_tiff_bytes(pages=n + 2), f"{n}.tif"), f"{n}.tif")
            for n in range(how_many)
        ],
    )
    return record


@pytest.mark.parametrize("how_many", [1, 4])
def test_the_change_page_queries_stay_the_same_however_many_relations(
    client, editor, make_record, django_assert_num_queries, how_many
):
    record = record_with(make_record, editor, how_many)
    url = reverse("admin:accessions_record_change", args=[record.pk])
    client.force_login(editor)
    client.get(url)  # fills the content-type cache that the "view on site" link reads
    with django_assert_num_queries(CHANGE_PAGE_QUERIES):
        response = client.get(url)
    html = response.content.decode()
    for shown in [f"Subject {how_many - 1}", f"Agent {2 * how_many - 1}", "Secret", "Box"]:
        assert shown in html, shown
    assert html.count("Images being made") == how_many


def test_a_record_without_relations_needs_no_more_queries(
    client, editor, django_assert_num_queries
):
    bare = create_record(title="Bare", user=editor)
    url = reverse("admin:accessions_record_change", args=[bare.pk])
    client.force_login(editor)
    client.get(url)
    # Without scans there are no first pages to ask for.
    with django_assert_num_queries(CHANGE_PAGE_QUERIES - 1):
        assert client.get(url).status_code == 200


def test_the_change_page_still_says_what_publication_needs(
    client, editor, make_record, django_assert_num_queries
):
    bare = create_record(title="Bare", user=editor)
    client.force_login(editor)
    html = client.get(reverse("admin:accessions_record_change", args=[bare.pk])).content.decode()
    assert "a summary or a text" in html
    with_text = create_record(title="With a text", user=editor, date_text="1962")
    RecordText.objects.create(record=with_text, body="Body.")
    html = client.get(
        reverse("admin:accessions_record_change", args=[with_text.pk])
    ).content.decode()
    assert "a rights statement" in html
    assert "a summary or a text" not in html
