"""Every vocabulary list of some records in one query, for the record page and its machine forms.

A record page shows seven lists (languages, authors, people and organisations, places,
subjects, collections, donors). prefetch_related reads them in seven queries, and building
those seven querysets cost more than the database did to answer them. Here one UNION ALL
statement, written once, reads them all; the rows become model instances as the ORM makes
them (fields not read stay deferred), kept where prefetch_related keeps its results, so that
`record.subjects.all()` and the rest need no query.
"""

from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, connections

from accessions.catalogue.models import Agent, Collection, Donor, Language, Place, Record, Subject

# (relation on Record, model, the model's fields read, as columns of the union). The union's
# columns are: relation, record pk, id, name, key, kind, credit, is_funder, parent, description
# and an agent's name parts.
COLUMNS = (
    *("id", "name", "key", "kind", "credit", "is_funder", "parent_id", "description"),
    *("family_name", "given_name", "name_particle", "name_suffix", "family_name_first"),
)
NULL_OF = {
    "key": "CAST(NULL AS TEXT)",
    "kind": "CAST(NULL AS TEXT)",
    "credit": "CAST(NULL AS TEXT)",
    "is_funder": "CAST(NULL AS BOOLEAN)",
    "parent_id": "CAST(NULL AS BIGINT)",
    "description": "CAST(NULL AS TEXT)",
    "family_name": "CAST(NULL AS TEXT)",
    "given_name": "CAST(NULL AS TEXT)",
    "name_particle": "CAST(NULL AS TEXT)",
    "name_suffix": "CAST(NULL AS TEXT)",
    "family_name_first": "CAST(NULL AS BOOLEAN)",
}
# A person's name parts, for citations.
AGENT = {
    "key": "slug",
    "kind": "kind",
    **{part: part for part in COLUMNS[8:]},
}
LISTS = [
    ("languages", Language, {"key": "code"}),
    ("authors", Agent, AGENT),
    ("people_and_organizations", Agent, AGENT),
    ("places", Place, {"key": "slug", "parent_id": "parent_id"}),
    ("subjects", Subject, {"key": "slug"}),
    (
        "collections",
        Collection,
        {"key": "slug", "parent_id": "parent_id", "description": "description"},
    ),
    # Donors' contact details are never read for a public page.
    (
        "donors",
        Donor,
        {"key": "slug", "kind": "kind", "credit": "credit", "is_funder": "is_funder"},
    ),
]


def _union_sql(count: int) -> str:
    parts = []
    for relation, model, extra in LISTS:
        field = Record._meta.get_field(relation)
        through = field.remote_field.through._meta
        source = field.m2m_column_name()
        target = field.m2m_reverse_name()
        selected = ["v.id", "v.name"]
        for column in COLUMNS[2:]:
            # A typed NULL: PostgreSQL takes a union column's type from its first list.
            selected.append(f"v.{extra[column]}" if column in extra else NULL_OF[column])
        placeholders = ", ".join(["%s"] * count)
        parts.append(
            f"SELECT '{relation}', t.{source}, {', '.join(selected)} "
            f"FROM {model._meta.db_table} v JOIN {through.db_table} t ON t.{target} = v.id "
            f"WHERE t.{source} IN ({placeholders})"
        )
    # Each list in its model's own order (by name), as record.<list>.all() would give it.
    return " UNION ALL ".join(parts) + " ORDER BY 1, 4, 3"


def prefetch_vocabularies(records: list[Record]) -> None:
    """Read the seven vocabulary lists of these records in one query and keep them on each."""
    records = [record for record in records if record is not None]
    if not records:
        return
    pks = [record.pk for record in records]
    # From the database the records came from (the replica, for a public read), so that a
    # record and its lists are read from the same one.
    database = records[0]._state.db or DEFAULT_DB_ALIAS
    with connections[database].cursor() as cursor:
        cursor.execute(_union_sql(len(pks)), pks * len(LISTS))
        rows = cursor.fetchall()
    found = defaultdict(list)
    models = {relation: (model, extra) for relation, model, extra in LISTS}
    # One instance per value, shared by every record that has it: a page of a hundred OAI
    # records names English a hundred times, and making a model instance is not cheap.
    made = {}
    for relation, record_pk, *values in rows:
        model, extra = models[relation]
        if (model, values[0]) in made:
            found[record_pk, relation].append(made[model, values[0]])
            continue
        by_column = dict(zip(COLUMNS, values, strict=True))
        by_attname = {"id": by_column["id"], "name": by_column["name"]}
        by_attname.update({attname: by_column[column] for column, attname in extra.items()})
        # from_db takes the values in the model's field order; the rest stay deferred.
        fields = [f for f in model._meta.concrete_fields if f.attname in by_attname]
        instance = model.from_db(
            database,
            [f.attname for f in fields],
            [f.to_python(by_attname[f.attname]) for f in fields],
        )
        made[model, values[0]] = instance
        found[record_pk, relation].append(instance)
    for record in records:
        cache = record.__dict__.setdefault("_prefetched_objects_cache", {})
        for relation, _, _ in LISTS:
            # A queryset already evaluated, as prefetch_related leaves it.
            queryset = getattr(record, relation).all()
            queryset._result_cache = found.get((record.pk, relation), [])
            queryset._prefetch_done = True
            cache[relation] = queryset


def record_for_page(records, **lookup) -> Record | None:
    """The record of `records` matching the lookup, with all its page shows, or None.

    Three queries: the record with its foreign keys, its texts, its vocabulary lists.
    """
    record = records.for_record_page().filter(**lookup).first()
    prefetch_vocabularies([record])
    return record
