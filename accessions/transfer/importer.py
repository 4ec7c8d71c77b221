"""Import a CSV file of records: dry run or real, all rows or none."""

import logging
from collections.abc import Callable
from typing import BinaryIO

from django.db import transaction

from accessions.transfer.atom import import_atom_source
from accessions.transfer.formats import FORMATS, Format, detect_format, is_atom_header
from accessions.transfer.parsing import parsed_batches
from accessions.transfer.plan import UPDATE, Planner
from accessions.transfer.reader import CsvSource, ImportFileError
from accessions.transfer.report import ImportRejected, ImportReport, RowOutcome
from accessions.transfer.statistics import PlannerStatistics
from accessions.transfer.vocabularies import vocabularies_for
from accessions.transfer.writer import write_batch

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A preview lists this many rows and errors; the counts always cover the whole file.
LISTED_ROWS = 5000
LISTED_ERRORS = 1000


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
