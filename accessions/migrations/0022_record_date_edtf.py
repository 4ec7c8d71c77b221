"""Keep each record's date in EDTF too, filled for existing records from the date as typed.

The EDTF form of every form the archive has accepted: “c. 1962” → 1962~, “1960s” → 196X,
“c. 1950/1959” → 1950~/1959~, “November 1967” → 1967-11, “undated” → XXXX (a year not given,
which tells an undated document from one not yet dated, whose date and EDTF stay empty).
"""

from django.core.exceptions import ValidationError
from django.db import migrations, models

import accessions.catalogue.dates

# The parser is the one the app uses for new dates, so that old and new records agree; it is
# a pure function of the text.
from accessions.catalogue.dates import parse_document_date

# Texts per UPDATE: each statement reads the records once, joined to this many pairs
# (two parameters each, within SQLite's limit of 32,766).
PAIRS_PER_STATEMENT = 10_000


def fill_edtf(apps, schema_editor):
    Record = apps.get_model("accessions", "Record")
    # order_by(): the model's ordering would make every (date text, order key) distinct.
    texts = (
        Record.objects.exclude(date_text="")
        .order_by()
        .values_list("date_text", flat=True)
        .distinct()
    )
    pairs = []
    for text in texts.iterator():
        try:
            pairs.append((text, parse_document_date(text).edtf))
        except ValidationError:
            continue  # saved before validation existed; staff see it when they next edit
    # Archives repeat a date text across records but hold thousands of distinct ones (every
    # day of a decade): an UPDATE per text would read the whole table once per text. Joined
    # to a list of (text, EDTF) pairs, one statement reads it once.
    connection = schema_editor.connection
    table = connection.ops.quote_name(Record._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), PAIRS_PER_STATEMENT):
            chunk = pairs[start : start + PAIRS_PER_STATEMENT]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET date_edtf = pairs.column2 FROM (VALUES {values}) AS pairs "
                f"WHERE {table}.date_text = pairs.column1",
                [part for pair in chunk for part in pair],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0021_scan_storage_setting"),
    ]

    operations = [
        migrations.AddField(
            model_name="record",
            name="date_edtf",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text=(
                    "The date in the Extended Date/Time Format (ISO 8601-2); XXXX when undated."
                ),
                max_length=100,
                verbose_name="date (EDTF)",
            ),
        ),
        migrations.AlterField(
            model_name="record",
            name="date_text",
            field=models.CharField(
                blank=True,
                help_text=(
                    "As written: 1963-11-25, 1967-11, 1962, 1950/1959, c. 1962, or “undated”; "
                    "or EDTF: 1962~ (approximate), 1962? (uncertain), 196X, 1963-21 (spring)."
                ),
                max_length=100,
                validators=[accessions.catalogue.dates.validate_document_date],
                verbose_name="date",
            ),
        ),
        migrations.RunPython(fill_edtf, migrations.RunPython.noop, elidable=True),
    ]
