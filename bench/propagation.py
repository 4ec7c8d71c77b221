"""Bench: renaming a subject that every record uses, set-based versus a per-record save loop.

Run: DATABASE_URL=postgres://…/scratch .venv/bin/python bench/propagation.py [--loop 3000]
Point DATABASE_URL at a scratch copy of a filled database (e.g. CREATE DATABASE x TEMPLATE
archive_bench_100k): it is migrated, every record is given one more subject, and records'
datestamps are set back. Prints, for the set-based rename (accessions.catalogue.terms):
seconds, queries, datestamps moved and search entries that find the new name; and the same
for the naive way (save() and index each record) run on --loop records and extrapolated to
all of them, in the same run.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OLD = datetime(2020, 1, 1, tzinfo=UTC)
NAME = "Bench subject"


class StatementLog:
    """Counts the statements a connection runs, and times the record UPDATE and the index."""

    def __init__(self):
        self.count, self.record_update, self.index = 0, 0.0, 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - start
            self.count += 1
            if sql.startswith('UPDATE "accessions_record"'):
                self.record_update += spent
            elif "accessions_search" in sql.split("(", 1)[0] or "WITH RECURSIVE" in sql[:15]:
                self.index += spent

    def counting(self, connection):
        self.count, self.record_update, self.index = 0, 0.0, 0.0
        return connection.execute_wrapper(self)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", type=int, default=3000, help="records the naive loop saves")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a scratch copy of a filled database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accessions.catalogue.terms import rename_term
    from accessions.models import Record, Subject
    from accessions.search.indexing import FTS_TABLE, update_search_index
    from accessions.search.models import SearchEntry

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        # Databases filled by COPY with explicit ids leave the id sequence behind.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {Subject._meta.db_table}), false)",
                [Subject._meta.db_table],
            )
    subject, created = Subject.objects.get_or_create(slug="bench-subject", defaults={"name": NAME})
    through = Record.subjects.through
    table, column = through._meta.db_table, "subject_id"
    with connection.cursor() as cursor:
        if created:
            # Every record uses the subject: one INSERT … SELECT, then the index from scratch.
            cursor.execute(
                f"INSERT INTO {table} (record_id, {column}) "
                f"SELECT id, %s FROM {Record._meta.db_table}",
                [subject.pk],
            )
            call_command("rebuild_search_index", verbosity=0)
    using = Record.objects.filter(subjects=subject)
    total, published = using.count(), using.published().count()

    def set_back():
        using.update(updated_at=OLD)

    def moved() -> int:
        return using.filter(updated_at__gt=OLD).count()

    def finding(word: str) -> int:
        """Search entries whose text holds the word."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT COUNT(*) FROM {SearchEntry._meta.db_table} "
                    "WHERE document @@ to_tsquery('archive_search', %s)",
                    [word],
                )
            else:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                    [f"names:{word}"],
                )
            return cursor.fetchone()[0]

    print(f"{connection.vendor}: {total:,} records use “{subject.name}”, {published:,} published")
    statements = StatementLog()

    # The naive way: rename, then save and index each record, on --loop of them.
    set_back()
    sample = list(using.order_by("pk")[: args.loop])
    with transaction.atomic(), statements.counting(connection):
        start = time.perf_counter()
        subject.name = "Naivebench renamed"
        subject.save()
        for record in sample:
            record.save()
            update_search_index(record_pks=[record.pk])
        naive = time.perf_counter() - start
    scale = total / len(sample)
    print(
        f"per-record save loop on {len(sample):,} records: {naive:.1f} s, "
        f"{statements.count:,} queries; extrapolated to {total:,}: "
        f"{naive * scale:,.0f} s, {statements.count * scale:,.0f} queries"
    )
    print(f"  datestamps moved: {moved():,}; entries finding the new name: {finding('naivebench')}")

    # The set-based way: one rename that moves every record using the subject.
    set_back()
    with statements.counting(connection):
        start = time.perf_counter()
        count = rename_term(term=subject, name="Setbench renamed")
        elapsed = time.perf_counter() - start
    print(
        f"set-based rename (terms.rename_term): {elapsed:.1f} s, "
        f"{statements.count} queries, {count:,} records moved; of that the UPDATE of "
        f"updated_at {statements.record_update:.1f} s, the search index "
        f"{statements.index:.1f} s"
    )
    print(
        f"  datestamps moved: {moved():,} of {total:,}; entries finding the new name: "
        f"{finding('setbench'):,} of {published:,} published; the old name: "
        f"{finding('naivebench'):,}"
    )
    if naive * scale:
        print(f"  {naive * scale / elapsed:.0f}× faster than the loop, extrapolated")


if __name__ == "__main__":
    main()
