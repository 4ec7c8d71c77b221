from django.db import migrations

# PostgreSQL, for issue 27: the GIN index of the words and facet keys again, for the entries of
# three sample strides alone (models.SAMPLE_INDEX_STRIDES). A sample read through the full
# index decoded the whole list of every word and facet value it named; read through its own
# index it decodes a 16th, a 128th or a 1024th of each. At a million records the three take
# about 40 MB beside the full index's 300 MB, and a few seconds to build.
STRIDES = (16, 128, 1024)

POSTGRESQL_FORWARD = [
    f"CREATE INDEX search_entry_sample_{stride} ON accessions_searchentry "
    f"USING gin (document, keys) WHERE record_id % {stride} = 0"
    for stride in STRIDES
]
POSTGRESQL_BACKWARD = [f"DROP INDEX IF EXISTS search_entry_sample_{stride}" for stride in STRIDES]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0024_search_title_words_and_sample_levels"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
