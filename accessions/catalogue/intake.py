"""Accessioning: record an intake, and start catalogue records from it."""

from datetime import date

from accessions.catalogue.editing import save_accession, save_record
from accessions.catalogue.models import Accession, Record


def create_accession(
    *, title: str, date_received: date, user=None, donors=(), **fields
) -> Accession:
    """Create an accession with the next number of the year it was received."""
    accession = Accession(title=title, date_received=date_received, **fields)
    return save_accession(accession=accession, user=user, donors=donors)


def create_record(*, title: str, user=None, record_id: int | None = None, **fields) -> Record:
    """Create a draft record, assigning the next free record id unless one is given."""
    many = {
        field.name: fields.pop(field.name)
        for field in Record._meta.many_to_many
        if field.name in fields
    }
    record = Record(title=title, record_id=record_id, **fields)
    return save_record(record=record, user=user, relations=many)


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
