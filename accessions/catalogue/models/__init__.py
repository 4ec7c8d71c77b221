"""The catalogue's models: vocabularies.py (terms, donors, rights), records.py (accessions,
records, their texts and history)."""

from accessions.catalogue.models.records import (
    SITEMAP_SECTION_SIZE,
    Accession,
    Counter,
    Record,
    RecordEvent,
    RecordQuerySet,
    RecordText,
)
from accessions.catalogue.models.vocabularies import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Repository,
    RightsStatement,
    Subject,
    Taxonomy,
    make_slug,
)

__all__ = [
    "Accession",
    "Agent",
    "Classification",
    "Collection",
    "Counter",
    "DocumentType",
    "Donor",
    "Language",
    "Place",
    "Record",
    "RecordEvent",
    "RecordQuerySet",
    "RecordText",
    "Repository",
    "RightsStatement",
    "SITEMAP_SECTION_SIZE",
    "Subject",
    "Taxonomy",
    "make_slug",
]
