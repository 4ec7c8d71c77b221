from django.db import migrations

import accessions.search.models

# PostgreSQL keeps each entry's facet keys on the entry, GIN-indexed; existing entries get
# theirs from their facet rows. SQLite has no arrays: its column stays empty.
FACET_KEY_BASE = 100_000_000
POSTGRESQL_FORWARD = [
    "UPDATE accessions_searchentry e SET keys = ARRAY("
    f"SELECT f.facet * {FACET_KEY_BASE} + f.value FROM accessions_searchfacet f "
    "WHERE f.entry_id = e.record_id ORDER BY 1)",
    "CREATE INDEX search_entry_keys ON accessions_searchentry USING gin (keys)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_entry_keys"]


def add_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_FORWARD:
            schema_editor.execute(statement)


def drop_keys_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0011_search_totals_ordered_by_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="keys",
            field=accessions.search.models.FacetKeysField(null=True, size=None),
        ),
        migrations.RunPython(add_keys, drop_keys_index),
    ]
