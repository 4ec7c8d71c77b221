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


@pytest.mark.parametrize(
    ("typed", "edtf"),
    [
        ("1963-11-25", "1963-11-25"),
        ("November 25, 1963", "1963-11-25"),
        ("1967-11", "1967-11"),
        ("1962", "1962"),
        ("1950/1959", "1950/1959"),
        ("c. 1962", "1962~"),
        ("circa 1962-10", "1962-10~"),
        ("c. 1950/1959", "1950~/1959~"),
        ("1960s", "196X"),
        ("c. 1960s", "196X~"),
        ("undated", "XXXX"),
    ],
)
def test_the_archives_own_forms_have_an_edtf_form(typed, edtf):
    assert parse_document_date(typed).edtf == edtf


@pytest.mark.parametrize(
    ("typed", "display", "start", "end", "approximate"),
    [
        ("1962~", "c. 1962", date(1962, 1, 1), date(1962, 12, 31), True),
        ("1962?", "1962?", date(1962, 1, 1), date(1962, 12, 31), False),
        ("1962%", "c. 1962?", date(1962, 1, 1), date(1962, 12, 31), True),
        ("196X", "1960s", date(1960, 1, 1), date(1969, 12, 31), False),
        ("19XX", "1900s", date(1900, 1, 1), date(1999, 12, 31), False),
        ("1963-XX", "1963", date(1963, 1, 1), date(1963, 12, 31), False),
        ("1963-11-XX", "November 1963", date(1963, 11, 1), date(1963, 11, 30), False),
        ("1963-21", "Spring 1963", date(1963, 3, 1), date(1963, 5, 31), False),
        ("1950~/1959", "c. 1950–1959", date(1950, 1, 1), date(1959, 12, 31), True),
        ("1984?/2004-06", "1984?–June 2004", date(1984, 1, 1), date(2004, 6, 30), False),
        ("2004-06~-11", "c. June 11, 2004", date(2004, 6, 11), date(2004, 6, 11), True),
        ("XXXX", "Undated", None, None, False),
    ],
)
def test_edtf_gives_display_range_and_keeps_its_form(typed, display, start, end, approximate):
    parsed = parse_document_date(typed)
    assert (parsed.display, parsed.start, parsed.end, parsed.approximate) == (
        display,
        start,
        end,
        approximate,
    )
    assert parsed.edtf == typed


def test_an_approximate_uncertain_date_is_edtf_percent():
    parsed = parse_document_date("c. 1962?")
    assert (parsed.display, parsed.edtf) == ("c. 1962?", "1962%")


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("1960/..", "a range needs both its ends"),
        ("../1960", "a range needs both its ends"),
        ("1960/", "a range needs both its ends"),
        ("[1962, 1963]", "EDTF sets and lists"),
        ("{1962, 1963}", "EDTF sets and lists"),
        ("1963-11-25T10:00:00", "no time of day"),
        ("Y170000002", "years from 1 to 9999"),
        ("-0500", "years from 1 to 9999"),
        ("0000", "years from 1 to 9999"),
        ("0000s", "years from 1 to 9999"),
        ("1950~/1940", "ends (1940) before it starts (1950~)"),
        ("1962-06-31~", "not a date this archive understands"),
        ("<script>alert(1)</script>", "not a date this archive understands"),
        ("1962~~", "not a date this archive understands"),
        ("x" * 100, "not a date this archive understands"),
    ],
)
def test_invalid_edtf_is_refused_with_a_clear_message(typed, message_part):
    with pytest.raises(ValidationError) as raised:
        parse_document_date(typed)
    assert message_part in " ".join(raised.value.messages)


def test_the_edtf_form_of_every_accepted_date_is_valid_edtf():
    from edtf import parse_edtf

    for typed in ("c. 1950/1959", "c. 1962?", "1960s", "c. 1960s", "November 1967", "1950s/1960s"):
        edtf = parse_document_date(typed).edtf
        assert parse_edtf(edtf) is not None, edtf
