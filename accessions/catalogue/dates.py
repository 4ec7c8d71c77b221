"""Parse document dates as staff type them into a display form and a normalised range."""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

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
    "November 25, 1963, November 1967, or “undated”."
)


@dataclass(frozen=True)
class ParsedDate:
    display: str
    start: date | None
    end: date | None
    approximate: bool = False

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
        return ParsedDate(f"{calendar.month_name[day.month]} {day.day}, {day.year}", day, day)
    if match := ISO_MONTH.match(text):
        start, end = _month_range(int(match["y"]), int(match["m"]), original)
        return ParsedDate(f"{calendar.month_name[start.month]} {start.year}", start, end)
    if match := YEAR.match(text):
        year = int(match["y"])
        return ParsedDate(str(year), date(year, 1, 1), date(year, 12, 31))
    if match := DECADE.match(text):
        year = int(match["y"])
        return ParsedDate(f"{year}s", date(year, 1, 1), date(year + 9, 12, 31))
    for pattern in (MONTH_DAY_YEAR, DAY_MONTH_YEAR):
        if (match := pattern.match(text)) and (month := _month_number(match["month"])):
            day = _build_day(int(match["y"]), month, int(match["d"]), original)
            return ParsedDate(f"{calendar.month_name[month]} {day.day}, {day.year}", day, day)
    if (match := MONTH_YEAR.match(text)) and (month := _month_number(match["month"])):
        start, end = _month_range(int(match["y"]), month, original)
        return ParsedDate(f"{calendar.month_name[month]} {start.year}", start, end)
    raise ValidationError(
        f"“{original}” is not a date this archive understands. {FORMS_HELP}", code="invalid_date"
    )


def parse_document_date(value: str) -> ParsedDate:
    """Parse a document date; raise ValidationError with a message staff can act on."""
    original = (value or "").strip()
    text = re.sub(r"\s+", " ", original)
    if not text:
        raise ValidationError(
            "Enter the document's date, or “undated” if it has none.", code="required"
        )
    if text.lower() in UNDATED_WORDS:
        return ParsedDate("Undated", None, None)
    if match := APPROXIMATE.match(text):
        inner = parse_document_date(match["rest"])
        if inner.is_undated:
            raise ValidationError(f"“{original}”: an approximate date needs a date after “c.”.")
        return ParsedDate(f"c. {inner.display}", inner.start, inner.end, approximate=True)
    if "/" in text:
        first, _, last = (part.strip() for part in text.partition("/"))
        start, end = _parse_single(first, original), _parse_single(last, original)
        if end.end < start.start:
            raise ValidationError(
                f"“{original}”: the range ends ({last}) before it starts ({first}).",
                code="reversed_range",
            )
        return ParsedDate(f"{start.display}–{end.display}", start.start, end.end)
    return _parse_single(text, original)


def validate_document_date(value: str) -> None:
    """Field validator: accept blank (not yet catalogued) or any parseable date."""
    if value and value.strip():
        parse_document_date(value)
