"""The dry run: parse and check each row, and say what importing it would do to the catalogue."""

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import connection

from accessions.catalogue.dates import ParsedDate, parse_document_date
from accessions.catalogue.models import Record, RecordText
from accessions.catalogue.numbering import peek_next_record_id, reserve_record_ids
from accessions.catalogue.workflow import TRANSITIONS, missing_values
from accessions.transfer.formats import FOREIGN_FIELDS, Format
from accessions.transfer.models import ImportKey
from accessions.transfer.vocabularies import Vocabulary

Status = Record.Status
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
MAX_LENGTHS = {"title": 500, "date": 100}
# Record columns behind each text field of the file.
TEXT_COLUMNS = {
    "title": "title",
    "date": "date_text",
    "summary": "summary",
    "source": "source",
    "staff_notes": "staff_notes",
}
SCALAR_COLUMNS = (*TEXT_COLUMNS.values(), "original_upload_date")
FOREIGN_COLUMNS = {name: f"{name}_id" for name in FOREIGN_FIELDS}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"row {self.row}" + (f", column “{self.column}”" if self.column else "")
        return f"{where[0].upper()}{where[1:]}: {self.message}"


@dataclass
class PlannedRow:
    number: int
    record_id: int | None = None
    key: str | None = None  # fingerprint of a row without a record id
    texts: dict[str, str] = field(default_factory=dict)  # record column → value
    upload_date: date | None = None
    has_upload_date: bool = False
    parsed_date: ParsedDate | None = None
    foreign: dict[str, str] = field(default_factory=dict)  # field → name ("" clears)
    many: dict[str, list[str]] = field(default_factory=dict)
    status: str | None = None
    main_text: str | None = None  # None: the file has no text column
    existing: dict[str, Any] | None = None
    existing_text: tuple[int, str] | None = None  # (pk, body) of the main text
    existing_many: dict[str, set[int]] = field(default_factory=dict)
    action: str = CREATE
    changes: list[str] = field(default_factory=list)
    new_status: str = Status.DRAFT
    transition: str = ""
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))


@lru_cache(maxsize=4096)
def parse_date_cached(text: str) -> ParsedDate:
    return parse_document_date(text)


@lru_cache(maxsize=64)
def status_value(text: str) -> str | None:
    """The status a cell names, by value or label in any case; None if it names none."""
    wanted = text.strip().lower().replace(" ", "_")
    for value, label in Status.choices:
        if wanted in (value, label.lower().replace(" ", "_")):
            return value
    return None


def _imported_keys(keys: list[str]) -> list[tuple[str, int]]:
    """(key, record id) of the keys an earlier import stored.

    The keys are looked up alone, and the few found joined to their records afterwards: a
    join in one statement was planned as a scan of the whole record table per batch once
    a large import had grown it. On PostgreSQL the keys go as one array parameter.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT record_id, key FROM {ImportKey._meta.db_table} "
                "WHERE key = ANY(%s) AND record_id IS NOT NULL",
                [keys],
            )
            by_pk = dict(cursor.fetchall())
    else:
        found = ImportKey.objects.filter(key__in=keys, record__isnull=False)
        by_pk = dict(found.values_list("record_id", "key"))
    if not by_pk:
        return []
    ids = Record.objects.filter(pk__in=by_pk).values_list("pk", "record_id")
    return [(by_pk[pk], record_id) for pk, record_id in ids]


class IdAllocator:
    """Hands out record ids to new rows: reserved for real, or counted ahead in a dry run."""

    def __init__(self, *, dry_run: bool):
        self.dry_run = dry_run
        self.given: list[range] = []
        self.highest_explicit = 0
        self._next_preview: int | None = None

    def note_explicit(self, record_id: int) -> None:
        self.highest_explicit = max(self.highest_explicit, record_id)

    def owner_of(self, record_id: int) -> bool:
        return any(record_id in block for block in self.given)

    def take(self, count: int) -> range:
        if self.dry_run:
            if self._next_preview is None:
                self._next_preview = peek_next_record_id()
            start = max(self._next_preview, self.highest_explicit + 1)
            block = range(start, start + count)
            self._next_preview = start + count
        else:
            block = reserve_record_ids(count=count, at_least=self.highest_explicit)
        if count:
            self.given.append(block)
        return block


class Planner:
    """Checks rows batch by batch against the catalogue and decides create/update/unchanged.

    It remembers record ids and row fingerprints across batches to catch duplicates
    anywhere in the file.
    """

    def __init__(self, *, fmt: Format, user, vocabularies: dict[str, Vocabulary], dry_run: bool):
        self.fmt = fmt
        self.user = user
        self.vocabularies = vocabularies
        self.ids = IdAllocator(dry_run=dry_run)
        self.seen_ids: dict[int, int] = {}
        self.seen_keys: dict[bytes, int] = {}

    def preview_ids(self, rows: list[PlannedRow]) -> None:
        """Show in a dry run the ids new rows would get (a real run may differ if others write)."""
        new = [r for r in rows if r.action == CREATE and r.record_id is None and not r.errors]
        for row, record_id in zip(new, self.ids.take(len(new)), strict=True):
            row.record_id = record_id

    def may(self, permission: str) -> bool:
        return self.user is not None and self.user.has_perm(permission)

    def plan_batch(self, rows: list[PlannedRow]) -> list[PlannedRow]:
        """Decide what to do with these parsed rows (parsing.RowParser made them)."""
        self._check_duplicates(rows)
        self._prime_vocabularies(rows)
        self._load_existing(rows)
        for row in rows:
            if not row.errors:
                self._decide(row)
        return rows

    def _check_duplicates(self, rows: list[PlannedRow]) -> None:
        for row in rows:
            if row.record_id is not None:
                first = self.seen_ids.setdefault(row.record_id, row.number)
                if first != row.number:
                    row.error("record_id", f"record id {row.record_id} is also on row {first}.")
            elif row.key is not None:
                short = bytes.fromhex(row.key[4:20])
                first = self.seen_keys.setdefault(short, row.number)
                if first != row.number:
                    row.error(
                        "", f"repeats row {first} exactly; remove one or give each a record_id."
                    )

    def _prime_vocabularies(self, rows: list[PlannedRow]) -> None:
        wanted: dict[str, set[str]] = {}
        for row in rows:
            for name, value in row.foreign.items():
                if value:
                    wanted.setdefault(name, set()).add(value)
            for name, values in row.many.items():
                wanted.setdefault(name, set()).update(values)
        for name, names in wanted.items():
            self.vocabularies[name].prime(names)
        for row in rows:
            for name, value in row.foreign.items():
                vocabulary = self.vocabularies[name]
                if value and not vocabulary.creates and vocabulary.get(value) is None:
                    row.error(name, self._unknown_message(name, value))
            for name in ("languages",):
                for value in row.many.get(name, ()):
                    if self.vocabularies[name].get(value) is None:
                        row.error(name, self._unknown_message(name, value))

    @staticmethod
    def _unknown_message(name: str, value: str) -> str:
        if name == "languages":
            return f"“{value}” is not a known language code or name; add it under Languages."
        return f"there is no rights statement named “{value[:60]}”; add it under Rights first."

    def _load_existing(self, rows: list[PlannedRow]) -> None:
        by_id = {row.record_id: row for row in rows if row.record_id is not None}
        by_key = {row.key: row for row in rows if row.key is not None}
        if by_key:
            for key, record_id in _imported_keys(list(by_key)):
                by_key[key].record_id = record_id
                by_key[key].action = UNCHANGED
                by_key[key].changes = ["already imported from the same row"]
        if not by_id:
            return
        columns = ["id", "record_id", "status", "published_at", *SCALAR_COLUMNS]
        records = Record.objects.filter(record_id__in=by_id)
        if not self.ids.dry_run:
            # Locked until the import commits, as the workflow locks a record it moves.
            records = records.select_for_update()
        for existing in records.values(*columns, *FOREIGN_COLUMNS.values()):
            by_id[existing["record_id"]].existing = existing
        pks = {row.existing["id"]: row for row in by_id.values() if row.existing}
        if any(row.main_text is not None for row in pks.values()):
            for record_pk, text_pk, body in RecordText.objects.filter(
                record_id__in=pks, is_primary=True
            ).values_list("record_id", "id", "body"):
                pks[record_pk].existing_text = (text_pk, body)
        present = {name for row in by_id.values() for name in row.many}
        for name in present:
            relation = Record._meta.get_field(name)
            through = relation.remote_field.through
            source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
            for row in pks.values():
                row.existing_many[name] = set()
            for record_pk, target_pk in through.objects.filter(
                **{f"{source}_id__in": pks}
            ).values_list(f"{source}_id", f"{target}_id"):
                pks[record_pk].existing_many[name].add(target_pk)

    def _decide(self, row: PlannedRow) -> None:
        if row.action == UNCHANGED:
            return
        if row.existing is None:
            row.action = CREATE
            if not row.texts.get("title"):
                row.error("title", "is missing; a new record needs a title.")
                return
            if row.record_id is not None:
                if self.ids.owner_of(row.record_id):
                    row.error(
                        "record_id",
                        f"record id {row.record_id} was given to a new row earlier in this "
                        "file; leave it empty to have one assigned.",
                    )
                    return
                self.ids.note_explicit(row.record_id)
            self._decide_status(row, current=None)
            return
        row.changes = self._changes(row)
        self._decide_status(row, current=row.existing["status"])
        row.action = UPDATE if row.changes else UNCHANGED

    def _changes(self, row: PlannedRow) -> list[str]:
        existing, changes = row.existing, []
        for column, value in row.texts.items():
            if (existing[column] or "") != value:
                changes.append(column)
        if row.has_upload_date and existing["original_upload_date"] != row.upload_date:
            changes.append("original_upload_date")
        for name, value in row.foreign.items():
            wanted = self.vocabularies[name].get(value) if value else None
            if (value and wanted is None) or existing[FOREIGN_COLUMNS[name]] != wanted:
                changes.append(name)
        if row.main_text is not None:
            current = row.existing_text[1] if row.existing_text else ""
            if current != row.main_text:
                changes.append("text")
        for name, values in row.many.items():
            vocabulary = self.vocabularies[name]
            wanted = {vocabulary.get(value) for value in values}
            if None in wanted or wanted != row.existing_many.get(name, set()):
                changes.append(name)
        return changes

    def _decide_status(self, row: PlannedRow, *, current: str | None) -> None:
        target = row.status or current or Status.DRAFT
        row.new_status = target
        if target == (current or Status.DRAFT) and current is not None:
            return
        if current is None and target == Status.DRAFT:
            return
        source = current or Status.DRAFT
        transition = next(
            (t for t in TRANSITIONS.values() if t.target == target and source in t.sources),
            None,
        )
        if current is None and target == Status.IN_REVIEW:
            transition = TRANSITIONS["submit"]
        if transition is None:
            row.error("status", f"a {source.replace('_', ' ')} record cannot become {target}.")
            return
        if not self.may(transition.permission):
            row.error(
                "status",
                f"you do not have permission to {transition.label.lower()} records "
                f"({transition.permission}).",
            )
            return
        if target == Status.PUBLISHED:
            missing = self._missing_for_publication(row)
            if missing:
                row.error("status", f"cannot be published; it is missing: {', '.join(missing)}.")
                return
        row.transition = transition.name
        row.changes.append("status")

    def _missing_for_publication(self, row: PlannedRow) -> list[str]:
        existing = row.existing or {}
        values = {**existing, **row.texts}
        rights = row.foreign.get("rights")
        if rights is None:
            rights_id = existing.get("rights_id")
        else:
            # A statement the import creates has no id yet; any value here is a statement.
            rights_id = (self.vocabularies["rights"].get(rights) or -1) if rights else None
        summary = values.get("summary") or ""
        if row.main_text or summary.strip():
            # The text the import writes counts as the record's text.
            has_text = True
        elif "id" in existing:
            has_text = RecordText.objects.filter(record_id=existing["id"]).exists()
        else:
            has_text = False
        return missing_values(
            title=values.get("title") or "",
            date_text=values.get("date_text") or "",
            rights_id=rights_id,
            has_summary_or_text=has_text,
        )
