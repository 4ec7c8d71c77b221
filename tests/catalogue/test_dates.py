from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accessions.catalogue.dates import parse_document_date


@pytest.mark.parametrize(
    ("typed", "display", "start", "end", "approximate"),
    [
        ("1963-11-25", "November 25, 1963", date(1963, 11, 25), date(1963, 11, 25), False),
        ("1967-11", "November 1967", date(1967, 11, 1), date(1967, 11, 30), False),
        ("1964-02", "February 1964", date(1964, 2, 1), date(1964, 2, 29), False),
        ("1962", "1962", date(1962, 1, 1), date(1962, 12, 31), False),
        ("1950/1959", "1950–1959", date(1950, 1, 1), date(1959, 12, 31), False),
        ("c. 1962", "c. 1962", date(1962, 1, 1), date(1962, 12, 31), True),
        ("circa 1962-10", "c. October 1962", date(1962, 10, 1), date(1962, 10, 31), True),
        ("1960s", "1960s", date(1960, 1, 1), date(1969, 12, 31), False),
        ("November 1967", "November 1967", date(1967, 11, 1), date(1967, 11, 30), False),
        ("April 1, 1949", "April 1, 1949", date(1949, 4, 1), date(1949, 4, 1), False),
        ("25 November 1963", "November 25, 1963", date(1963, 11, 25), date(1963, 11, 25), False),
        (
            "1962-10-16/1962-10-28",
            "October 16, 1962–October 28, 1962",
            date(1962, 10, 16),
            date(1962, 10, 28),
            False,
        ),
    ],
)
def test_each_accepted_form_gives_display_and_range(typed, display, start, end, approximate):
    parsed = parse_document_date(typed)
    assert (parsed.display, parsed.start, parsed.end, parsed.approximate) == (
        display,
        start,
        end,
        approximate,
    )


@pytest.mark.parametrize("typed", ["undated", "Undated", "n.d."])
def test_undated_has_no_range(typed):
    parsed = parse_document_date(typed)
    assert parsed.display == "Undated"
    assert parsed.start is None and parsed.end is None


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("1963-13-01", "not a real calendar date"),
        ("1963-02-30", "not a real calendar date"),
        ("1967-13", "has no month 13"),
        ("next Tuesday", "is not a date this archive understands"),
        ("1970/1960", "ends (1960) before it starts (1970)"),
        ("", "or “undated”"),
        ("c.", "is not a date this archive understands"),
        ("Smarch 1963", "is not a date this archive understands"),
    ],
)
def test_invalid_dates_are_refused_with_a_clear_message(typed, message_part):
    with pytest.raises(ValidationError) as raised:
        parse_document_date(typed)
    assert message_part in " ".join(raised.value.messages)
