"""Which records a change to a related object touches, and moving them: the one place.

A record's public forms (its page, OAI-PMH, citations, the feeds, the search index) show the
names and texts of the objects it points to: its rights statement, vocabulary terms,
collections, donors, the archive that holds the original. When one of those changes, every
record showing it has changed too. propagate_change moves those records' updated_at (the
OAI-PMH datestamp, the sitemap's lastmod, the feed's updated) and rebuilds their search index
entries, in the transaction of the change and in set-based statements: one UPDATE whose
WHERE reads the relation, then the index in its chunks.
"""

from collections.abc import Collection as Sized
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accessions.catalogue.models import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordText,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.search.indexing import update_search_index

# The related objects whose changes records show, with the fields no public form shows.
PUBLIC_RELATED = {
    RightsStatement: set(),
    Repository: set(),
    Classification: set(),
    DocumentType: set(),
    Subject: set(),
    Place: set(),
    Agent: set(),
    Collection: set(),
    Language: set(),
    # Donors' contact details are for rights managers only.
    Donor: {"email", "phone", "address", "contact_notes"},
}
# Trees whose facets count a record under each ancestor: moving a branch touches its records.
TREES = {Collection, Place}


def relations_of(model: type[models.Model]) -> list[models.Field]:
    """The fields of Record that point to `model` (authors and people both point to Agent)."""
    return [
        field
        for field in Record._meta.get_fields()
        if (field.many_to_one or field.many_to_many)
        and not field.auto_created
        and field.related_model is model
    ]


def _with_descendants(model, pks: list[int]) -> list[int]:
    found, frontier = set(pks), set(pks)
    while frontier:
        frontier = set(model.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        frontier -= found
        found |= frontier
    return sorted(found)


def shows_public_change(model: type[models.Model], changed_fields: Iterable[str] | None) -> bool:
    """Whether a change of these fields (None: unknown, so any) reaches a public form."""
    if model not in PUBLIC_RELATED:
        return False
    if changed_fields is None:
        return True
    return bool(set(changed_fields) - PUBLIC_RELATED[model])


def records_showing(
    *, model: type[models.Model], pks: Sized[int], changed_fields: Iterable[str] | None = None
) -> models.QuerySet:
    """The records whose public forms show these objects of `model`, as one query."""
    pks = list(pks)
    if model in TREES and (changed_fields is None or "parent" in changed_fields):
        pks = _with_descendants(model, pks)
    condition = Q(pk__in=[])
    for field in relations_of(model):
        if field.many_to_many:
            through = field.remote_field.through
            linked = through.objects.filter(**{f"{field.m2m_reverse_field_name()}__in": pks})
            condition |= Q(pk__in=linked.values(field.m2m_field_name()))
        else:
            condition |= Q(**{f"{field.attname}__in": pks})
    if model is Language:
        # A text's language shows on the page and in the translation facet.
        condition |= Q(pk__in=RecordText.objects.filter(language__in=pks).values("record"))
    return Record.objects.filter(condition)


@contextmanager
def records_following(
    *,
    model: type[models.Model],
    pks: Sized[int],
    changed_fields: Iterable[str] | None = None,
) -> Iterator[int]:
    """Around a change of these objects: move the updated_at of the records showing them
    before it, rebuild their search index entries after it, all in one transaction.

    Yields how many records moved. The records are found before the change, so that a merge
    or a delete, which unlinks them, still reaches them. `changed_fields` names what changes
    (None: anything); a change no public form shows moves nothing.
    """
    with transaction.atomic():
        if not pks or not shows_public_change(model, changed_fields):
            yield 0
            return
        records = records_showing(model=model, pks=pks, changed_fields=changed_fields)
        # The index holds published records only; the others have no entry to rebuild.
        published = list(records.published().values_list("pk", flat=True))
        moved = records.update(updated_at=timezone.now())
        yield moved
        update_search_index(record_pks=published)


def propagate_change(
    *,
    model: type[models.Model],
    pks: Sized[int],
    changed_fields: Iterable[str] | None = None,
) -> int:
    """After a change that left the records linked (a rename, an edit): move those records
    and rebuild their index entries; return how many moved."""
    with records_following(model=model, pks=pks, changed_fields=changed_fields) as moved:
        return moved
