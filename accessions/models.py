"""The app's models module, as Django looks for it: each concern's models, under one app label.

The models live with their concern (accessions/<concern>/models.py); gathering them here
keeps one app, `accessions`, so that tables and migrations keep their names.
"""

from accessions.catalogue.models import (
    Accession,
    Agent,
    Classification,
    Collection,
    Counter,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordEvent,
    RecordText,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.inquiries.models import InquiryEvent, OutgoingEmail, RightsInquiry, RoutingRule
from accessions.scans.models import Scan, ScanPage
from accessions.search.models import SearchEntry, SearchFacet, SearchFacetTotal
from accessions.standards.api.models import ApiToken
from accessions.transfer.models import ImportJob, ImportKey

__all__ = [
    "Accession",
    "ApiToken",
    "Agent",
    "Classification",
    "Collection",
    "Counter",
    "DocumentType",
    "Donor",
    "ImportJob",
    "ImportKey",
    "InquiryEvent",
    "Language",
    "OutgoingEmail",
    "Place",
    "Record",
    "RecordEvent",
    "RecordText",
    "Repository",
    "RightsInquiry",
    "RightsStatement",
    "RoutingRule",
    "Scan",
    "ScanPage",
    "SearchEntry",
    "SearchFacet",
    "SearchFacetTotal",
    "Subject",
]
