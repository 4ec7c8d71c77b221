"""Time migration 0022's fill of the EDTF dates against the plain way, on an existing catalogue.

Usage (a database that `bench/search.py --records N` generated; its EDTF dates are rewritten):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_search_100k \\
        .venv/bin/python bench/edtf_fill.py

The plain way is an UPDATE per distinct date text, each reading the whole table; it takes
hours at a million records, so it is timed on the first --plain-texts texts and the whole
is projected from them.
"""

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

from accessions.catalogue.dates import parse_document_date  # noqa: E402
from accessions.models import Record  # noqa: E402

migration = importlib.import_module("accessions.migrations.0022_record_date_edtf")


def plain_fill(texts: list[str]) -> None:
    for text in texts:
        Record.objects.filter(date_text=text).update(date_edtf=parse_document_date(text).edtf)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plain-texts", type=int, default=100)
    args = parser.parse_args()
    texts = list(
        Record.objects.exclude(date_text="")
        .order_by()
        .values_list("date_text", flat=True)
        .distinct()
    )
    print(f"{connection.vendor}: {Record.objects.count():,} records, {len(texts):,} date texts")
    expected = dict(Record.objects.values_list("pk", "date_edtf"))
    Record.objects.update(date_edtf="")
    started = time.perf_counter()
    migration.fill_edtf(apps, SimpleNamespace(connection=connection))
    joined = time.perf_counter() - started
    assert dict(Record.objects.values_list("pk", "date_edtf")) == expected
    sample = texts[: args.plain_texts]
    started = time.perf_counter()
    plain_fill(sample)
    plain = (time.perf_counter() - started) * len(texts) / len(sample)
    print(f"migration 0022 (joined to the pairs)     {joined:9.1f} s")
    print(
        f"an UPDATE per date text (plain, {len(sample)} timed) {plain:9.1f} s projected"
        f"   {plain / joined:.0f}x"
    )


if __name__ == "__main__":
    main()
