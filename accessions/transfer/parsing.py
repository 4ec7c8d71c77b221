"""Turn file rows into PlannedRows, in a thread of its own while the database writes.

Parsing needs no database, so it runs ahead of the planner and writer in a background
thread: while the main thread waits for PostgreSQL to take one batch, this one reads and
checks the next (psycopg releases the interpreter lock while it waits). The queue between
them holds two batches at most, so memory stays flat however long the file is.
"""

import hashlib
import queue
import threading
from collections.abc import Iterator
from datetime import date

from django.core.exceptions import ValidationError

from accessions.catalogue.models import Record
from accessions.catalogue.parameters import INTEGER_LIMIT, positive_number
from accessions.transfer.formats import (
    FOREIGN_FIELDS,
    MANY_FIELDS,
    TEXT_FIELDS,
    Format,
    unguard_cell,
)
from accessions.transfer.plan import (
    MAX_LENGTHS,
    TEXT_COLUMNS,
    PlannedRow,
    parse_date_cached,
    status_value,
)
from accessions.transfer.reader import CsvSource
from accessions.transfer.vocabularies import NAME_LENGTH

QUEUED_BATCHES = 2


class RowParser:
    """Parses the rows of one file: the header is matched to record fields once, up front."""

    def __init__(self, fmt: Format, columns: list[str]):
        self.fmt = fmt
        # (cell index, column, field) of the columns the format keeps.
        self.fields = [
            (index, column, name)
            for index, column in enumerate(columns)
            if (name := fmt.field_for(column)) is not None
        ]
        if "date" in columns:
            # The export derives date_edtf from date; the date as staff typed it wins.
            self.fields = [field for field in self.fields if field[1] != "date_edtf"]
        # The fingerprint hashes every column, ignored ones too, in column-name order.
        self.fingerprinted = [
            (index, b"\x1f" + column.encode() + b"\x1e")
            for column, index in sorted((column, index) for index, column in enumerate(columns))
        ]
        self.prefix = fmt.name.encode()

    def fingerprint(self, cells: list[str]) -> str:
        """Same content, same key: how a row without a record id is recognised on a re-import."""
        digest = hashlib.blake2b(self.prefix, digest_size=20)
        for index, label in self.fingerprinted:
            digest.update(label + cells[index].strip().encode())
        return f"row:{digest.hexdigest()}"

    def parse(self, number: int, cells: list[str], extra_cells: int = 0) -> PlannedRow:
        """Turn a file row into record values; problems become row errors, never exceptions."""
        fmt = self.fmt
        row = PlannedRow(number=number)
        if extra_cells:
            row.error("", f"has {extra_cells} more cell(s) than the header has columns.")
        for index, column, name in self.fields:
            value = cells[index].strip()
            if fmt.guards_formulas:
                value = unguard_cell(value)
            if fmt.null_words and value.upper() in fmt.null_words:
                value = ""
            if name in TEXT_FIELDS:
                self._text(row, column, name, value)
            elif name in MANY_FIELDS:
                try:
                    names = list(dict.fromkeys(fmt.split(value))) if value else []
                except ValueError as error:
                    row.error(column, f"“{value[:40]}” {error}.")
                    continue
                for too_long in (n for n in names if len(n) > NAME_LENGTH):
                    row.error(
                        column, f"“{too_long[:40]}…” is longer than {NAME_LENGTH} characters."
                    )
                row.many[name] = names
            elif name in FOREIGN_FIELDS:
                self._foreign(row, column, name, value)
            else:
                self._other(row, column, name, value)
        if "title" in row.texts and not row.texts["title"]:
            row.error("title", "is empty; every record needs a title.")
        if row.record_id is None:
            row.key = self.fingerprint(cells)
        return row

    @staticmethod
    def _text(row: PlannedRow, column: str, name: str, value: str) -> None:
        limit = MAX_LENGTHS.get(name)
        if limit and len(value) > limit:
            row.error(column, f"is {len(value)} characters long; the most allowed is {limit}.")
        if name == "date" and value:
            try:
                row.parsed_date = parse_date_cached(value)
            except ValidationError as error:
                row.error(column, " ".join(error.messages))
        row.texts[TEXT_COLUMNS[name]] = value

    def _foreign(self, row: PlannedRow, column: str, name: str, value: str) -> None:
        # A rights statement is free text that may hold the separator itself.
        try:
            values = [value] if name == "rights" else self.fmt.split(value)
        except ValueError as error:
            row.error(column, f"“{value[:40]}” {error}.")
            return
        values = [v for v in values if v]
        if len(values) > 1:
            row.error(column, f"takes one value, not {len(values)}.")
        elif values and len(values[0]) > NAME_LENGTH and name != "rights":
            row.error(column, f"“{values[0][:40]}…” is longer than {NAME_LENGTH} characters.")
        row.foreign[name] = values[0] if values else ""

    @staticmethod
    def _other(row: PlannedRow, column: str, name: str, value: str) -> None:
        if name == "record_id":
            if value:
                record_id = positive_number(value)
                if record_id is None:
                    row.error(
                        column,
                        f"“{value[:40]}” is not a record id "
                        f"(a whole number from 1 to {INTEGER_LIMIT:,}).",
                    )
                else:
                    row.record_id = record_id
        elif name == "text":
            row.main_text = value
        elif name == "original_upload_date":
            row.has_upload_date = True
            if value:
                try:
                    row.upload_date = date.fromisoformat(value)
                except ValueError:
                    row.error(column, f"“{value}” is not a date in the form YYYY-MM-DD.")
        elif name == "status" and value:
            row.status = status_value(value)
            if row.status is None:
                choices = ", ".join(value for value, _ in Record.Status.choices)
                row.error(column, f"“{value}” is not a status; use one of {choices}.")


def parsed_batches(source: CsvSource, fmt: Format, size: int) -> Iterator[list[PlannedRow]]:
    """The file's rows, parsed, in batches of `size`; read and parsed in a background thread.

    An error reading the file (bad encoding, broken CSV) is raised here, in the caller's
    thread, at the point of the file where it happened.
    """
    parser = RowParser(fmt, source.columns)
    batches: queue.Queue = queue.Queue(maxsize=QUEUED_BATCHES)
    stop = threading.Event()

    def produce():
        try:
            batch = []
            for number, cells, extra in source.cells():
                batch.append(parser.parse(number, cells, extra))
                if len(batch) >= size:
                    if not _put(batches, batch, stop):
                        return
                    batch = []
            if batch:
                _put(batches, batch, stop)
            _put(batches, None, stop)
        except BaseException as error:  # handed to the caller's thread, raised there
            _put(batches, error, stop)

    worker = threading.Thread(target=produce, name="import-parser", daemon=True)
    worker.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # The caller stopped early (an error, or a rejected file): let the thread end.
        stop.set()
        worker.join()


def _put(batches: queue.Queue, item, stop: threading.Event) -> bool:
    """Queue an item, giving up when the consumer has gone; True if it was queued."""
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
