"""Saving what staff edit: records and their texts, accessions, donors and vocabulary terms.

The admin and the staff API both save through these functions, so that a record written by
either gets the same validation, the same history entry, and the same search index entry and
page cache drop.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accessions.catalogue.models import Accession, Agent, Record, RecordEvent, RecordText
from accessions.catalogue.models.vocabularies import make_slug
from accessions.catalogue.numbering import next_accession_number, next_record_id
from accessions.catalogue.page_cache import forget_public_pages
from accessions.catalogue.terms import save_term
from accessions.search.indexing import update_search_index


def _save_row(instance: models.Model) -> None:
    """Save a validated row; a constraint only the database sees becomes a ValidationError."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError(
            f"This {instance._meta.verbose_name} conflicts with one already saved: {error}"
        ) from None


def save_record(
    *,
    record: Record,
    user,
    relations: dict[str, Iterable] | None = None,
    save_related: Callable[[Record], None] | None = None,
) -> Record:
    """Create or update a record with its lists; a new one gets its number and a history entry.

    `relations` sets many-to-many fields by name; `save_related` saves what else belongs to
    the record (the admin's inline texts) before the search index is brought up to date.
    """
    created = record._state.adding
    with transaction.atomic():
        if created:
            record.created_by = user
            if not record.record_id:
                record.record_id = next_record_id()
        record.updated_by = user
        record.full_clean()
        _save_row(record)
        for name, values in (relations or {}).items():
            getattr(record, name).set(values)
        if save_related is not None:
            save_related(record)
        if created:
            RecordEvent.objects.create(
                record=record, action="created", to_status=record.status, actor=user
            )
        update_search_index(record_pks=[record.pk])
    return record


def save_record_text(*, text: RecordText, user) -> RecordText:
    """Create or update one text of a record; the record's page and index entry follow."""
    with transaction.atomic():
        text.full_clean()
        _save_row(text)
        # The record's page, OAI record and citations show its texts: it has changed too.
        Record.objects.filter(pk=text.record_id).update(updated_by=user, updated_at=timezone.now())
        update_search_index(record_pks=[text.record_id])
    return text


def save_accession(*, accession: Accession, user, donors: Iterable | None = None) -> Accession:
    """Create or update an accession; a new one gets the next number of its year."""
    with transaction.atomic():
        if accession._state.adding:
            accession.number = next_accession_number(accession.date_received.year)
            accession.created_by = user
        accession.full_clean()
        _save_row(accession)
        if donors is not None:
            accession.donors.set(donors)
    return accession


def save_shown_object(
    *, instance: models.Model, changed_fields: Iterable[str] | None = None
) -> models.Model:
    """Create or update a vocabulary term, donor or rights statement that records show.

    An edit moves the records showing it (catalogue.propagation); either way the cached
    public pages go, since names and descriptions appear on pages no record moves.
    """
    with transaction.atomic():
        if hasattr(instance, "slug") and not instance.slug and getattr(instance, "name", ""):
            # Derived here, before validation, so that a clash is a field error, not a crash.
            instance.slug = make_slug(instance.name)
        if isinstance(instance, Agent):
            # The name parts a person's citations need; the check constraint asks for them.
            instance.derive_name_parts()
        instance.full_clean()
        if instance._state.adding:
            _save_row(instance)
        else:
            try:
                with transaction.atomic():
                    save_term(term=instance, changed_fields=changed_fields)
            except IntegrityError as error:
                raise ValidationError(f"This change conflicts with a saved row: {error}") from None
        forget_public_pages()
    return instance
