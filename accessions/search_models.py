"""The search index: one row per published record, and its facet keys.

Only published records have a SearchEntry, so a draft cannot reach a result or a facet
count even through a forgotten filter. The rows are written by accessions.search.indexing.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from accessions.models import Record


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


class SearchEntry(models.Model):
    """A published record as the search sees it: sort keys and, on PostgreSQL, its text."""

    # No database constraint: these rows are derived and written in bulk, where per-row
    # foreign-key checks would double the cost; update_search_index removes them with their
    # record, and Django's delete cascades to them as well.
    record = models.OneToOneField(
        Record,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_entry",
        db_constraint=False,
    )
    date_start = models.DateField(null=True)
    date_end = models.DateField(null=True)
    sort_title = models.CharField(max_length=500)
    uploaded = models.DateField(null=True)
    # PostgreSQL only (weighted, GIN-indexed); SQLite keeps the text in the search_fts table.
    document = SearchVectorField(null=True)

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [
            models.Index(fields=["date_start", "record"], name="search_entry_date"),
            models.Index(fields=["sort_title", "record"], name="search_entry_title"),
            models.Index(fields=["uploaded", "record"], name="search_entry_uploaded"),
        ]

    def __str__(self):
        return f"search entry of record pk {self.record_id}"


class SearchFacet(models.Model):
    """One facet value of one indexed record; collections and places include their ancestors."""

    pk = models.CompositePrimaryKey("entry", "facet", "value")
    # The primary key (entry, facet, value) already serves lookups by entry; no database
    # constraint, for the reason given on SearchEntry.record.
    entry = models.ForeignKey(
        SearchEntry,
        on_delete=models.CASCADE,
        related_name="facets",
        db_index=False,
        db_constraint=False,
    )
    facet = models.PositiveSmallIntegerField(choices=Facet.choices)
    value = models.IntegerField(help_text="The id of the taxonomy row, or the decade's year.")

    class Meta:
        indexes = [models.Index(fields=["facet", "value", "entry"], name="search_facet_value")]

    def __str__(self):
        return f"{self.get_facet_display()} {self.value} of record pk {self.entry_id}"
