"""Changing the objects records point to: edit and rename, merge duplicates, delete.

Each operation moves the records that show the object (accessions.catalogue.propagation), so
that harvesters, sitemaps, feeds and the search index see the change.
"""

from collections.abc import Iterable

from django.db import connection, models

from accessions.catalogue.models import Agent, Classification, DocumentType, Place, Subject
from accessions.catalogue.propagation import records_following, relations_of

# Terms that only records and their own tree refer to; the others (collections, donors,
# archives, rights) are also named by accessions and inquiry routing rules.
MERGEABLE = (Subject, Place, Agent, DocumentType, Classification)


class MergeError(ValueError):
    pass


def save_term(*, term: models.Model, changed_fields: Iterable[str] | None = None) -> int:
    """Save an edited object and move the records showing it; return how many moved."""
    changed = None if changed_fields is None else list(changed_fields)
    with records_following(model=type(term), pks=[term.pk], changed_fields=changed) as moved:
        term.save()
    return moved


def rename_term(*, term: models.Model, name: str) -> int:
    """Give a term a new name (its slug, part of URLs, stays); return the records moved."""
    term.name = name
    term.full_clean(exclude=["slug"])
    return save_term(term=term, changed_fields=["name"])


def delete_terms(*, queryset: models.QuerySet) -> int:
    """Delete these objects; the records that showed them move. Return how many moved."""
    pks = list(queryset.values_list("pk", flat=True))
    with records_following(model=queryset.model, pks=pks) as moved:
        queryset.model.objects.filter(pk__in=pks).delete()
    return moved


def merge_terms(*, keep: models.Model, merged: Iterable[models.Model]) -> int:
    """Fold duplicate terms into `keep`: their records point to `keep` instead, their
    children become its children, and they are deleted. Return the records moved."""
    model = type(keep)
    if model not in MERGEABLE:
        raise MergeError(f"{model._meta.verbose_name_plural.capitalize()} cannot be merged.")
    others = sorted({term.pk for term in merged} - {keep.pk})
    if not others:
        return 0
    if model is Place and _is_below(keep, others):
        raise MergeError(f"“{keep}” lies inside a place being merged into it.")
    with records_following(model=model, pks=others) as moved:
        for field in relations_of(model):
            if field.many_to_many:
                _merge_links(field, keep.pk, others)
            else:
                records = field.model.objects.filter(**{f"{field.attname}__in": others})
                records.update(**{field.attname: keep.pk})
        if model is Place:
            Place.objects.filter(parent__in=others).update(parent=keep)
        model.objects.filter(pk__in=others).delete()
    return moved


def _merge_links(field: models.ManyToManyField, keep: int, others: list[int]) -> None:
    """Link `keep` to every record linked to one of `others`, then drop the old links: an
    INSERT … SELECT and a DELETE, however many records there are."""
    through = field.remote_field.through
    table = connection.ops.quote_name(through._meta.db_table)
    record = connection.ops.quote_name(field.m2m_column_name())
    term = connection.ops.quote_name(field.m2m_reverse_name())
    placeholders = ", ".join(["%s"] * len(others))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({record}, {term}) "
            f"SELECT DISTINCT {record}, %s FROM {table} WHERE {term} IN ({placeholders}) "
            f"AND {record} NOT IN (SELECT {record} FROM {table} WHERE {term} = %s)",
            [keep, *others, keep],
        )
    through.objects.filter(**{f"{field.m2m_reverse_field_name()}__in": others}).delete()


def _is_below(place: Place, pks: list[int]) -> bool:
    seen = set()
    while place.parent_id is not None and place.parent_id not in seen:
        if place.parent_id in pks:
            return True
        seen.add(place.parent_id)
        place = Place.objects.only("parent").get(pk=place.parent_id)
    return False
