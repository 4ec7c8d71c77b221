"""Accessioning: record an intake, and start catalogue records from it."""

from datetime import date

from django.db import transaction

from accessions.catalogue.models import Accession, Record, RecordEvent
from accessions.catalogue.numbering import next_accession_number, next_record_id
from accessions.search.indexing import update_search_index


def create_accession(
    *, title: str, date_received: date, user=None, donors=(), **fields
) -> Accession:
    """Create an accession with the next number of the year it was received."""
    with transaction.atomic():
        accession = Accession(title=title, date_received=date_received, created_by=user, **fields)
        accession.number = next_accession_number(date_received.year)
        accession.full_clean()
        accession.save()
        accession.donors.set(donors)
    return accession


def create_record(*, title: str, user=None, record_id: int | None = None, **fields) -> Record:
    """Create a draft record, assigning the next free record id unless one is given."""
    many = {
        name: fields.pop(name)
        for name in (
            "languages",
            "authors",
            "people_and_organizations",
            "places",
            "subjects",
            "collections",
            "donors",
        )
        if name in fields
    }
    with transaction.atomic():
        record = Record(title=title, created_by=user, updated_by=user, **fields)
        record.record_id = record_id or next_record_id()
        record.full_clean()
        record.save()
        for name, values in many.items():
            getattr(record, name).set(values)
        RecordEvent.objects.create(
            record=record, action="created", to_status=record.status, actor=user
        )
        update_search_index(record_pks=[record.pk])
    return record


def create_record_from_accession(*, accession: Accession, user=None, title: str = "") -> Record:
    """Start a draft record from an accession, carrying over its link and its funders.

    Acquisition donors who are not funders stay private to the accession.
    """
    return create_record(
        title=title or accession.title,
        user=user,
        accession=accession,
        donors=list(accession.donors.filter(is_funder=True)),
    )
