from django.db import migrations, models

# SQLite's FTS5 table gains an `ocr` column, ranked below the curated texts. FTS5 cannot add
# a column, so the table is recreated and its rows copied. Existing records get their OCR
# text and "has scans" facet rows (on both databases) from `manage.py rebuild_search_index`.
SQLITE_FORWARD = [
    "ALTER TABLE search_fts RENAME TO search_fts_before_ocr",
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, summary, body, names, ocr, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_fts (rowid, title, summary, body, names, ocr) "
    "SELECT rowid, title, summary, body, names, '' FROM search_fts_before_ocr",
    "DROP TABLE search_fts_before_ocr",
]
SQLITE_BACKWARD = [
    "ALTER TABLE search_fts RENAME TO search_fts_with_ocr",
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, summary, body, names, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_fts (rowid, title, summary, body, names) "
    "SELECT rowid, title, summary, body, names FROM search_fts_with_ocr",
    "DROP TABLE search_fts_with_ocr",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement)


def add_ocr_column(apps, schema_editor):
    _run(schema_editor, SQLITE_FORWARD)


def drop_ocr_column(apps, schema_editor):
    _run(schema_editor, SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0008_search_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchfacet",
            name="facet",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Language"),
                    (2, "Collection"),
                    (3, "Subject"),
                    (4, "Place"),
                    (5, "Person or organisation"),
                    (6, "Original archive"),
                    (7, "Donor"),
                    (8, "Classification"),
                    (9, "Type"),
                    (10, "Has a translation in"),
                    (11, "Decade"),
                    (12, "Has scans"),
                ]
            ),
        ),
        migrations.RunPython(add_ocr_column, drop_ocr_column),
    ]
