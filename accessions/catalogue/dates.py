"""Parse document dates as staff type them into a display form, a normalised range and EDTF.

Staff may type the archive's own forms (“c. 1962”, “1960s”, “November 1967”) or the Library
of Congress's Extended Date/Time Format (ISO 8601-2), which the `edtf` package parses:
“1962~” (approximate), “1962?” (uncertain), “196X” (a decade), “1963-21” (spring 1963),
“1950~/1959”. Every date is kept in its EDTF form too, the form archives exchange.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from edtf import (
    DateAndTime,
    EDTFParseException,
    MultipleDates,
    OneOfASet,
    parse_edtf,
    struct_time_to_date,
)

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

UNDATED_WORDS = {"undated", "n.d.", "nd", "no date", "date unknown", "date not known"}
APPROXIMATE = re.compile(r"^(?:circa|about|ca\.?|c\.?)\s*(?P<rest>[^.\s].*)$", re.IGNORECASE)
ISO_DAY = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
ISO_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")
YEAR = re.compile(r"^(?P<y>\d{4})$")
DECADE = re.compile(r"^(?P<y>\d{3}0)s$")
MONTH_DAY_YEAR = re.compile(r"^(?P<month>[a-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$", re.I)
DAY_MONTH_YEAR = re.compile(r"^(?P<d>\d{1,2})\s+(?P<month>[a-z]+)\.?,?\s+(?P<y>\d{4})$", re.I)
MONTH_YEAR = re.compile(r"^(?P<month>[a-z]+)\.?,?\s+(?P<y>\d{4})$", re.I)

FORMS_HELP = (
    "Use one of: 1963-11-25, 1967-11, 1962, 1950/1959, c. 1962, 1960s, "
    "November 25, 1963, November 1967, or “undated”; or EDTF such as 1962~ (approximate), "
    "1962? (uncertain), 196X (a decade), 1963-21 (spring 1963) or 1950~/1959."
)
# EDTF's "XXXX", a year not given: how the archive writes a document that is undated.
UNDATED_EDTF = "XXXX"
EDTF_SEASONS = {21: "Spring", 22: "Summer", 23: "Autumn", 24: "Winter"}
SEASON = re.compile(r"^(?P<y>\d{4})-(?P<season>2[1-4])\b")


@dataclass(frozen=True)
class ParsedDate:
    display: str
    start: date | None
    end: date | None
    approximate: bool = False
    edtf: str = ""

    @property
    def is_undated(self) -> bool:
        return self.start is None


def _month_number(name: str) -> int | None:
    return MONTHS.get(name.lower().rstrip("."))


def _build_day(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ValidationError(
            f"“{original}” is not a real calendar date ({error}).", code="invalid_date"
        ) from None


def _month_range(year: int, month: int, original: str) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise ValidationError(f"“{original}” has no month {month}.", code="invalid_date")
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def _parse_single(text: str, original: str) -> ParsedDate:
    """Parse one date (no range, no approximation marker)."""
    if match := ISO_DAY.match(text):
        day = _build_day(int(match["y"]), int(match["m"]), int(match["d"]), original)
        return _day(day)
    if (match := ISO_MONTH.match(text)) and int(match["m"]) not in EDTF_SEASONS:
        return _month(*_month_range(int(match["y"]), int(match["m"]), original))
    if match := YEAR.match(text):
        year = int(match["y"])
        return ParsedDate(str(year), date(year, 1, 1), date(year, 12, 31), edtf=f"{year:04d}")
    if match := DECADE.match(text):
        year = int(match["y"])
        edtf = f"{year // 10:03d}X"
        return ParsedDate(f"{year}s", date(year, 1, 1), date(year + 9, 12, 31), edtf=edtf)
    for pattern in (MONTH_DAY_YEAR, DAY_MONTH_YEAR):
        if (match := pattern.match(text)) and (month := _month_number(match["month"])):
            return _day(_build_day(int(match["y"]), month, int(match["d"]), original))
    if (match := MONTH_YEAR.match(text)) and (month := _month_number(match["month"])):
        return _month(*_month_range(int(match["y"]), month, original))
    raise ValidationError(
        f"“{original}” is not a date this archive understands. {FORMS_HELP}", code="unknown_form"
    )


def _day(day: date) -> ParsedDate:
    display = f"{calendar.month_name[day.month]} {day.day}, {day.year}"
    return ParsedDate(display, day, day, edtf=day.isoformat())


def _month(start: date, end: date) -> ParsedDate:
    display = f"{calendar.month_name[start.month]} {start.year}"
    return ParsedDate(display, start, end, edtf=start.strftime("%Y-%m"))


def _approximate_edtf(edtf: str) -> str:
    """EDTF's approximate form: “1962~”, and both ends of a range (“1950~/1959~”); “1962%”
    for a date both uncertain and approximate."""
    qualified = {"?": "%", "~": "~", "%": "%"}
    return "/".join(
        part[:-1] + qualified[part[-1]] if part[-1] in qualified else f"{part}~"
        for part in edtf.split("/")
    )


def _described(start: date, end: date) -> str:
    """A range in words at the precision it spans: a day, a month, a year, a decade…"""
    if start == end:
        return _day(start).display
    last_of_month = calendar.monthrange(end.year, end.month)[1]
    whole_months = start.day == 1 and end.day == last_of_month
    if whole_months and (start.year, start.month) == (end.year, end.month):
        return _month(start, end).display
    if whole_months and (start.month, end.month) == (1, 12):
        span = end.year - start.year + 1
        if span == 1:
            return str(start.year)
        if span in (10, 100) and start.year % span == 0:
            return f"{start.year}s"
        return f"{start.year}–{end.year}"
    if whole_months:
        return f"{_month(start, start).display}–{_month(end, end).display}"
    return f"{_day(start).display}–{_day(end).display}"


@lru_cache(maxsize=1024)
def _edtf_part(text: str, original: str) -> ParsedDate:
    """One EDTF date (not an interval), through the `edtf` package."""
    try:
        parsed = parse_edtf(text)
    except EDTFParseException:
        raise ValidationError(
            f"“{original}” is not a date this archive understands. {FORMS_HELP}",
            code="invalid_date",
        ) from None
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(
            f"“{original}”: the archive keeps years from 1 to 9999.", code="invalid_date"
        ) from None
    if isinstance(parsed, (OneOfASet, MultipleDates)):
        raise ValidationError(
            f"“{original}”: EDTF sets and lists ([…], {{…}}) are not kept; give the range "
            "they fall in, such as 1962/1963, with ? if it is uncertain.",
            code="invalid_date",
        )
    if isinstance(parsed, DateAndTime):
        raise ValidationError(
            f"“{original}”: a document date has no time of day.", code="invalid_date"
        )
    try:
        start = struct_time_to_date(parsed.lower_strict())
        end = struct_time_to_date(parsed.upper_strict())
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(
            f"“{original}”: the archive keeps years from 1 to 9999.", code="invalid_date"
        ) from None
    if season := SEASON.match(text):
        display = f"{EDTF_SEASONS[int(season['season'])]} {season['y']}"
    else:
        display = _described(start, end)
    approximate = "~" in text or "%" in text
    if approximate:
        display = f"c. {display}"
    if "?" in text or "%" in text:
        display = f"{display}?"
    return ParsedDate(display, start, end, approximate=approximate, edtf=text)


def _parse_edtf(text: str, original: str) -> ParsedDate:
    """An EDTF date or interval; both ends of an interval must be known."""
    if "/" not in text:
        return _edtf_part(text, original)
    first, _, last = text.partition("/")
    if not first or not last or ".." in text:
        raise ValidationError(
            f"“{original}”: a range needs both its ends; the archive keeps no open ranges.",
            code="invalid_date",
        )
    start, end = _edtf_part(first, original), _edtf_part(last, original)
    return _range(start, end, original, first=first, last=last)


def _range(start: ParsedDate, end: ParsedDate, original: str, *, first: str, last: str):
    if end.end < start.start:
        raise ValidationError(
            f"“{original}”: the range ends ({last}) before it starts ({first}).",
            code="reversed_range",
        )
    return ParsedDate(
        f"{start.display}–{end.display}",
        start.start,
        end.end,
        approximate=start.approximate or end.approximate,
        edtf=f"{start.edtf}/{end.edtf}",
    )


def parse_document_date(value: str) -> ParsedDate:
    """Parse a document date; raise ValidationError with a message staff can act on."""
    original = (value or "").strip()
    text = re.sub(r"\s+", " ", original)
    if not text:
        raise ValidationError(
            "Enter the document's date, or “undated” if it has none.", code="required"
        )
    if text.lower() in UNDATED_WORDS or text == UNDATED_EDTF:
        return ParsedDate("Undated", None, None, edtf=UNDATED_EDTF)
    if match := APPROXIMATE.match(text):
        inner = parse_document_date(match["rest"])
        if inner.is_undated:
            raise ValidationError(f"“{original}”: an approximate date needs a date after “c.”.")
        edtf = _approximate_edtf(inner.edtf)
        display = inner.display if inner.approximate else f"c. {inner.display}"
        return ParsedDate(display, inner.start, inner.end, True, edtf)
    try:
        if "/" in text:
            first, _, last = (part.strip() for part in text.partition("/"))
            start, end = _parse_single(first, original), _parse_single(last, original)
            return _range(start, end, original, first=first, last=last)
        return _parse_single(text, original)
    except ValidationError as error:
        if error.code != "unknown_form":
            raise
    except ValueError:
        # Python's dates run from year 1 to 9999 (“0000”, “0000s”).
        raise ValidationError(
            f"“{original}”: the archive keeps years from 1 to 9999.", code="invalid_date"
        ) from None
    return _parse_edtf(text, original)


def validate_document_date(value: str) -> None:
    """Field validator: accept blank (not yet catalogued) or any parseable date."""
    if value and value.strip():
        parse_document_date(value)
