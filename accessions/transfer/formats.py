"""The CSV formats the import reads: our own, the Wilson Center export and AtoM accessions.

A format maps a file's columns to record fields. Our own format (the one export writes) uses
the field names as column names; multi-values are separated by “|”.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from accessions.transfer.reader import ImportFileError

# Record fields, by the kind of value they hold.
TEXT_FIELDS = ("title", "date", "summary", "source", "staff_notes")
FOREIGN_FIELDS = ("original_archive", "original_classification", "document_type", "rights")
MANY_FIELDS = (
    "languages",
    "authors",
    "people_and_organizations",
    "places",
    "subjects",
    "collections",
    "donors",
)
# "text" is the body of the record's main text (its transcript or translation).
RECORD_FIELDS = (
    "record_id",
    *TEXT_FIELDS,
    "original_upload_date",
    *FOREIGN_FIELDS,
    *MANY_FIELDS,
    "text",
)
MULTI_SEPARATOR = "|"
# A spreadsheet runs a cell that begins with one of these as a formula. The export writes
# such a cell after an apostrophe, and after one more any cell that already began with
# apostrophes before one of them, so that the import can take exactly one away again.
FORMULA_START = re.compile(r"^'*[=+\-@]")


def guard_cell(value: str) -> str:
    """The cell as the export writes it: never the start of a spreadsheet formula."""
    return "'" + value if FORMULA_START.match(value) else value


def unguard_cell(value: str) -> str:
    """The cell as it was before guard_cell."""
    return value[1:] if value.startswith("'") and FORMULA_START.match(value) else value


def split_pipes(value: str) -> list[str]:
    return [part.strip() for part in value.split(MULTI_SEPARATOR) if part.strip()]


def split_json_list(value: str) -> list[str]:
    """The Wilson Center export writes lists as JSON arrays; a bare string is one value."""
    value = value.strip()
    if not value:
        return []
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("is not a valid JSON list") from None
        if not isinstance(items, list):
            raise ValueError("is not a JSON list")
        return [str(item).strip() for item in items if str(item).strip()]
    return [value]


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    columns: dict[str, str]  # column in the file → record field
    required: tuple[str, ...]
    ignored: tuple[str, ...] = ()  # columns the format has that we do not keep
    split: Callable[[str], list[str]] = split_pipes
    # Rights given as a full statement (Wilson) may create a statement; by name they may not.
    creates_rights: bool = False
    null_words: frozenset[str] = field(default_factory=frozenset)
    # Our own export guards cells against spreadsheet formulas (guard_cell).
    guards_formulas: bool = False

    def field_for(self, column: str) -> str | None:
        return self.columns.get(column)

    def check_header(self, header: list[str]) -> tuple[list[str], list[str]]:
        """The columns this format ignores in the header; raise on missing or unknown ones."""
        missing = [column for column in self.required if column not in header]
        if missing:
            raise ImportFileError(
                f"Required column{'s' if len(missing) > 1 else ''} missing for the "
                f"{self.label} format: {', '.join(missing)}.",
                line=1,
            )
        unknown = [c for c in header if c and c not in self.columns and c not in self.ignored]
        if unknown:
            raise ImportFileError(
                f"Unknown column{'s' if len(unknown) > 1 else ''} for the {self.label} format: "
                f"{', '.join(unknown)}. Known columns: {', '.join(self.columns)}.",
                line=1,
            )
        return [c for c in header if c in self.ignored], [c for c in header if c in self.columns]


NATIVE = Format(
    name="archive",
    label="archive CSV",
    # date_edtf, which the export writes beside date, dates a row too (RowParser reads it
    # only when the file has no date column).
    columns={name: name for name in (*RECORD_FIELDS, "status")} | {"date_edtf": "date"},
    # A file that only updates records by record_id may leave the title out.
    required=(),
    guards_formulas=True,
)

WILSON = Format(
    name="wilson",
    label="Wilson Center export",
    columns={
        "record_id": "record_id",
        "title": "title",
        "original_publication_date": "date",
        "summary": "summary",
        "source": "source",
        "original_archive_title": "original_archive",
        "original_classification": "original_classification",
        "rights": "rights",
        "original_upload_date": "original_upload_date",
        "language": "languages",
        "authors": "authors",
        "associated_people_orgs": "people_and_organizations",
        "associated_places": "places",
        "subjects_discussed": "subjects",
        "donors": "donors",
        "text_body": "text",
    },
    required=("record_id", "title"),
    ignored=(
        "document_url",
        "page_number",
        "page_number_one_indexed",
        "page_position",
        "credits",
        "document_contributors",
        "scraped_at",
    ),
    split=split_json_list,
    creates_rights=True,
)

FORMATS = {fmt.name: fmt for fmt in (NATIVE, WILSON)}


def detect_format(header: list[str]) -> Format:
    """Guess the format from the header: the Wilson export has its own column names."""
    if "original_publication_date" in header or "subjects_discussed" in header:
        return WILSON
    return NATIVE


def is_atom_header(header: list[str]) -> bool:
    """AtoM's accessions CSV, which the import turns into accessions rather than records."""
    return "accessionNumber" in header and "acquisitionDate" in header
