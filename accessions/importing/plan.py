"""The dry run: parse and check each row, and say what importing it would do to the catalogue."""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError

from accessions.dates import ParsedDate, parse_document_date
from accessions.importing.formats import FOREIGN_FIELDS, MANY_FIELDS, TEXT_FIELDS, Format
from accessions.importing.reader import SourceRow
from accessions.importing.vocabularies import NAME_LENGTH, Vocabulary
from accessions.models import ImportKey, Record, RecordText
from accessions.numbering import peek_next_record_id
from accessions.workflow import TRANSITIONS, missing_for_publication

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


def status_value(text: str) -> str | None:
    wanted = text.strip().lower().replace(" ", "_")
    for value, label in Status.choices:
        if wanted in (value, label.lower().replace(" ", "_")):
            return value
    return None


def row_fingerprint(fmt: Format, values: dict[str, str]) -> str:
    """Same content, same key: how a row without a record id is recognised on a re-import."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(fmt.name.encode())
    for column in sorted(values):
        digest.update(b"\x1f" + column.encode() + b"\x1e" + values[column].strip().encode())
    return f"row:{digest.hexdigest()}"


def parse_row(source: SourceRow, fmt: Format) -> PlannedRow:
    """Turn a file row into record values; problems become row errors, never exceptions."""
    row = PlannedRow(number=source.number)
    if source.extra_cells:
        row.error("", f"has {source.extra_cells} more cell(s) than the header has columns.")
    for column, raw in source.values.items():
        name = fmt.field_for(column)
        if name is None:
            continue
        value = (raw or "").strip()
        if value.upper() in fmt.null_words:
            value = ""
        if name == "record_id":
            if value:
                if not value.isdigit() or int(value) <= 0:
                    row.error(column, f"“{value}” is not a record id (a positive whole number).")
                else:
                    row.record_id = int(value)
        elif name in TEXT_FIELDS:
            limit = MAX_LENGTHS.get(name)
            if limit and len(value) > limit:
                row.error(column, f"is {len(value)} characters long; the most allowed is {limit}.")
            if name == "date" and value:
                try:
                    row.parsed_date = parse_date_cached(value)
                except ValidationError as error:
                    row.error(column, " ".join(error.messages))
            row.texts[TEXT_COLUMNS[name]] = value
        elif name == "text":
            row.main_text = value
        elif name == "original_upload_date":
            row.has_upload_date = True
            if value:
                try:
                    row.upload_date = date.fromisoformat(value)
                except ValueError:
                    row.error(column, f"“{value}” is not a date in the form YYYY-MM-DD.")
        elif name == "status":
            if value:
                row.status = status_value(value)
                if row.status is None:
                    choices = ", ".join(value for value, _ in Status.choices)
                    row.error(column, f"“{value}” is not a status; use one of {choices}.")
        elif name in FOREIGN_FIELDS:
            # A rights statement is free text that may hold the separator itself.
            try:
                values = [value] if name == "rights" else fmt.split(value)
            except ValueError as error:
                row.error(column, f"“{value[:40]}” {error}.")
                continue
            values = [v for v in values if v]
            if len(values) > 1:
                row.error(column, f"takes one value, not {len(values)}.")
            elif values and len(values[0]) > NAME_LENGTH and name != "rights":
                row.error(column, f"“{values[0][:40]}…” is longer than {NAME_LENGTH} characters.")
            row.foreign[name] = values[0] if values else ""
        elif name in MANY_FIELDS:
            try:
                names = list(dict.fromkeys(fmt.split(value)))
            except ValueError as error:
                row.error(column, f"“{value[:40]}” {error}.")
                continue
            for too_long in (n for n in names if len(n) > NAME_LENGTH):
                row.error(column, f"“{too_long[:40]}…” is longer than {NAME_LENGTH} characters.")
            row.many[name] = names
    if "title" in row.texts and not row.texts["title"]:
        row.error("title", "is empty; every record needs a title.")
    if row.record_id is None:
        row.key = row_fingerprint(fmt, source.values)
    return row


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
        from accessions.numbering import reserve_record_ids

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

    def plan_batch(self, sources: list[SourceRow]) -> list[PlannedRow]:
        rows = [parse_row(source, self.fmt) for source in sources]
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
            for key, record_id in ImportKey.objects.filter(key__in=by_key).values_list(
                "key", "record__record_id"
            ):
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
        values = {**(row.existing or {}), **row.texts}
        rights = row.foreign.get("rights")
        record = Record(
            pk=(row.existing or {}).get("id"),
            title=values.get("title") or "",
            date_text=values.get("date_text") or "",
            summary=values.get("summary") or "",
            rights_id=(row.existing or {}).get("rights_id") if rights is None else None,
        )
        if rights:
            # A statement the import creates has no id yet; any value here is a statement.
            record.rights_id = self.vocabularies["rights"].get(rights) or -1
        if row.main_text:
            # The text the import writes counts as the record's text.
            return missing_for_publication(_with_summary(record))
        if record.pk is None and not record.summary.strip():
            # A new record has no texts yet, and an unsaved record cannot be asked for them.
            return [m for m in missing_for_publication(_with_summary(record))] + [
                "a summary or a text"
            ]
        return missing_for_publication(record)


def _with_summary(record: Record) -> Record:
    record.summary = "-"
    return record
