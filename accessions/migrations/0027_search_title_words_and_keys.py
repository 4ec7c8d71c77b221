from django.db import migrations

# PostgreSQL, for issue 27: the index of the titles' words holds the facet keys too, as the
# index of the texts' words does. A relevance page past the exact-count limit whose title
# tier is too sparse to find by walking the date index reads the tier through this index
# (relevance.page_by_tiers): with filters, it read the title's word and each filter value
# apart, a whole value's list (64,706 entries for language=en) into a bitmap to intersect,
# 20 ms for q=study&language=en at a million records; one scan of both columns intersects
# them inside the index, 4 ms.
POSTGRESQL_FORWARD = [
    "DROP INDEX IF EXISTS search_entry_title_words",
    "CREATE INDEX IF NOT EXISTS search_entry_title_words_keys ON accessions_searchentry "
    "USING gin (title_document, keys)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_title_words_keys",
    "CREATE INDEX IF NOT EXISTS search_entry_title_words ON accessions_searchentry "
    "USING gin (title_document)",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0026_search_entry_span"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
