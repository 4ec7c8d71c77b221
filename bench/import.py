"""Benchmark the record import against a naive per-row save() import, on PostgreSQL.

    .venv/bin/python bench/import.py [--rows N] [--published-rows P] [--naive-rows M]

The Tate records are imported as published where they can be (with a rights statement and
a summary), so the search index, kept in the import transaction, does its full work. The
synthetic file is imported twice: N rows as drafts, the import's default (a draft has no
search entry), and P rows as published, each indexed. Each is set beside a naive per-row
import of the same rows (create_record(), plus the workflow's publish for published rows,
which indexes the record too) and beside the database's floor: the same rows written by
bare COPY statements with no checks at all, the least this database can take for them.

Each phase runs in its own process so that its peak memory is its own. The database named
by BENCH_DATABASE_URL (default: postgres://postgres@127.0.0.1:5432/archive_import_bench) is
created if missing and emptied of records between phases. Not part of the test suite.
"""

import argparse
import csv
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TATE = ROOT.parent / "shared" / "data" / "tate" / "tate_artworks_flat.csv.gz"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/archive_import_bench"
COLUMNS = [
    "title",
    "date",
    "summary",
    "source",
    "document_type",
    "authors",
    "subjects",
    "languages",
    "status",
    "rights",
]
RIGHTS = "Benchmark rights statement"
BENCH_USER = "import-bench"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    # As production runs: with DEBUG on, Django would keep the last 9,000 statements.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def create_database():
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def empty_catalogue():
    """Empty the records, what refers to them and the vocabularies the files create."""
    from django.db import connection

    from accessions.models import Agent, Counter, DocumentType, Record, RightsStatement, Subject
    from accessions.search.models import SearchEntry, SearchFacet, SearchFacetTotal

    # TRUNCATE rather than delete(): deleting a million records one cascade at a time
    # would take longer than importing them. CASCADE empties the tables that refer to
    # them (texts, history, import keys, many-to-many rows); the index has no constraints.
    tables = [Record, Subject, Agent, DocumentType, Counter, SearchEntry, SearchFacet]
    names = ", ".join(model._meta.db_table for model in [*tables, SearchFacetTotal])
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} CASCADE")
    RightsStatement.objects.get_or_create(name=RIGHTS, defaults={"statement": RIGHTS})


def bench_user():
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tate_date(row) -> str:
    from django.core.exceptions import ValidationError

    from accessions.catalogue.dates import parse_document_date

    start, end = row["date_start_year"], row["date_end_year"]
    # Tate's own text first, then its year range, then its first year: real data has
    # ranges that end before they start.
    for text in (row["date_text"].strip(), f"{start}/{end}", start):
        try:
            parse_document_date(text)
            return text
        except ValidationError:
            continue
    return "undated"


def write_tate_csv(path: Path) -> int:
    """Map the Tate records to the archive's own CSV format, streaming."""
    count = 0
    with gzip.open(TATE, "rt", encoding="utf-8", newline="") as source:
        with path.open("w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(COLUMNS)
            for row in csv.DictReader(source):
                subjects = dict.fromkeys(
                    part.rsplit(" > ", 1)[-1][:255] for part in row["subjects"].split("|") if part
                )
                writer.writerow(
                    [
                        f"{row['title'][:480]} ({row['accession_number']})",
                        tate_date(row),
                        row["medium"],
                        row["credit_line"],
                        row["classification"][:255],
                        row["artists"][:255],
                        "|".join(subjects),
                        "en",
                        # Publication needs a summary; Tate gives none for some works.
                        "published" if row["medium"].strip() else "draft",
                        RIGHTS,
                    ]
                )
                count += 1
    return count


def write_synthetic_csv(path: Path, rows: int, status: str) -> None:
    randomised = random.Random(1962)
    dates = ["1962-10-27", "1963-11", "1961", "c. 1950", "1950/1959", "undated", "1960s"]
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(COLUMNS)
        for n in range(rows):
            writer.writerow(
                [
                    f"Synthetic telegram {n}",
                    dates[n % len(dates)],
                    f"Summary of synthetic telegram {n}, about topic {n % 97}.",
                    f"Archive box {n // 500}",
                    ["Telegram", "Letter", "Memorandum"][n % 3],
                    f"Agent {randomised.randrange(2000)}",
                    "|".join(f"Subject {randomised.randrange(500)}" for _ in range(3)),
                    "en",
                    status,
                    RIGHTS,
                ]
            )


def phase_bulk(path: str) -> dict:
    setup_django()
    from accessions.search.models import SearchEntry
    from accessions.transfer.importer import import_records

    user = bench_user()
    with open(path, "rb") as stream:
        started = time.perf_counter()
        report = import_records(stream=stream, user=user, source_name=path, max_bytes=10**10)
        elapsed = time.perf_counter() - started
    return {
        "rows": report.rows,
        "indexed": SearchEntry.objects.count(),
        "counts": dict(report.counts),
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_naive(path: str, limit: int) -> dict:
    """One row at a time through create_record() and get_or_create, as a simple import would."""
    setup_django()
    from django.db import transaction

    from accessions.catalogue.intake import create_record
    from accessions.catalogue.workflow import transition_record
    from accessions.models import Agent, DocumentType, Language, RightsStatement, Subject
    from accessions.search.models import SearchEntry

    user = bench_user()
    english = Language.objects.get(code="en")
    rights = RightsStatement.objects.get(name=RIGHTS)
    started = time.perf_counter()
    done = 0
    with open(path, encoding="utf-8", newline="") as source, transaction.atomic():
        for row in csv.DictReader(source):
            if done >= limit:
                break
            record = create_record(
                user=user,
                rights=rights,
                title=row["title"],
                date_text=row["date"],
                summary=row["summary"],
                source=row["source"],
                document_type=DocumentType.objects.get_or_create(name=row["document_type"])[0],
                authors=[Agent.objects.get_or_create(name=row["authors"])[0]],
                subjects=[
                    Subject.objects.get_or_create(name=name)[0]
                    for name in dict.fromkeys(row["subjects"].split("|"))
                ],
                languages=[english],
            )
            if row["status"] == "published":
                transition_record(record=record, action="publish", user=user)
            done += 1
    elapsed = time.perf_counter() - started
    return {
        "rows": done,
        "indexed": SearchEntry.objects.count(),
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_floor(path: str) -> dict:
    """The same rows written by bare COPY statements: no checks, no lookups, no history text.

    The vocabularies are created before the clock starts, so what is timed is the least
    work the database does for these rows with this schema: the rows themselves, their
    indexes, the foreign-key checks at the commit.
    """
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from accessions.catalogue.dates import parse_document_date
    from accessions.models import (
        Agent,
        DocumentType,
        ImportKey,
        Language,
        Record,
        RecordEvent,
        RightsStatement,
        Subject,
    )
    from accessions.transfer.writer import bulk_insert

    def ids(model, names):
        model.objects.bulk_create([model(name=n, slug=f"s-{n}") for n in names])
        return dict(model.objects.values_list("name", "id"))

    with open(path, encoding="utf-8", newline="") as source:
        rows = csv.DictReader(source)
        names = {"type": set(), "agent": set(), "subject": set()}
        for row in rows:
            names["type"].add(row["document_type"])
            names["agent"].add(row["authors"])
            names["subject"].update(row["subjects"].split("|"))
    types, agents = ids(DocumentType, names["type"]), ids(Agent, names["agent"])
    subjects = ids(Subject, names["subject"])
    english = Language.objects.get(code="en").pk
    rights = RightsStatement.objects.get(name=RIGHTS).pk
    attnames = [field.attname for field in Record._meta.concrete_fields]
    started = time.perf_counter()
    done = 0
    with open(path, encoding="utf-8", newline="") as source, transaction.atomic():
        cursor = connection.cursor()
        reader = csv.DictReader(source)
        while batch := [row for _, row in zip(range(2000), reader, strict=False)]:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('accessions_record', 'id')) "
                "FROM generate_series(1, %s)",
                [len(batch)],
            )
            pks = [pk for (pk,) in cursor.fetchall()]
            now = timezone.now()
            records = []
            for pk, row in zip(pks, batch, strict=True):
                parsed = parse_document_date(row["date"])
                values = {
                    "id": pk,
                    "record_id": pk,
                    "title": row["title"],
                    "date_text": row["date"],
                    "date_display": parsed.display,
                    "date_start": parsed.start,
                    "date_end": parsed.end,
                    "date_approximate": parsed.approximate,
                    "summary": row["summary"],
                    "source": row["source"],
                    "document_type_id": types[row["document_type"]],
                    "rights_id": rights,
                    "status": "draft",
                    "staff_notes": "",
                    "created_at": now,
                    "updated_at": now,
                }
                records.append([values.get(name) for name in attnames])
            bulk_insert(Record, attnames, records)
            pairs = list(zip(pks, batch, strict=True))
            through = Record.languages.through
            bulk_insert(through, ["record_id", "language_id"], ((pk, english) for pk in pks))
            through = Record.authors.through
            bulk_insert(
                through, ["record_id", "agent_id"], ((pk, agents[r["authors"]]) for pk, r in pairs)
            )
            bulk_insert(
                Record.subjects.through,
                ["record_id", "subject_id"],
                (
                    (pk, subjects[name])
                    for pk, r in pairs
                    for name in dict.fromkeys(r["subjects"].split("|"))
                ),
            )
            bulk_insert(
                RecordEvent,
                ["record_id", "action", "from_status", "to_status", "actor_id", "at", "note"],
                ((pk, "imported", "", "draft", None, now, "Created by import.") for pk in pks),
            )
            bulk_insert(
                ImportKey,
                ["key", "record_id", "created_at"],
                ((f"floor:{pk}", pk, now) for pk in pks),
            )
            done += len(batch)
    elapsed = time.perf_counter() - started
    return {"rows": done, "indexed": 0, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def run_phase(*args) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", *map(str, args)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def prepare():
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    empty_catalogue()


def show(label: str, result: dict) -> float:
    rate = result["rows"] / result["seconds"]
    sys.stdout.write(
        f"{label:<48} {result['rows']:>9,} rows {result['seconds']:8.1f} s "
        f"{rate:>9,.0f} rows/s  peak RSS {result['peak_rss_mb']:5.0f} MB  "
        f"indexed {result['indexed']:,}\n"
    )
    sys.stdout.flush()
    return rate


def compare(path: Path, rows: int, status: str, naive_rows: int) -> None:
    """Bulk import, naive import and database floor of one synthetic file, and the ratios."""
    write_synthetic_csv(path, rows, status)
    size = path.stat().st_size / 1024 / 1024
    run_phase("prepare")
    bulk = show(f"Synthetic {status} ({size:.0f} MB), bulk import", run_phase("bulk", path))
    run_phase("prepare")
    naive = show(f"Synthetic {status}, naive per-row save()", run_phase("naive", path, naive_rows))
    floor = None
    if status == "draft":
        run_phase("prepare")
        floor = show("Synthetic draft, database floor (bare COPY)", run_phase("floor", path))
    sys.stdout.write(
        f"  => {status} rows: bulk import {bulk:,.0f} rows/s = {bulk / naive:.1f}x the naive "
        f"per-row import ({naive:,.0f} rows/s)"
        + (f"; {bulk / floor:.0%} of the bare-COPY floor ({floor:,.0f} rows/s)" if floor else "")
        + "\n"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000, help="synthetic draft rows")
    parser.add_argument("--published-rows", type=int, default=50_000)
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--skip-tate", action="store_true")
    parser.add_argument("--phase", nargs="+")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "prepare":
            prepare()
            result = {}
        elif name == "bulk":
            result = phase_bulk(rest[0])
        elif name == "floor":
            result = phase_floor(rest[0])
        else:
            result = phase_naive(rest[0], int(rest[1]))
        sys.stdout.write(json.dumps(result) + "\n")
        return

    sys.path.insert(0, str(ROOT))
    create_database()
    sys.stdout.write(f"load average before: {os.getloadavg()[0]:.2f}\n")
    with tempfile.TemporaryDirectory() as folder:
        tate, synthetic = Path(folder) / "tate.csv", Path(folder) / "synthetic.csv"
        if not TATE.exists():
            sys.stdout.write(f"Tate data not found at {TATE}; skipped.\n")
        elif not args.skip_tate:
            count = write_tate_csv(tate)
            run_phase("prepare")
            show(f"Tate ({count:,} records), first import", run_phase("bulk", tate))
            show("Tate, same file again (all unchanged)", run_phase("bulk", tate))
        compare(synthetic, args.rows, "draft", args.naive_rows)
        compare(synthetic, args.published_rows, "published", args.naive_rows)
        run_phase("prepare")
    sys.stdout.write(f"load average after: {os.getloadavg()[0]:.2f}\n")


if __name__ == "__main__":
    main()
