"""The set-based write of one checked batch: bulk inserts and updates, never a save() per row."""

import itertools
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.utils import timezone

from accessions.catalogue.models import Record, RecordEvent, RecordText
from accessions.search.indexing import update_search_index
from accessions.transfer.formats import MANY_FIELDS
from accessions.transfer.models import ImportKey
from accessions.transfer.plan import (
    CREATE,
    FOREIGN_COLUMNS,
    UPDATE,
    IdAllocator,
    PlannedRow,
    parse_date_cached,
)
from accessions.transfer.statistics import PlannerStatistics
from accessions.transfer.vocabularies import Vocabulary

Status = Record.Status
DATE_COLUMNS = ("date_display", "date_start", "date_end", "date_approximate", "date_edtf")


def index_touched_records(*, record_pks: list[int]) -> None:
    """The one place where the pks of records an import created or changed are passed on.

    It runs inside the import transaction, once per batch, so the index commits or rolls
    back with the records.
    """
    update_search_index(record_pks=record_pks)


def pks_to_index(rows: list[PlannedRow], pks: dict[int, int]) -> list[int]:
    """The records of these written rows whose index rows may change.

    The index holds published records only, so a record that was not published before the
    write and is not published after it has no index rows either side: re-deriving them
    would cost a dozen statements per batch and change nothing.
    """
    return [
        pks[row.number]
        for row in rows
        if row.new_status == Status.PUBLISHED
        or (row.existing is not None and row.existing["status"] == Status.PUBLISHED)
    ]


def bulk_insert(model, attnames: list[str], rows: Iterable[tuple]) -> None:
    """Insert plain rows in one statement: COPY on PostgreSQL, bulk_create elsewhere.

    COPY skips building a model instance per row, which is most of the cost of an import's
    many-to-many rows; callers pass every column, including auto_now_add ones.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    if connection.vendor == "postgresql":
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        columns = ", ".join(connection.ops.quote_name(by_attname[a].column) for a in attnames)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=1000
        )


def _derive_dates(values: dict) -> None:
    """What Record.save() derives from date_text; bulk writes bypass save()."""
    text = values["date_text"].strip()
    if text:
        parsed = parse_date_cached(text)
        values["date_display"], values["date_start"], values["date_end"] = (
            parsed.display,
            parsed.start,
            parsed.end,
        )
        values["date_approximate"] = parsed.approximate
        values["date_edtf"] = parsed.edtf
    else:
        values["date_display"], values["date_start"], values["date_end"] = "", None, None
        values["date_approximate"] = False
        values["date_edtf"] = ""


def _apply_values(values: dict, row: PlannedRow, vocabularies: dict[str, Vocabulary], now) -> None:
    """Set a record's column values (by attname) from a checked row."""
    values.update(row.texts)
    if row.has_upload_date:
        values["original_upload_date"] = row.upload_date
    for name, value in row.foreign.items():
        values[FOREIGN_COLUMNS[name]] = vocabularies[name].get(value) if value else None
    values["status"] = row.new_status
    if row.transition == "publish":
        # As the workflow does on publication: keep earlier dates, fill empty ones.
        values["published_at"] = values.get("published_at") or now
        values["original_upload_date"] = values.get("original_upload_date") or (
            timezone.localdate(now)
        )


@cache
def _record_defaults() -> dict:
    """Every concrete column of a new record with its default, by attname."""
    return {field.attname: field.get_default() for field in Record._meta.concrete_fields}


def _create_vocabulary_values(rows: list[PlannedRow], vocabularies: dict[str, Vocabulary]) -> None:
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for name, value in row.foreign.items():
            if value:
                wanted[name].add(value)
        for name, values in row.many.items():
            wanted[name].update(values)
    for name, names in wanted.items():
        vocabulary = vocabularies[name]
        if vocabulary.creates:
            vocabulary.create_missing(names)


def _write_relations(
    rows: list[PlannedRow], pks: dict[int, int], vocabularies: dict[str, Vocabulary], *, replace
) -> None:
    """Set the many-to-many values of the rows' records with one delete and one insert each."""
    for name in MANY_FIELDS:
        targets = [row for row in rows if name in row.many and (not replace or name in row.changes)]
        if not targets:
            continue
        relation = Record._meta.get_field(name)
        through = relation.remote_field.through
        source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
        if replace:
            through.objects.filter(
                **{f"{source}_id__in": [pks[r.number] for r in targets]}
            ).delete()
        lookup = vocabularies[name].get
        bulk_insert(
            through,
            [f"{source}_id", f"{target}_id"],
            ((pks[row.number], lookup(value)) for row in targets for value in row.many[name]),
        )


def _write_main_texts(creates: list[PlannedRow], updates: list[PlannedRow], pks) -> None:
    """Insert, change or remove the main text of the rows that give one."""
    changed = [row for row in updates if "text" in row.changes]
    RecordText.objects.filter(
        pk__in=[row.existing_text[0] for row in changed if row.existing_text and not row.main_text]
    ).delete()
    edited = [
        RecordText(pk=row.existing_text[0], body=row.main_text)
        for row in changed
        if row.existing_text and row.main_text
    ]
    RecordText.objects.bulk_update(edited, ["body"], batch_size=1000)
    bulk_insert(
        RecordText,
        ["record_id", "kind", "language_id", "body", "credit", "is_primary", "position"],
        (
            (pks[row.number], RecordText.Kind.TRANSLATION, None, row.main_text, "", True, 0)
            for row in [*creates, *changed]
            if row.main_text and (row.action == CREATE or not row.existing_text)
        ),
    )


def write_batch(
    *,
    rows: list[PlannedRow],
    vocabularies: dict[str, Vocabulary],
    ids: IdAllocator,
    user,
    source_name: str,
    statistics: PlannerStatistics | None = None,
) -> list[int]:
    """Write one checked batch; return the pks of the records it created or changed."""
    creates = [row for row in rows if row.action == CREATE]
    updates = [row for row in rows if row.action == UPDATE]
    if not creates and not updates:
        return []
    _create_vocabulary_values(creates + updates, vocabularies)
    now = timezone.now()
    user_pk = user.pk if user is not None else None

    without_id = [row for row in creates if row.record_id is None]
    for row, record_id in zip(without_id, ids.take(len(without_id)), strict=True):
        row.record_id = record_id
    new_records = []
    defaults = _record_defaults()
    for row in creates:
        values = {
            **defaults,
            "record_id": row.record_id,
            "created_by_id": user_pk,
            "updated_by_id": user_pk,
            "created_at": now,
            "updated_at": now,
        }
        _apply_values(values, row, vocabularies, now)
        _derive_dates(values)
        new_records.append(values)
    pks = dict(zip((row.number for row in creates), _insert_records(new_records), strict=True))

    # Rows that change different fields are updated in separate statements, so that no
    # statement writes a field whose current value was never loaded.
    groups: dict[frozenset, list[Record]] = defaultdict(list)
    for row in updates:
        values = dict(row.existing)
        _apply_values(values, row, vocabularies, now)
        fields = {"updated_at", "updated_by", "status", "published_at"}
        for change in row.changes:
            if change == "date_text":
                fields.update(["date_text", *DATE_COLUMNS])
                _derive_dates(values)
            elif change in FOREIGN_COLUMNS:
                fields.add(change)
            elif change not in MANY_FIELDS and change not in ("status", "text"):
                fields.add(change)
        if row.transition == "publish":
            fields.add("original_upload_date")
        values["updated_at"], values["updated_by_id"] = now, user_pk
        groups[frozenset(fields)].append(Record(**values))
        pks[row.number] = values["id"]
    for fields, records in groups.items():
        Record.objects.bulk_update(records, sorted(fields), batch_size=1000)

    _write_main_texts(creates, updates, pks)
    _write_relations(creates, pks, vocabularies, replace=False)
    _write_relations(updates, pks, vocabularies, replace=True)
    bulk_insert(
        ImportKey,
        ["key", "record_id", "created_at"],
        ((row.key, pks[row.number], now) for row in creates if row.key),
    )
    bulk_insert(
        RecordEvent,
        ["record_id", "action", "from_status", "to_status", "actor_id", "at", "note"],
        (_event(row, pks[row.number], user_pk, source_name, now) for row in creates + updates),
    )
    if statistics is not None:
        statistics.wrote(rows=len(pks))
    index_touched_records(record_pks=pks_to_index(creates + updates, pks))
    if statistics is not None:
        statistics.indexed()
    return list(pks.values())


def _insert_records(records: list[dict]) -> list[int]:
    """Insert new records given as column values by attname; return their pks in order."""
    if connection.vendor == "postgresql":
        # COPY returns no ids, so take them from the table's sequence first, in one
        # statement, rather than reading the new rows back by record id afterwards.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Record._meta.db_table, len(records)],
            )
            pks = [pk for (pk,) in cursor.fetchall()]
        for values, pk in zip(records, pks, strict=True):
            values["id"] = pk
        attnames = list(_record_defaults())
        bulk_insert(Record, attnames, ([values[name] for name in attnames] for values in records))
        return pks
    objects = [Record(**values) for values in records]
    Record.objects.bulk_create(objects, batch_size=1000)
    if any(record.pk is None for record in objects):
        by_id = dict(
            Record.objects.filter(record_id__in=[r.record_id for r in objects]).values_list(
                "record_id", "id"
            )
        )
        return [by_id[record.record_id] for record in objects]
    return [record.pk for record in objects]


def _event(row: PlannedRow, record_pk: int, user_pk, source_name: str, now) -> tuple:
    if row.action == CREATE:
        note = f"Created by importing {source_name}, row {row.number}."
        from_status = ""
    else:
        shown = ", ".join(change.removesuffix("_id") for change in row.changes)
        note = f"Updated by importing {source_name}, row {row.number}: {shown}."
        from_status = row.existing["status"]
    action = row.transition or "imported"
    return (record_pk, action, from_status, row.new_status, user_pk, now, note)
