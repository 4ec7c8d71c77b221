"""The search index follows every write in the same transaction, and can be rebuilt."""

import threading
import time
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DataError, connection, transaction
from django.http import QueryDict
from django.urls import reverse

from accessions.catalogue.intake import create_record
from accessions.models import Collection, Record, Subject
from accessions.search import indexing, rebuild_aside, rebuild_steps, rebuilding
from accessions.search.engine import run_search
from accessions.search.indexing import update_search_index
from accessions.search.models import Facet, SearchEntry, SearchFacet, facet_key

pytestmark = pytest.mark.django_db


def indexed_pks() -> set[int]:
    return set(SearchEntry.objects.values_list("pk", flat=True))


def fts_rowids() -> set[int]:
    """On SQLite, the FTS5 rows; on PostgreSQL the text lives in SearchEntry itself."""
    if connection.vendor != "sqlite":
        return indexed_pks()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {indexing.FTS_TABLE}")
        return {row[0] for row in cursor.fetchall()}


def found(client, query: str) -> list[int]:
    response = client.get(reverse("accessions:search"), {"q": query})
    return [hit.record.record_id for hit in response.context["result"].hits]


def change_form_data(response) -> dict:
    """The POST data the admin change form would send back unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for field in formset.management_form:
            data[field.html_name] = field.value()
        forms += list(formset.forms)
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[field.html_name] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[field.html_name] = value
    return data


def test_a_draft_never_gets_an_index_entry(make_record):
    draft = make_record(status="draft")
    in_review = make_record(status="in_review")
    assert not {draft.pk, in_review.pk} & indexed_pks()
    assert not {draft.pk, in_review.pk} & fts_rowids()


def test_publish_withdraw_and_return_to_draft_add_and_remove_the_entry(make_record):
    record = make_record(status="published")
    assert record.pk in indexed_pks() and record.pk in fts_rowids()
    from accessions.catalogue.workflow import transition_record

    transition_record(record=record, action="withdraw", user=record.created_by)
    assert record.pk not in indexed_pks() and record.pk not in fts_rowids()
    assert not SearchFacet.objects.filter(entry_id=record.pk).exists()


def test_index_write_rolls_back_with_the_transaction_that_made_it(make_record):
    record = make_record(status="published", title="Original heading")
    with pytest.raises(RuntimeError), transaction.atomic():
        Record.objects.filter(pk=record.pk).update(title="Changed heading")
        update_search_index(record_pks=[record.pk])
        raise RuntimeError("the import failed half-way")
    assert SearchEntry.objects.get(pk=record.pk).sort_title == "original heading"


def test_update_removes_records_that_are_no_longer_published_in_one_call(make_record):
    records = [make_record(status="published", title=f"Bulk {n}") for n in range(5)]
    Record.objects.filter(pk__in=[r.pk for r in records[:3]]).update(status="draft")
    update_search_index(record_pks=[r.pk for r in records] + [987654])  # and a missing pk
    assert indexed_pks() == {r.pk for r in records[3:]}
    assert fts_rowids() == {r.pk for r in records[3:]}


def test_update_handles_more_records_than_one_statement_takes(make_record, monkeypatch):
    monkeypatch.setattr(indexing, "CHUNK_SIZE", 2)
    records = [make_record(status="published", title=f"Chunked {n}") for n in range(5)]
    SearchEntry.objects.all().delete()
    update_search_index(record_pks=[r.pk for r in records])
    assert indexed_pks() == {r.pk for r in records}


def test_facet_rows_include_parent_collections_and_every_overlapped_decade(make_record):
    parent = Collection.objects.create(name="Parent")
    child = Collection.objects.create(name="Child", parent=parent)
    record = make_record(collections=[child], date_text="1958/1971")
    facets = set(SearchFacet.objects.filter(entry_id=record.pk).values_list("facet", "value"))
    assert {(Facet.COLLECTION, parent.pk), (Facet.COLLECTION, child.pk)} <= facets
    decades = {value for facet, value in facets if facet == Facet.DECADE}
    assert decades == {1950, 1960, 1970}


def test_editing_a_record_in_the_admin_updates_the_index(admin_client, client, make_record):
    record = make_record(title="Telegram about wheat")
    url = reverse("admin:accessions_record_change", args=[record.pk])
    data = change_form_data(admin_client.get(url))
    data["title"] = "Telegram about barley"
    subject = Subject.objects.create(name="Agriculture")
    data["subjects"] = [str(subject.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert found(client, "barley") == [record.record_id]
    assert found(client, "wheat") == []
    assert SearchFacet.objects.filter(
        entry_id=record.pk, facet=Facet.SUBJECT, value=subject.pk
    ).exists()


def test_deleting_a_record_in_the_admin_removes_it_from_search(admin_client, client, make_record):
    record = make_record(title="Telegram to delete")
    response = admin_client.post(
        reverse("admin:accessions_record_delete", args=[record.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert record.pk not in indexed_pks() and record.pk not in fts_rowids()
    assert found(client, "delete") == []


def test_bulk_delete_action_removes_every_selected_record_from_search(admin_client, make_record):
    records = [make_record(title=f"Doomed {n}") for n in range(3)]
    kept = make_record(title="Kept")
    response = admin_client.post(
        reverse("admin:accessions_record_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in records], "post": "yes"},
    )
    assert response.status_code == 302
    assert indexed_pks() == {kept.pk}
    assert fts_rowids() == {kept.pk}


def test_created_record_is_indexed_only_once_published(make_record, rights_statement):
    record = create_record(title="Fresh intake", date_text="1970", rights=rights_statement)
    assert record.pk not in indexed_pks()


def test_rebuild_command_restores_the_index_from_the_records(make_record):
    published = [make_record(title=f"Rebuilt {n}") for n in range(3)]
    draft = make_record(status="draft", title="Not for the index")
    SearchEntry.objects.filter(pk=published[0].pk).delete()
    SearchEntry.objects.create(record=draft, sort_title="stale")  # a stale leak to repair
    out = StringIO()
    call_command("rebuild_search_index", "--batch-size", "1", stdout=out)
    assert indexed_pks() == {r.pk for r in published}
    assert fts_rowids() == {r.pk for r in published}
    found = run_search(QueryDict("q=rebuilt&sort=relevance"))
    assert sorted(hit.record.pk for hit in found.hits) == sorted(r.pk for r in published)
    output = out.getvalue()
    assert "100 % done" in output
    assert "Search index rebuilt: 3 published records." in output


def live_totals() -> dict[tuple[int, int], int]:
    from django.db.models import Count

    rows = SearchFacet.objects.values("facet", "value").annotate(n=Count("*"))
    totals = {(row["facet"], row["value"]): row["n"] for row in rows}
    totals[(indexing.ENTRIES_TOTAL, 0)] = SearchEntry.objects.count()
    return {key: n for key, n in totals.items() if n}


def kept_totals() -> dict[tuple[int, int], int]:
    from accessions.search.models import SearchFacetTotal

    return {
        (row.facet, row.value): row.count for row in SearchFacetTotal.objects.filter(count__gt=0)
    }


def test_kept_facet_totals_match_a_fresh_count_after_every_kind_of_change(
    admin_client, make_record
):
    from accessions.catalogue.workflow import transition_record

    parent = Collection.objects.create(name="Totals parent")
    child = Collection.objects.create(name="Totals child", parent=parent)
    records = [make_record(collections=[child], date_text=f"19{50 + n}") for n in range(4)]
    assert kept_totals() == live_totals()
    transition_record(record=records[0], action="withdraw", user=records[0].created_by)
    assert kept_totals() == live_totals()
    admin_client.post(
        reverse("admin:accessions_record_delete", args=[records[1].pk]), {"post": "yes"}
    )
    assert kept_totals() == live_totals()
    update_search_index(record_pks=[r.pk for r in records])  # idempotent
    assert kept_totals() == live_totals()
    call_command("rebuild_search_index", stdout=StringIO())
    assert kept_totals() == live_totals()
    assert kept_totals()[(indexing.ENTRIES_TOTAL, 0)] == 2


# The sample-level keys (models.SAMPLE_LEVEL), as migration 0024 writes them: an entry whose
# pk is a multiple of a power of two s from 1 to 1024 carries 1,300,000,000 + s.
SAMPLE_LEVEL_KEYS = 1_300_000_000
SAMPLE_STRIDES = [2**power for power in range(11)]  # 1, 2, 4, ... 1024


def sample_level_keys(pk: int) -> list[int]:
    return [SAMPLE_LEVEL_KEYS + stride for stride in SAMPLE_STRIDES if pk % stride == 0]


def keys_from_facet_rows() -> dict[int, list[int]]:
    """Each entry's keys as its facet rows and its pk give them: what SearchEntry.keys must
    hold (the facet keys, then the sample levels of its pk)."""
    keys = {pk: sample_level_keys(pk) for pk in indexed_pks()}
    for entry_id, facet, value in SearchFacet.objects.values_list("entry_id", "facet", "value"):
        keys[entry_id].append(facet_key(facet, value))
    return {pk: sorted(values) for pk, values in keys.items()}


def stored_keys() -> dict[int, list[int]]:
    """Each entry's keys in the order stored: ascending, which facet counting relies on
    (facet_counting._keys_slices), so compared unsorted with keys_from_facet_rows."""
    return {pk: list(keys) for pk, keys in SearchEntry.objects.values_list("pk", "keys")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="entries keep keys on PostgreSQL")
def test_entry_keys_mirror_the_facet_rows_after_every_kind_of_change(admin_client, make_record):
    from accessions.catalogue.workflow import transition_record

    parent = Collection.objects.create(name="Keys parent")
    child = Collection.objects.create(name="Keys child", parent=parent)
    records = [make_record(collections=[child], date_text=f"19{50 + n}") for n in range(3)]
    assert stored_keys() == keys_from_facet_rows()
    assert facet_key(Facet.COLLECTION, parent.pk) in stored_keys()[records[0].pk]
    response = admin_client.get(reverse("admin:accessions_record_change", args=[records[1].pk]))
    data = change_form_data(response)
    subject = Subject.objects.create(name="Keys subject")
    data["subjects"] = [str(subject.pk)]
    admin_client.post(reverse("admin:accessions_record_change", args=[records[1].pk]), data)
    assert facet_key(Facet.SUBJECT, subject.pk) in stored_keys()[records[1].pk]
    transition_record(record=records[0], action="withdraw", user=records[0].created_by)
    assert stored_keys() == keys_from_facet_rows()
    call_command("rebuild_search_index", stdout=StringIO())
    assert stored_keys() == keys_from_facet_rows()
    assert set(stored_keys()) == {records[1].pk, records[2].pk}
    # Counting bisects the arrays from index 1 (facet_counting._keys_slices).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {SearchEntry._meta.db_table} WHERE array_lower(keys, 1) <> 1"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="entries keep keys on PostgreSQL")
def test_every_entry_carries_the_sample_levels_its_pk_is_a_multiple_of(make_record):
    records = [make_record(title=f"Sampled telegram {n}") for n in range(3)]
    # Records at pks that are multiples of 1024, 512 and 6 (= 2 · 3), written as the
    # importer writes them, then indexed like every write.
    placed = [1024 * 7, 512 * 9, 6 * 1001]
    made = [
        Record(pk=pk, record_id=pk, title=f"Sampled cable {pk}", status="published")
        for pk in placed
    ]
    Record.objects.bulk_create(made)
    update_search_index(record_pks=placed)
    every = {SAMPLE_LEVEL_KEYS + stride for stride in SAMPLE_STRIDES}
    stored = {pk: set(keys) for pk, keys in stored_keys().items()}
    assert stored[1024 * 7] & every == every  # all eleven levels
    assert stored[512 * 9] & every == every - {SAMPLE_LEVEL_KEYS + 1024}
    assert stored[6 * 1001] & every == {SAMPLE_LEVEL_KEYS + 1, SAMPLE_LEVEL_KEYS + 2}
    for record in records:
        assert SAMPLE_LEVEL_KEYS + 1 in stored[record.pk]
    # The stride-4 sample of every entry is exactly the entries whose pk is a multiple of 4.
    sampled = SearchEntry.objects.filter(keys__overlap=[SAMPLE_LEVEL_KEYS + 4])
    assert set(sampled.values_list("pk", flat=True)) == {pk for pk in stored if pk % 4 == 0}
    call_command("rebuild_search_index", stdout=StringIO())
    assert stored_keys() == keys_from_facet_rows()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="entries keep keys on PostgreSQL")
def test_migration_0024_takes_the_sample_levels_out_and_puts_back_what_the_writes_write(
    make_record,
):
    import importlib

    migration = importlib.import_module(
        "accessions.migrations.0024_search_title_words_and_sample_levels"
    )
    records = [make_record(title=f"Migrated telegram {n}") for n in range(4)]
    written = stored_keys()
    assert written == keys_from_facet_rows()

    def run(statements):
        with connection.cursor() as cursor:
            for statement in statements:
                if statement.startswith("UPDATE"):  # its data, not its indexes
                    cursor.execute(statement)

    run(migration.POSTGRESQL_BACKWARD)
    facet_keys_only = {
        pk: [key for key in keys if not SAMPLE_LEVEL_KEYS <= key < SAMPLE_LEVEL_KEYS + 10**8]
        for pk, keys in written.items()
    }
    assert stored_keys() == facet_keys_only
    SearchEntry.objects.update(title_document=None)
    run(migration.POSTGRESQL_FORWARD)
    assert stored_keys() == written
    assert {hit.record.pk for hit in run_search(QueryDict("q=migrated")).hits} == {
        record.pk for record in records
    }
    assert SearchEntry.objects.filter(title_document__isnull=True).count() == 0


def index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        return dict(
            rebuild_steps.secondary_indexes(
                cursor, [SearchEntry._meta.db_table, SearchFacet._meta.db_table]
            )
        )


def test_rebuild_drops_the_secondary_indexes_and_builds_the_same_ones_again(make_record):
    before = index_definitions()
    assert "search_entry_dates" in before
    if connection.vendor == "postgresql":
        # One GIN index holds the text and the facet keys.
        assert "gin (document, keys)" in before["search_entry_words_keys"]
        assert not {"search_entry_document", "search_entry_keys"} & set(before)
        # The title's own words have theirs, with the keys (migration 0027); the samples are
        # read through the keys, and the pk-slot index of the old samples is gone (0024).
        assert "gin (title_document, keys)" in before["search_entry_title_words_keys"]
        assert "search_entry_title_words" not in before
        assert "search_entry_sample_slot" not in before
    else:
        assert "search_facet_value" in before
    make_record(title="Indexed again")
    executed = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call_command("rebuild_search_index", stdout=StringIO())
    assert index_definitions() == before
    assert any(sql.startswith("DROP INDEX") for sql in executed)
    assert SearchEntry.objects.count() == 1
    # The facet rows' primary key is back (dropped during the rebuild on PostgreSQL).
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, SearchFacet._meta.db_table)
    keys = [sorted(c["columns"]) for c in constraints.values() if c["primary_key"]]
    assert keys == [["entry_id", "facet", "value"]]


def visibility(tables: list[str]) -> dict[str, tuple[int, int]]:
    """{table: (pages, pages marked all-visible)} as the last VACUUM left them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relpages, relallvisible FROM pg_class WHERE relname = ANY(%s)",
            [tables],
        )
        return {name: (pages, visible) for name, pages, visible in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_rebuild_command_vacuums_the_fresh_index_tables_on_postgresql(make_record, monkeypatch):
    make_record(title="Vacuumed")
    if connection.vendor != "postgresql":
        call_command("rebuild_search_index", stdout=StringIO())
        assert SearchEntry.objects.count() == 1
        return
    aside = [rebuild_aside.ASIDE_PREFIX + name for name in ("entry", "facet")]
    seen = {}
    swap = rebuild_aside._swap

    def swap_once_vacuumed(plan):
        # Before the swap, the new tables (under their names aside) are vacuumed already,
        # so no search reads them before their pages are marked all-visible.
        seen.update(visibility(aside))
        swap(plan)

    monkeypatch.setattr(rebuild_aside, "_swap", swap_once_vacuumed)
    call_command("rebuild_search_index", stdout=StringIO())
    assert SearchEntry.objects.count() == 1
    assert set(seen) == set(aside)
    assert all(pages > 0 and visible == pages for pages, visible in seen.values()), seen
    live = visibility([SearchEntry._meta.db_table, SearchFacet._meta.db_table])
    assert all(pages > 0 and visible == pages for pages, visible in live.values()), live


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_rebuild_vacuums_again_after_the_swap_what_its_first_vacuum_left_unmarked(
    make_record, monkeypatch
):
    # As when an edit that began before a batch was written waits for the swap: the vacuum
    # before it leaves the batch's pages unmarked (here it only analyses).
    make_record(title="Marked at last")
    monkeypatch.setattr(
        rebuild_aside,
        "_vacuum_statements",
        lambda t, aside: [[f"ANALYZE {aside['entry']}"], [f"ANALYZE {aside['facet']}"]],
    )
    rebuilding.rebuild_search_index()
    live = visibility([SearchEntry._meta.db_table, SearchFacet._meta.db_table])
    assert all(pages > 0 and visible == pages for pages, visible in live.values()), live


def test_rebuild_leaves_planner_statistics_for_the_records_and_the_index(make_record):
    make_record(title="Counted for the planner")
    call_command("rebuild_search_index", stdout=StringIO())
    tables = {Record._meta.db_table, SearchEntry._meta.db_table, SearchFacet._meta.db_table}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables "
                "WHERE last_analyze IS NOT NULL AND relname = ANY(%s)",
                [list(tables)],
            )
        else:
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        assert tables <= {row[0] for row in cursor.fetchall()}


def test_a_full_text_row_left_without_its_entry_is_neither_counted_nor_ranked(make_record):
    kept = make_record(title="Zeppelin over the harbour")
    orphan = make_record(title="Zeppelin over the hills")
    # A database flush empties the entries but not SQLite's FTS5 table: the search must go
    # by the entries, never by full-text rows alone.
    SearchEntry.objects.filter(pk=orphan.pk).delete()
    assert orphan.pk in fts_rowids() or connection.vendor != "sqlite"
    for sort in ("relevance", "date"):
        result = run_search(QueryDict(f"q=zeppelin&sort={sort}"))
        assert result.total == 1
        assert [hit.record.pk for hit in result.hits] == [kept.pk]


def index_snapshot() -> dict:
    """Everything the index holds, comparable between two builds."""
    entries = {}
    for entry in SearchEntry.objects.order_by("pk"):
        entries[entry.pk] = (
            entry.date_start,
            entry.date_end,
            entry.sort_title,
            entry.document,
            entry.title_document,
            entry.keys,
        )
    facets = set(SearchFacet.objects.values_list("entry_id", "facet", "value"))
    return {"entries": entries, "facets": facets, "totals": kept_totals()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_aside_writes_what_the_writes_themselves_wrote(make_record, monkeypatch):
    from accessions.catalogue.models import RecordText
    from accessions.models import (
        Agent,
        Classification,
        DocumentType,
        Donor,
        Language,
        Place,
        Repository,
    )

    collection = Collection.objects.create(name="Aside collection")
    europe = Place.objects.create(name="Aside Europe")
    berlin = Place.objects.create(name="Aside Berlin", parent=europe)
    author = Agent.objects.create(name="Aside Author", kind=Agent.Kind.PERSON)
    mentioned = Agent.objects.create(name="Aside Mentioned", kind=Agent.Kind.PERSON)
    every_kind = {
        "collections": [collection],
        "places": [berlin],
        # One person both wrote it and is in it: one facet row, not two.
        "authors": [author],
        "people_and_organizations": [author, mentioned],
        "subjects": [Subject.objects.create(name="Aside subject")],
        "donors": [Donor.objects.create(name="Aside donor", is_funder=True)],
        "languages": [Language.objects.get(code="en")],
        "document_type": DocumentType.objects.create(name="Aside memo"),
        "original_classification": Classification.objects.create(name="Aside secret"),
        "original_archive": Repository.objects.create(name="Aside archive"),
    }
    records = [
        make_record(title=f"Aside telegram {n}", date_text=f"19{60 + n}", **every_kind)
        for n in range(7)
    ]
    # Two translations into the same language: one facet row.
    for _ in range(2):
        RecordText.objects.create(
            record=records[0],
            body="Übersetzung.",
            language=Language.objects.get(code="de"),
            kind=RecordText.Kind.TRANSLATION,
        )
    # One record with no facet at all but its decade.
    records.append(make_record(title="Aside bare telegram"))
    update_search_index(record_pks=[records[0].pk])
    from accessions.catalogue.workflow import transition_record

    make_record(status="draft", title="Aside draft")
    transition_record(record=records[3], action="withdraw", user=records[3].created_by)
    written_by_the_writes = index_snapshot()
    written = []
    write_batch = rebuild_steps.write_batch

    def record_batch(t, low, high):
        written.append((low, high))
        return write_batch(t, low, high)

    # Batches of one record, shared by the two connections that write them.
    monkeypatch.setattr(rebuild_aside, "write_batch", record_batch)
    assert rebuilding.rebuild_search_index(batch_size=1) == 7
    assert index_snapshot() == written_by_the_writes
    kinds = {facet for _, facet, _ in written_by_the_writes["facets"]}
    assert kinds == set(Facet) - {Facet.SCAN}
    # Every batch written once, the draft's and the withdrawn record's too (they write
    # nothing), by the one statement that writes a batch aside.
    first, last = min(r.pk for r in records), Record.objects.order_by("pk").last().pk
    assert sorted(written) == [(pk, pk) for pk in range(first, last + 1)]
    assert tables_built_aside() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_rolls_the_rebuild_back_and_leaves_nothing_aside(make_record, monkeypatch):
    records = [make_record(title=f"Kept telegram {n}") for n in range(4)]
    before = index_snapshot()
    indexes = index_definitions()

    def broken_sql(t):
        # Fails as the rows are read, for the last record's batch only.
        return f"to_tsvector((1 / (r.id - {records[-1].pk}))::text)"

    monkeypatch.setattr(indexing, "_document_sql", broken_sql)
    with pytest.raises(DataError, match="division by zero"):
        rebuilding.rebuild_search_index(batch_size=1)
    assert index_snapshot() == before
    assert index_definitions() == indexes
    assert {hit.record.pk for hit in run_search(QueryDict("q=kept")).hits} == {
        r.pk for r in records
    }
    assert tables_built_aside() == []


def tables_built_aside() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE %s",
            [rebuild_aside.ASIDE_PREFIX + "%"],
        )
        return [row[0] for row in cursor.fetchall()]


def index_tables_schema() -> dict:
    """Every index and constraint of the three index tables, as PostgreSQL states them."""
    tables = [
        SearchEntry._meta.db_table,
        SearchFacet._meta.db_table,
        indexing.SearchFacetTotal._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [tables],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = set(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints}


def a_lock_is_awaited(within: float = 10) -> bool:
    """Whether some session of this database waits for a lock, seen within `within` s."""
    deadline = time.monotonic() + within
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d "
                "ON d.oid = l.database WHERE NOT l.granted AND d.datname = current_database())"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@contextmanager
def held_open(step):
    """Run `step` in a transaction on a connection of its own, and keep that transaction
    open (with the locks `step` took) for the body of the with; yields what `step` gave.
    The transaction commits on leaving."""
    started, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            result = step()
            started.set()
            release.wait(60)
        return result

    thread, box = in_a_thread(hold)
    assert started.wait(30), box.get("error")
    try:
        yield box
    finally:
        release.set()
        thread.join(30)


def in_a_thread(function):
    """Run `function` on a connection of its own; returns (thread, box of its result)."""
    box = {}

    def run():
        try:
            box["result"] = function()
        except BaseException as error:
            box["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_searches_read_the_old_index_while_the_new_one_is_built_aside(make_record):
    records = [make_record(title=f"Harbour telegram {n}") for n in range(3)]
    schema = index_tables_schema()
    # The entries' and facet rows' indexes, the samples' B-trees of dates (0029) among them.
    assert len(schema["indexes"]) == 16 and len(schema["constraints"]) == 5
    # Retitled behind the index's back: only the rebuild brings the new title in.
    Record.objects.filter(pk=records[0].pk).update(title="Lighthouse telegram")
    seen = []

    def search_meanwhile(done, total):
        if done == 1:  # the first batch's facet rows are written aside
            assert tables_built_aside(), "nothing is being built aside"
            thread, box = in_a_thread(
                lambda: (
                    run_search(QueryDict("q=harbour")).total,
                    run_search(QueryDict("q=lighthouse")).total,
                )
            )
            thread.join(timeout=30)
            assert not thread.is_alive(), "a search waited for the rebuild"
            seen.append(box["result"])

    written = rebuilding.rebuild_search_index(batch_size=1, progress=search_meanwhile)
    assert written == 3
    assert seen == [(3, 0)]  # the old index, whole, while the new one was built
    assert run_search(QueryDict("q=harbour")).total == 2
    assert run_search(QueryDict("q=lighthouse")).total == 1
    # The tables swapped in are what the migrations made, under the same names.
    assert index_tables_schema() == schema
    assert tables_built_aside() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_edit_made_during_a_rebuild_waits_for_it_and_lands_in_the_new_index(make_record):
    records = [make_record(title=f"Embassy cable {n}") for n in range(3)]
    edited = records[1]
    editors = []

    def edit():
        with transaction.atomic():
            Record.objects.filter(pk=edited.pk).update(title="Consulate cable")
            update_search_index(record_pks=[edited.pk])

    def edit_meanwhile(done, total):
        if done == 1:
            editors.append(in_a_thread(edit))
            assert a_lock_is_awaited(), "the edit did not wait for the rebuild"

    rebuilding.rebuild_search_index(batch_size=1, progress=edit_meanwhile)
    thread, box = editors[0]
    thread.join(timeout=30)
    assert not thread.is_alive() and "error" not in box
    # Had the edit gone to the old tables, the swap would have thrown it away.
    assert [hit.record.pk for hit in run_search(QueryDict("q=consulate")).hits] == [edited.pk]
    assert run_search(QueryDict("q=embassy")).total == 2
    assert kept_totals() == live_totals()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_second_rebuild_waits_for_the_first_instead_of_building_into_its_tables(make_record):
    [make_record(title=f"Twice rebuilt telegram {n}") for n in range(4)]
    written_by_the_writes = index_snapshot()
    second = []

    def start_another(done, total):
        if done == 1:
            second.append(in_a_thread(lambda: rebuilding.rebuild_search_index(batch_size=1)))
            assert a_lock_is_awaited(), "the second rebuild did not wait for the first"

    assert rebuilding.rebuild_search_index(batch_size=1, progress=start_another) == 4
    thread, box = second[0]
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert box == {"result": 4}
    assert index_snapshot() == written_by_the_writes
    assert tables_built_aside() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_record_committed_by_a_write_the_rebuild_waited_for_is_in_the_new_index(make_record):
    [make_record(title=f"Early telegram {n}") for n in range(2)]
    # The rebuild starts while this write holds its index rows.
    with held_open(lambda: make_record(title="Latecomer telegram").pk) as written:
        rebuild, rebuilt = in_a_thread(lambda: rebuilding.rebuild_search_index(batch_size=1))
        assert a_lock_is_awaited(), "the rebuild did not wait for the write"
    rebuild.join(60)
    assert rebuilt == {"result": 3}
    assert written["result"] in indexed_pks()
    assert run_search(QueryDict("q=latecomer")).total == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_does_not_wait_for_a_session_analysing_the_records(make_record):
    [make_record(title=f"Analysed telegram {n}") for n in range(3)]

    def lock_the_records():
        # What ANALYZE holds on the records while an import's transaction goes on.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Record._meta.db_table} IN SHARE UPDATE EXCLUSIVE MODE")

    with held_open(lock_the_records):
        assert rebuilding.rebuild_search_index(batch_size=1) == 3
    assert run_search(QueryDict("q=analysed")).total == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_swap_that_readers_keep_from_the_tables_gives_up_and_changes_nothing(
    make_record, monkeypatch
):
    records = [make_record(title=f"Backed up telegram {n}") for n in range(3)]
    Record.objects.filter(pk=records[0].pk).update(title="Retitled telegram")
    before = index_snapshot()
    monkeypatch.setattr(rebuild_aside, "SWAP_TRIES", 2)
    monkeypatch.setattr(rebuild_aside, "SWAP_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(rebuild_aside, "SWAP_PAUSE", 0.1)
    # A backup's reading of the index: a transaction that has read the entries.
    with held_open(SearchEntry.objects.count):
        with pytest.raises(RuntimeError, match="could not be swapped in"):
            rebuilding.rebuild_search_index(batch_size=1)
    assert index_snapshot() == before
    assert tables_built_aside() == []
    # The old index still answers: the new title the rebuild read is not in it.
    assert run_search(QueryDict("q=retitled")).total == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild aside is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_that_gives_up_waiting_leaves_the_first_ones_tables_alone(make_record):
    [make_record(title=f"Patient telegram {n}") for n in range(3)]
    written_by_the_writes = index_snapshot()
    second = []

    def impatient_rebuild():
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        return rebuilding.rebuild_search_index(batch_size=1)

    def start_another(done, total):
        if done == 1:
            thread, box = in_a_thread(impatient_rebuild)
            thread.join(30)
            second.append(box)

    assert rebuilding.rebuild_search_index(batch_size=1, progress=start_another) == 3
    assert "lock timeout" in str(second[0].get("error"))
    assert index_snapshot() == written_by_the_writes
    assert tables_built_aside() == []
