"""Numbers from URLs, parameters and cells: ASCII digits only, within bounds."""

import pytest
from django.http import QueryDict

from accessions.catalogue.parameters import (
    INTEGER_LIMIT,
    PAGE_LIMIT,
    page_number,
    positive_number,
    whole_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("7", 7), ("007", 7), (str(INTEGER_LIMIT), INTEGER_LIMIT)],
)
def test_ascii_digits_within_the_limit_are_read(text, number):
    assert whole_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 7",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "²",
        "①",
        "١٢",
        "𝟗",
        "٣",
        str(INTEGER_LIMIT + 1),
        "9" * 40,
    ],
)
def test_anything_but_ascii_digits_within_the_limit_is_no_number(text):
    assert whole_number(text) is None


def test_positive_numbers_start_at_one():
    assert positive_number("0") is None
    assert positive_number("1") == 1


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("", 1),
        ("page=", 1),
        ("page=3", 3),
        (f"page={PAGE_LIMIT}", PAGE_LIMIT),
        (f"page={PAGE_LIMIT + 1}", None),
        ("page=0", None),
        ("page=²", None),
        ("page=two", None),
    ],
)
def test_page_number_is_one_when_absent_and_none_when_no_page(query, page):
    assert page_number(QueryDict(query)) == page
