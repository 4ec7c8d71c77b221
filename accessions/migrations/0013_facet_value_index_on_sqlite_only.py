from django.db import migrations

# PostgreSQL filters and counts facets by SearchEntry.keys; only SQLite still looks up a
# value's entries in the facet rows, through this index.
CREATE = "CREATE INDEX search_facet_value ON accessions_searchfacet (facet, value, entry_id)"


def create_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS search_facet_value")


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0012_search_entry_facet_keys"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="searchfacet", name="search_facet_value"),
        migrations.RunPython(create_on_sqlite, drop_on_sqlite),
    ]
