from django.db import migrations

# PostgreSQL, for issue 27: a partial index of the words and keys for the sample of stride 8
# as well (models.SAMPLE_INDEX_STRIDES; migration 0025 made those of 16, 128 and 1024). A
# search of 24,000-48,000 matches estimates its counts from every 8th entry, which the full
# index read by decoding the whole list of each word and filter value: for
# q=mountains&language=en at a million records the sample took 23 ms, 11 ms through this
# index. It takes 56 MB beside the full index's 305 MB, and 8.5 s to build.
POSTGRESQL_FORWARD = [
    "CREATE INDEX IF NOT EXISTS search_entry_sample_8 ON accessions_searchentry "
    "USING gin (document, keys) WHERE record_id % 8 = 0"
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_entry_sample_8"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0027_search_title_words_and_keys"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
