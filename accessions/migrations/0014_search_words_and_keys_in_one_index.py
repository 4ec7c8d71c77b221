from django.db import migrations

# PostgreSQL: the words and the facet keys of each entry go into one GIN index. A search for
# words and facet values is then one index scan that steps through the longer lists of
# entries by the shorter, where two indexes each built a bitmap of every entry of their
# list first: a quarter of the archive for a common value. A scan of one column alone reads
# only that column's part of the index, as the two single-column indexes did.
POSTGRESQL_FORWARD = [
    "CREATE INDEX search_entry_words_keys ON accessions_searchentry USING gin (document, keys)",
    "DROP INDEX IF EXISTS search_entry_document",
    "DROP INDEX IF EXISTS search_entry_keys",
]
POSTGRESQL_BACKWARD = [
    "CREATE INDEX search_entry_document ON accessions_searchentry USING gin (document)",
    "CREATE INDEX search_entry_keys ON accessions_searchentry USING gin (keys)",
    "DROP INDEX IF EXISTS search_entry_words_keys",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0013_facet_value_index_on_sqlite_only"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
