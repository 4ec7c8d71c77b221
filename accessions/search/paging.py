"""The pks of a search's page in its order: by date, title or upload here, by relevance
through relevance.py (PostgreSQL's relevance page within the limit comes with the count)."""

from django.db import connection
from django.db.models import F

from accessions.search import relevance

ORDERINGS = {
    "date": [F("date_start").asc(nulls_last=True), "pk"],
    "-date": [F("date_start").desc(nulls_last=True), "-pk"],
    "title": ["sort_title", "pk"],
    "-uploaded": [F("uploaded").desc(nulls_last=True), "-pk"],
}
# The orders whose column may be empty and whose page PostgreSQL reads in two parts.
NEWEST_FIRST = {"-date": "date_start", "-uploaded": "uploaded"}


def newest_first_page(
    entries, column: str, offset: int, limit: int, *, all_dated=False
) -> list[int]:
    """A page of entries by `column` newest first, entries without one last, on PostgreSQL.

    Read backwards, the ascending index puts entries without a value first, so PostgreSQL
    sorted every entry for "DESC NULLS LAST". The dated and undated entries are read apart,
    each from its index and no further than the page, and the page is cut from both. When
    `all_dated` (date filters, which keep dated entries only), there are no undated ones to
    read: looking for them could cost a scan of every entry of a facet value for none.
    """
    end = offset + limit
    dated = entries.filter(**{f"{column}__isnull": False}).order_by(F(column).desc(), "-pk")
    if all_dated:
        return list(dated.values_list("pk", flat=True)[offset:end])
    undated = entries.filter(**{f"{column}__isnull": True}).order_by("-pk")
    both = (
        dated.values_list("pk", column)[:end]
        .union(undated.values_list("pk", column)[:end], all=True)
        .order_by(F(column).desc(nulls_last=True), "-pk")
    )
    return [pk for pk, _ in both[offset:end]]


def page_pks(
    entries,
    keywords,
    sort,
    offset,
    limit,
    *,
    bounded=False,
    walked=None,
    titled=None,
    date_filtered=False,
) -> list[int]:
    """The pks of a page of entries in the sort's order; PostgreSQL's relevance pages come
    with the count (see counting.RankedPage). `date_filtered`: a date filter keeps only
    entries with a start date."""
    if sort in NEWEST_FIRST and connection.vendor == "postgresql":
        column = NEWEST_FIRST[sort]
        all_dated = date_filtered and column == "date_start"
        return newest_first_page(entries, column, offset, limit, all_dated=all_dated)
    if sort != "relevance":
        ordered = entries.order_by(*ORDERINGS[sort])
        return list(ordered.values_list("pk", flat=True)[offset : offset + limit])
    if bounded and connection.vendor == "postgresql":
        return relevance.page_by_tiers(
            entries, keywords, offset, limit, walked=walked, titled=titled
        )
    return relevance.page_of_all(entries, keywords, offset, limit)
