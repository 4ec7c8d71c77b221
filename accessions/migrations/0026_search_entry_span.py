from django.db import migrations

# PostgreSQL, for issue 27: an index of each entry's date range length in days, so that the
# longest is one step away. A date filter's records end on or after the date asked for, so
# they start no earlier than that date less the longest range: said outright, that bounds
# the date index at its first column (SearchFilter.filter_date_from). SQLite's date filters
# keep away from the date index, and need no such bound.
POSTGRESQL_FORWARD = [
    "CREATE INDEX search_entry_span ON accessions_searchentry ((date_end - date_start))",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_entry_span"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0025_search_sample_indexes"),
    ]

    operations = [
        migrations.RunPython(run(POSTGRESQL_FORWARD), run(POSTGRESQL_BACKWARD)),
    ]
