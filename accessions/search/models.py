"""The search index: one row per published record, and its facet keys.

Only published records have a SearchEntry, so a draft cannot reach a result or a facet
count even through a forgotten filter. The rows are written by accessions.search.indexing.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from accessions.catalogue.models import Record


class Facet(models.IntegerChoices):
    """The facet kinds stored in SearchFacet.facet; the numbers are stored, never reuse one."""

    LANGUAGE = 1, "Language"
    COLLECTION = 2, "Collection"
    SUBJECT = 3, "Subject"
    PLACE = 4, "Place"
    PERSON = 5, "Person or organisation"
    REPOSITORY = 6, "Original archive"
    DONOR = 7, "Donor"
    CLASSIFICATION = 8, "Classification"
    TYPE = 9, "Type"
    TRANSLATION = 10, "Has a translation in"
    DECADE = 11, "Decade"
    SCAN = 12, "Has scans"


# A facet key packs (facet, value) into one integer: facet * FACET_KEY_BASE + value. The
# largest facet number times the base stays below 2**31, so the keys fit PostgreSQL's integer.
FACET_KEY_BASE = 100_000_000


# Not a facet: the sample levels of the estimates (estimates.py). An entry whose pk is a
# multiple of a power of two s (1 to SAMPLE_LEVELS_UP_TO) carries the key
# SAMPLE_LEVEL * FACET_KEY_BASE + s, so that "the entries of the sample of stride s" is one
# more key in the GIN index the words and facet keys share: a sample of a search is then one
# index scan, which steps through the words' long lists by the level's short one.
SAMPLE_LEVEL = 13
SAMPLE_LEVELS_UP_TO = 1024
# PostgreSQL also keeps the GIN index of the words and keys for the entries of these sample
# strides alone (migrations 0025 and 0028: partial indexes, "WHERE record_id % s = 0").
# Reading a sample through the full index decodes the whole list of every word and facet
# value it names (a common word's 700,000 entries, 10-20 ms each time); a sample's own index
# holds an eighth, a sixteenth, a 128th or a 1024th of each list. A sample of stride s reads
# the index of the largest of these that divides s. (Strides 2 and 4 read the full index: an
# index of a half or a quarter of the entries would cost the rebuild 17-33 s more.)
SAMPLE_INDEX_STRIDES = (8, 16, 128, 1024)


# PostgreSQL also keeps the entries of the samples of these strides in B-trees of their
# dates, which hold their keys too (migration 0029). A sample whose only filters are dates
# reads the index of the largest of these that divides its stride, in date order from the
# dates asked for, and never the rows: the GIN index of the sample's key cannot test dates,
# so each entry it found had its row read for them (2 µs a row, against 0.2 µs an index
# entry, on the development machine). Smaller strides read the GIN index as before.
DATE_SAMPLE_INDEX_STRIDES = (16, 128)


def sample_index_stride(stride: int) -> int | None:
    """The stride of the partial index that holds the sample of stride `stride`, if any."""
    return max((each for each in SAMPLE_INDEX_STRIDES if stride % each == 0), default=None)


def facet_key(facet: int, value: int) -> int:
    if not 0 <= value < FACET_KEY_BASE:
        raise ValueError(f"facet value {value} does not fit a facet key")
    return int(facet) * FACET_KEY_BASE + value


class FacetKeysField(ArrayField):
    """integer[] on PostgreSQL; SQLite has no arrays and keeps the column empty (NULL)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("base_field", models.IntegerField())
        super().__init__(**kwargs)

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return super().db_type(connection)
        return "text"

    def get_placeholder_sql(self, value, compiler, connection):
        if connection.vendor == "postgresql":
            return super().get_placeholder_sql(value, compiler, connection)
        return "%s", (value,)


class SearchEntry(models.Model):
    """A published record as the search sees it: sort keys and, on PostgreSQL, its text."""

    # Derived rows, written in bulk: no database constraint (per-row foreign-key checks would
    # double the cost) and no cascade, because update_search_index must see a deleted record's
    # facet rows to keep SearchFacetTotal right. Every delete path calls it, like every write.
    record = models.OneToOneField(
        Record,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        related_name="search_entry",
        db_constraint=False,
    )
    date_start = models.DateField(null=True)
    date_end = models.DateField(null=True)
    sort_title = models.CharField(max_length=500)
    uploaded = models.DateField(null=True)
    # PostgreSQL only (weighted, GIN-indexed); SQLite keeps the text in the search_fts table.
    document = SearchVectorField(null=True)
    # PostgreSQL only: the title's words alone, GIN-indexed with the keys (migrations 0024
    # and 0027). Relevance puts the records whose title holds every word first (relevance.py;
    # the README's "Relevance"); its own index finds them without reading the rows of a word's
    # other matches.
    title_document = SearchVectorField(null=True)
    # PostgreSQL only: the entry's facet keys (see facet_key), a copy of its SearchFacet rows
    # on the row itself, GIN-indexed. A facet filter is then a test of the row the other
    # filters already read, or a bitmap AND of index lists, where joining the facet rows of
    # two large values read hundreds of thousands of index entries per request. Stored in
    # ascending order, from index 1 and without NULL elements, so that each facet's keys sit
    # side by side: counting one facet expands only its part of the array, found by
    # bisecting it (facet_counting._keys_slices).
    keys = FacetKeysField(null=True)

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [
            # date_end rides along so that date filters, which test both ends of a record's
            # range, are answered from the index without reading the table's rows (which
            # carry the whole text vector on PostgreSQL).
            models.Index(fields=["date_start", "date_end", "record"], name="search_entry_dates"),
            models.Index(fields=["sort_title", "record"], name="search_entry_title"),
            models.Index(fields=["uploaded", "record"], name="search_entry_uploaded"),
        ]
        # PostgreSQL also indexes the length of each date range, in days (migration 0026):
        # the longest is then one step away, and bounds where the records a date filter
        # finds can start (SearchFilter.longest_span).

    def __str__(self):
        return f"search entry of record pk {self.record_id}"


class SearchFacet(models.Model):
    """One facet value of one indexed record; collections and places include their ancestors."""

    pk = models.CompositePrimaryKey("entry", "facet", "value")
    # The primary key (entry, facet, value) already serves lookups by entry; no constraint
    # and no cascade, for the reasons given on SearchEntry.record.
    entry = models.ForeignKey(
        SearchEntry,
        on_delete=models.DO_NOTHING,
        related_name="facets",
        db_index=False,
        db_constraint=False,
    )
    facet = models.PositiveSmallIntegerField(choices=Facet.choices)
    value = models.IntegerField(help_text="The id of the taxonomy row, or the decade's year.")

    # SQLite finds a value's entries through an index on (facet, value, entry), made by
    # migration 0013 there only: PostgreSQL filters and counts by SearchEntry.keys, and
    # building that index was a fifteenth of its rebuild.

    def __str__(self):
        return f"{self.get_facet_display()} {self.value} of record pk {self.entry_id}"


class SearchFacetTotal(models.Model):
    """How many published records carry each facet value, kept as the index changes.

    The unfiltered search page, the commonest request, reads its counts here instead of
    counting every facet row. Facet 0, value 0 counts the published records themselves.
    """

    pk = models.CompositePrimaryKey("facet", "value")
    facet = models.PositiveSmallIntegerField()
    value = models.IntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # The browse page lists each facet's values with the most records first; at a
            # million records, sorting a facet's thousands of totals cost 15-25 ms a page.
            models.Index(
                fields=["facet", "-count", "value"],
                name="search_total_top",
                condition=models.Q(count__gt=0),
            )
        ]

    def __str__(self):
        return f"facet {self.facet} value {self.value}: {self.count}"
