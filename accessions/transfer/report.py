"""What an import did or would do, row by row: shown by a dry run, carried by a rejection."""

from collections import Counter
from dataclasses import dataclass, field

from accessions.transfer.plan import CREATE, UNCHANGED, UPDATE, RowError


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
