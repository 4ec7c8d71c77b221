from django.db import migrations

# PostgreSQL: an index of each entry's slot, its pk modulo 4096 (counting.SAMPLE_SLOTS). The
# sample of the search estimates is every entry whose pk is a multiple of a power-of-two
# stride: the entries of a few slots, read through this index page by page, where looking
# each of ~2,000 pks up in the primary key read four times as many pages.
POSTGRESQL_FORWARD = [
    "CREATE INDEX search_entry_sample_slot ON accessions_searchentry ((record_id % 4096))",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_entry_sample_slot"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0014_search_words_and_keys_in_one_index"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
