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
from django.db.models import F, IntegerField, OuterRef, Q, Subquery

from accessions.catalogue.models import Collection, Record
from accessions.search.indexing import ENTRIES_TOTAL
from accessions.search.models import Facet, SearchEntry, SearchFacet, SearchFacetTotal, facet_key


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
            day, _, pk = raw.partition("~")
            return cls(datetime.date.fromisoformat(day) if day else None, int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


@dataclass
class RecordPage:
    """One page of a collection's records in date order, with the positions to move on."""

    records: list[Record]
    next: Position | None
    previous: Position | None


def _after(position: Position) -> Q:
    """Entries after a position in (date, pk) order, undated entries last."""
    if position.date is None:
        return Q(date_start__isnull=True, pk__gt=position.pk)
    return (
        Q(date_start__gt=position.date)
        | Q(date_start=position.date, pk__gt=position.pk)
        | Q(date_start__isnull=True)
    )


def _before(position: Position) -> Q:
    """Entries before a position in (date, pk) order, undated entries last."""
    if position.date is None:
        return Q(date_start__isnull=False) | Q(date_start__isnull=True, pk__lt=position.pk)
    return Q(date_start__lt=position.date) | Q(date_start=position.date, pk__lt=position.pk)


def _in_collection(entries, collection: Collection):
    """Entries of a collection and its sub-collections, through the index's facet keys."""
    if connection.vendor == "postgresql":
        return entries.filter(keys__contains=[facet_key(Facet.COLLECTION, collection.pk)])
    facets = SearchFacet.objects.filter(facet=Facet.COLLECTION, value=collection.pk)
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
    # Undated records last, on both databases (SQLite would put NULL first).
    if before is not None:
        # Read backwards from the position, then put the page back in reading order.
        backwards = entries.filter(_before(before)).order_by(
            F("date_start").desc(nulls_first=True), "-pk"
        )
        pks = list(backwards.values_list("date_start", "pk")[: size + 1])
        has_more_before = len(pks) > size
        pks = list(reversed(pks[:size]))
        has_more_after = True
    else:
        if after is not None:
            entries = entries.filter(_after(after))
        forwards = entries.order_by(F("date_start").asc(nulls_last=True), "pk")
        pks = list(forwards.values_list("date_start", "pk")[: size + 1])
        has_more_after = len(pks) > size
        pks = pks[:size]
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
