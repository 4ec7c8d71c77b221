"""Import a CSV file of records: dry run or real, all rows or none."""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction

from accessions.importing.formats import FORMATS, Format, detect_format, is_atom_header
from accessions.importing.parsing import parsed_batches
from accessions.importing.plan import CREATE, UNCHANGED, UPDATE, Planner, RowError
from accessions.importing.reader import CsvSource, ImportFileError
from accessions.importing.statistics import PlannerStatistics
from accessions.importing.vocabularies import vocabularies_for
from accessions.importing.writer import write_batch

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A preview lists this many rows and errors; the counts always cover the whole file.
LISTED_ROWS = 5000
LISTED_ERRORS = 1000


@dataclass(frozen=True)
class RowOutcome:
    row: int
    action: str
    record_id: int | None
    changes: tuple[str, ...] = ()
    accession_number: str = ""


@dataclass
class ImportReport:
    format: str
    dry_run: bool
    rows: int = 0
    counts: Counter = field(default_factory=Counter)
    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    new_values: dict[str, list[str]] = field(default_factory=dict)
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict:
        """A JSON-ready form, kept on the admin's import job."""
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "counts": {key: self.counts.get(key, 0) for key in (CREATE, UPDATE, UNCHANGED)},
            "outcomes": [
                {
                    "row": o.row,
                    "action": o.action,
                    "record_id": o.record_id,
                    "changes": list(o.changes),
                    "accession_number": o.accession_number,
                }
                for o in self.outcomes
            ],
            "errors": [{"row": e.row, "column": e.column, "message": str(e)} for e in self.errors],
            "error_count": self.error_count,
            "ignored_columns": self.ignored_columns,
            "new_values": self.new_values,
            "written": self.written,
        }


class ImportRejected(Exception):
    """Rows had errors, so nothing was written; the report lists them."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(
            f"Nothing was imported: {report.error_count} error(s) in the file. First: "
            f"{report.errors[0] if report.errors else '-'}"
        )


class _Rollback(Exception):
    pass


def import_records(
    *,
    stream: BinaryIO,
    user=None,
    format_name: str | None = None,
    dry_run: bool = False,
    source_name: str = "a file",
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Check every row of a CSV file and, unless it is a dry run, write them all or none.

    A dry run writes nothing and reports per row what would happen. A real run raises
    ImportRejected (after rolling back) when any row has an error; ImportFileError is
    raised for a file that cannot be read at all.
    """
    source = CsvSource(stream, max_bytes=max_bytes)
    if format_name == "atom" or (format_name in (None, "auto") and is_atom_header(source.columns)):
        from accessions.importing.atom import import_atom_source

        return import_atom_source(
            source, user=user, dry_run=dry_run, source_name=source_name, progress=progress
        )
    fmt = _choose_format(format_name, source.columns)
    ignored, _ = fmt.check_header(source.columns)
    report = ImportReport(format=fmt.name, dry_run=dry_run, ignored_columns=ignored)
    vocabularies = vocabularies_for(creates_rights=fmt.creates_rights)
    planner = Planner(fmt=fmt, user=user, vocabularies=vocabularies, dry_run=dry_run)
    statistics = PlannerStatistics()
    try:
        with transaction.atomic():
            for batch in parsed_batches(source, fmt, batch_size):
                rows = planner.plan_batch(batch)
                ok = report.ok and not any(row.errors for row in rows)
                if dry_run:
                    planner.preview_ids(rows)
                elif ok:
                    write_batch(
                        rows=rows,
                        vocabularies=vocabularies,
                        ids=planner.ids,
                        user=user,
                        source_name=source_name,
                        statistics=statistics,
                    )
                _record(report, rows)
                if progress is not None:
                    progress(report.rows)
            if not report.ok:
                raise _Rollback
            if dry_run:
                # Lookups only, but roll back anyway so a dry run can never leave a trace.
                transaction.set_rollback(True)
    except _Rollback:
        pass
    if report.rows == 0 and report.ok:
        raise ImportFileError("The file has a header but no rows to import.")
    report.new_values = {
        name: sorted(vocabulary.absent if dry_run else vocabulary.created_names)[:50]
        for name, vocabulary in vocabularies.items()
        if (vocabulary.absent if dry_run else vocabulary.created_names) and vocabulary.creates
    }
    if not report.ok:
        if dry_run:
            return report
        logger.info("Import of %s rejected: %s errors", source_name, report.error_count)
        raise ImportRejected(report)
    report.written = not dry_run
    if not dry_run:
        logger.info("Imported %s: %s", source_name, dict(report.counts))
    return report


def _choose_format(name: str | None, columns: list[str]) -> Format:
    if not name or name == "auto":
        return detect_format(columns)
    try:
        return FORMATS[name]
    except KeyError:
        raise ImportFileError(
            f"Unknown format “{name}”; use one of: {', '.join([*FORMATS, 'atom'])}."
        ) from None


def _record(report: ImportReport, rows) -> None:
    for row in rows:
        report.rows += 1
        if row.errors:
            report.error_count += len(row.errors)
            room = LISTED_ERRORS - len(report.errors)
            report.errors.extend(row.errors[: max(room, 0)])
            continue
        report.counts[row.action] += 1
        if len(report.outcomes) < LISTED_ROWS:
            changes = (
                tuple(c.removesuffix("_id") for c in row.changes) if row.action == UPDATE else ()
            )
            report.outcomes.append(RowOutcome(row.number, row.action, row.record_id, changes))
