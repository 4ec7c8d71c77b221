"""Numbers read from URLs, query parameters and imported cells: ASCII digits only, bounded.

`str.isdigit()` is true for superscripts, circled digits and other scripts' digits, which
`int()` then refuses or reads as another number; and an unbounded number overflows the
database's integers. Every number that comes from outside is read here.
"""

# The largest value an IntegerField holds on every database (record IDs are one).
INTEGER_LIMIT = 2**31 - 1
# The largest primary key (a BigAutoField) on every database.
PRIMARY_KEY_LIMIT = 2**63 - 1
# The search never pages further than this; a deeper page is not a real link.
PAGE_LIMIT = 100_000


def whole_number(text: str, *, maximum: int = INTEGER_LIMIT) -> int | None:
    """The number written in ASCII digits, from 0 to `maximum`; None for anything else."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def positive_number(text: str, *, maximum: int = INTEGER_LIMIT) -> int | None:
    """whole_number, from 1 up: an ID or a count."""
    number = whole_number(text, maximum=maximum)
    return number if number else None


def primary_key(text: str) -> int | None:
    """A primary key from a URL; None for anything that cannot be one."""
    return positive_number(text, maximum=PRIMARY_KEY_LIMIT)


def page_number(query, *, name: str = "page") -> int | None:
    """The page a query asks for: 1 when it names none, None when it is no page number."""
    text = query.get(name, "").strip()
    if not text:
        return 1
    return positive_number(text, maximum=PAGE_LIMIT)
