"""Stream rows out of an uploaded CSV file, refusing files that are not text CSV."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
SNIFF_BYTES = 8192

# Signatures of files people rename to .csv by mistake, with what to tell them.
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive or an Excel/OpenDocument workbook; save it as CSV (UTF-8)"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel or Word file; save it as CSV (UTF-8)"),
    (b"%PDF", "a PDF document, not a CSV file"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"\x89PNG", "a PNG image, not a CSV file"),
    (b"\xff\xd8\xff", "a JPEG image, not a CSV file"),
    (b"GIF8", "a GIF image, not a CSV file"),
)

# csv's default field limit (128 KiB) is too small for full translated texts; a larger
# cell is a mistake (a whole file pasted into one cell), refused with this limit.
CELL_LIMIT = 512 * 1024
csv.field_size_limit(CELL_LIMIT)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""

    def __init__(self, message: str, *, line: int | None = None):
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class SourceRow:
    number: int  # the row's position in the file, counting the header as row 1
    line: int  # the physical line where the row ends (rows may span lines)
    values: dict[str, str]
    extra_cells: int = 0  # cells beyond the header's columns that hold something


def max_import_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def file_size(stream: BinaryIO) -> int:
    position = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def check_binary_head(head: bytes) -> None:
    """Refuse binary files early, naming what the file probably is."""
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise ImportFileError(f"This file is {what}.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(
            "This file is encoded as UTF-16; save it as CSV (UTF-8) and upload it again."
        )
    if b"\x00" in head:
        raise ImportFileError("This is a binary file, not a CSV text file.")


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """The file's lines as text, decoded one at a time so that an undecodable byte is
    reported on its own line (a decoder reading ahead in blocks names an earlier one)."""
    for number, line in enumerate(stream, start=1):
        try:
            yield line.removeprefix(codecs.BOM_UTF8 if number == 1 else b"").decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"The file is not UTF-8 text (an undecodable byte on line {number}). "
                "Save it as CSV (UTF-8) and upload it again.",
                line=number,
            ) from None


class CsvSource:
    """Iterate over a CSV file's rows as dicts, streaming from a binary file object.

    The header is read and checked on construction; rows are decoded as UTF-8 (a leading
    byte-order mark is dropped) and never held in memory all at once.
    """

    def __init__(self, stream: BinaryIO, *, max_bytes: int | None = None):
        limit = max_bytes if max_bytes is not None else max_import_bytes()
        size = file_size(stream)
        if size > limit:
            raise ImportFileError(
                f"The file is {size / 1024 / 1024:.0f} MB; the largest file accepted is "
                f"{limit / 1024 / 1024:.0f} MB. Split it into smaller files."
            )
        if size == 0:
            raise ImportFileError("The file is empty.")
        stream.seek(0)
        check_binary_head(stream.read(SNIFF_BYTES))
        stream.seek(0)
        self._reader = csv.reader(_decoded_lines(stream))
        header = self._next_raw()
        if header is None:
            raise ImportFileError("The file has no header row.")
        self.columns = [name.strip() for name in header]
        if not any(self.columns):
            raise ImportFileError("The header row is empty.")
        seen = set()
        for name in self.columns:
            if name in seen:
                raise ImportFileError(f"The column “{name}” appears twice in the header.", line=1)
            seen.add(name)
        self.rows_read = 0

    def _next_raw(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise ImportFileError(
                    f"A cell ending on line {self._reader.line_num} is longer than "
                    f"{CELL_LIMIT:,} characters, the most a cell may hold.",
                    line=self._reader.line_num,
                ) from None
            raise ImportFileError(
                f"The file is not valid CSV near line {self._reader.line_num}: {error}.",
                line=self._reader.line_num,
            ) from None

    def cells(self) -> Iterator[tuple[int, list[str], int]]:
        """(row number, cells, extra cells) per row: one cell per header column, in order."""
        width = len(self.columns)
        number = 1
        while (raw := self._next_raw()) is not None:
            number += 1
            if len(raw) == width:
                if not "".join(raw).strip():
                    continue  # blank lines, often at the end of a spreadsheet export
                extra = 0
            else:
                if not any(cell.strip() for cell in raw):
                    continue
                extra = sum(1 for cell in raw[width:] if cell.strip())
                # Spreadsheets drop trailing empty cells; a missing cell is an empty one.
                raw = raw[:width] + [""] * (width - len(raw))
            self.rows_read += 1
            yield number, raw, extra

    def __iter__(self) -> Iterator[SourceRow]:
        for number, raw, extra in self.cells():
            yield SourceRow(
                number=number,
                line=self._reader.line_num,
                values=dict(zip(self.columns, raw, strict=True)),
                extra_cells=extra,
            )
