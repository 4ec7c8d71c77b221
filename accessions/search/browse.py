"""Browsing without words: the published total, the visible collections and their records.

Every number here is a kept total of the index (SearchFacetTotal), and every list is read
through the index's keys in date order, so a page costs the same at a thousand records as at
a million, and only published records can appear (the index holds nothing else).
"""

import base64
import binascii
import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, IntegerField, OuterRef, Subquery
from django.db.models.expressions import RawSQL

from accessions.catalogue.models import Collection, Record
from accessions.catalogue.parameters import primary_key
from accessions.search.indexing import ENTRIES_TOTAL
from accessions.search.models import Facet, SearchEntry, SearchFacet, SearchFacetTotal, facet_key

# On SQLite, a collection of more records than this is read by walking the date order.
WALK_FROM = 2000


def published_total() -> int:
    """How many records are published, as the index keeps it."""
    total = SearchFacetTotal.objects.filter(facet=ENTRIES_TOTAL, value=0)
    return total.values_list("count", flat=True).first() or 0


def visible_collections():
    """Collections holding a published record, in themselves or a sub-collection.

    Each carries `published_count`: its published records, sub-collections included, as
    the search's collection filter counts them.
    """
    kept = SearchFacetTotal.objects.filter(
        facet=Facet.COLLECTION, value=OuterRef("pk"), count__gt=0
    ).values("count")
    return Collection.objects.annotate(
        published_count=Subquery(kept, output_field=IntegerField())
    ).filter(published_count__gt=0)


@dataclass(frozen=True)
class Position:
    """Where a page starts or ends in date order: the date (None when undated) and the pk."""

    date: datetime.date | None
    pk: int

    def token(self) -> str:
        """An opaque, URL-safe form for `?after=` and `?before=`."""
        raw = f"{self.date.isoformat() if self.date else ''}~{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> "Position | None":
        """The position a token names; None for anything that is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            day, _, pk_text = raw.partition("~")
            pk = primary_key(pk_text)
            if pk is None:
                return None
            return cls(datetime.date.fromisoformat(day) if day else None, pk)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


@dataclass
class RecordPage:
    """One page of a collection's records in date order, with the positions to move on."""

    records: list[Record]
    next: Position | None
    previous: Position | None


def _row_after(position: Position, *, before: bool = False) -> RawSQL:
    """(date_start, pk) beyond a dated position, as one row comparison.

    Written as a row value, not as an OR of its parts, so that the (date_start, pk) index
    starts its walk at the position: an OR would walk from the first entry, and a deep
    page would cost what all the pages before it do.
    """
    table = SearchEntry._meta.db_table
    operator = "<" if before else ">"
    return RawSQL(
        f'("{table}"."date_start", "{table}"."record_id") {operator} (%s, %s)',
        [position.date, position.pk],
        output_field=BooleanField(),
    )


def _read(entries, size: int, *, after: Position | None) -> list[tuple]:
    """(date, pk) of up to `size` entries after a position (or from the start), forwards.

    Dated entries come first in date order, then the undated ones by pk: two index walks,
    the second only when the page reaches past the dated entries.
    """
    dated = entries.filter(date_start__isnull=False).order_by("date_start", "pk")
    undated = entries.filter(date_start__isnull=True).order_by("pk")
    if after is not None and after.date is None:
        return list(undated.filter(pk__gt=after.pk).values_list("date_start", "pk")[:size])
    if after is not None:
        dated = dated.filter(_row_after(after))
    rows = list(dated.values_list("date_start", "pk")[:size])
    if len(rows) < size:
        rows += list(undated.values_list("date_start", "pk")[: size - len(rows)])
    return rows


def _read_backwards(entries, size: int, *, before: Position) -> list[tuple]:
    """(date, pk) of up to `size` entries before a position, nearest first."""
    dated = entries.filter(date_start__isnull=False).order_by("-date_start", "-pk")
    rows = []
    if before.date is None:
        undated = entries.filter(date_start__isnull=True, pk__lt=before.pk).order_by("-pk")
        rows = list(undated.values_list("date_start", "pk")[:size])
    else:
        dated = dated.filter(_row_after(before, before=True))
    if len(rows) < size:
        rows += list(dated.values_list("date_start", "pk")[: size - len(rows)])
    return rows


def _in_collection(entries, collection: Collection):
    """Entries of a collection and its sub-collections, through the index's facet keys."""
    if connection.vendor == "postgresql":
        # Its planner weighs the keys' GIN index against the date order by its statistics.
        return entries.filter(keys__contains=[facet_key(Facet.COLLECTION, collection.pk)])
    facets = SearchFacet.objects.filter(facet=Facet.COLLECTION, value=collection.pk)
    if getattr(collection, "published_count", 0) > WALK_FROM:
        # SQLite keeps no statistics to choose by: a large collection walks the entries in
        # date order and probes each one's facet row, a page's worth of probes, instead of
        # sorting all its entries for every page.
        return entries.filter(Exists(facets.filter(entry_id=OuterRef("pk"))))
    return entries.filter(pk__in=facets.values("entry_id"))


def published_in_collection(collection: Collection):
    """The published records of a collection and its sub-collections, found by the index."""
    entries = _in_collection(SearchEntry.objects.all(), collection)
    return Record.objects.published().filter(pk__in=entries.values("pk"))


def collection_records(
    collection: Collection,
    *,
    after: Position | None = None,
    before: Position | None = None,
    size: int = 25,
) -> RecordPage:
    """A page of the collection's published records in date order, read by key, not offset.

    `after` gives the page following a position, `before` the page preceding one, neither
    the first page; so the fortieth page costs what the first does.
    """
    entries = _in_collection(SearchEntry.objects.all(), collection)
    if before is not None:
        rows = _read_backwards(entries, size + 1, before=before)
        has_more_before = len(rows) > size
        pks = list(reversed(rows[:size]))
        has_more_after = True
    else:
        rows = _read(entries, size + 1, after=after)
        has_more_after = len(rows) > size
        pks = rows[:size]
        has_more_before = after is not None
    records = (
        Record.objects.published().select_related("document_type").in_bulk([pk for _, pk in pks])
    )
    page = [records[pk] for _, pk in pks if pk in records]
    first, last = (Position(*pks[0]), Position(*pks[-1])) if pks else (None, None)
    return RecordPage(
        records=page,
        next=last if has_more_after and pks else None,
        previous=first if has_more_before and pks else None,
    )
