from django.db import migrations

# PostgreSQL: the record admin's search (accessions.catalogue.staff_search) finds records of
# every status by the words of their title and summary, through a GIN index on an expression
# the database keeps current on every write. Words, not trigrams: a word is one entry of this
# index (89 MB at a million records), where a trigram index holds every three letters of the
# text and rechecks each candidate row, which is slow for common words. The configuration is
# 'simple' (no stemming, no stopwords: staff look for exact names in many languages) with
# accents folded, as the public search folds them. to_tsvector with a named configuration is
# immutable, which an index expression must be; the expression is the one that
# staff_search.staff_document() builds, or the planner would not use the index. ANALYZE
# gathers the index expression's word frequencies, from which the planner estimates how many
# records a search finds (the admin's estimated counts).
POSTGRESQL_FORWARD = [
    "CREATE TEXT SEARCH CONFIGURATION archive_admin_search (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION archive_admin_search "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    "CREATE INDEX record_admin_search ON accessions_record USING gin ("
    "to_tsvector('archive_admin_search'::regconfig, "
    "COALESCE(title, '') || ' ' || COALESCE(summary, '')))",
    "ANALYZE accessions_record",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS record_admin_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS archive_admin_search",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0016_public_surface_indexes"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
