from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

# PostgreSQL, for issue 27 (relevance over every match, estimates sized for their error).
# - Relevance ranks first the records whose title holds every word, then the rest, each by
#   date (accessions/search/relevance.py). The title's own text vector and its GIN index
#   find that first tier without reading the rows of the words' other matches when it is
#   too sparse to find by walking the date index.
# - The samples of the estimates are read through sample-level keys in the facet keys
#   (models.SAMPLE_LEVEL), which the GIN index of the words and keys answers in the same
#   scan; the pk-slot index of migration 0015 goes.
# Existing entries get both here: at a million records this rewrites every entry (minutes);
# `manage.py rebuild_search_index` does the same faster.
POSTGRESQL_FORWARD = [
    # The title vectors, and the sample-level keys (models.SAMPLE_LEVEL: strides 1 to 1024).
    "UPDATE accessions_searchentry e SET title_document = to_tsvector('archive_search', r.title), "
    "keys = e.keys || ARRAY(SELECT 1300000000 + (1 << g) FROM generate_series(0, 10) g "
    "WHERE e.record_id % (1 << g) = 0) "
    "FROM accessions_record r WHERE r.id = e.record_id",
    # The sample is now read through those keys.
    "DROP INDEX IF EXISTS search_entry_sample_slot",
    "CREATE INDEX search_entry_title_words ON accessions_searchentry USING gin (title_document)",
    "ANALYZE accessions_searchentry",
]
POSTGRESQL_BACKWARD = [
    "CREATE INDEX search_entry_sample_slot ON accessions_searchentry ((record_id % 4096))",
    "UPDATE accessions_searchentry SET keys = ARRAY(SELECT k FROM unnest(keys) k "
    "WHERE k < 1300000000 OR k >= 1400000000)",
    "DROP INDEX IF EXISTS search_entry_title_words",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0023_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="title_document",
            field=SearchVectorField(null=True),
        ),
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
