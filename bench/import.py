"""Benchmark the record import against a naive per-row save() import, on PostgreSQL.

    .venv/bin/python bench/import.py [--rows N] [--naive-rows M]

Every row is imported as published, with a rights statement, so the search index (kept in
the import transaction) does its full work; the naive import publishes each record through
the workflow, which indexes it too.

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
    from accessions.models import (
        Agent,
        Counter,
        DocumentType,
        ImportKey,
        Record,
        RecordEvent,
        RightsStatement,
        Subject,
    )
    from accessions.search import rebuild_search_index

    for model in (ImportKey, RecordEvent, Record, Subject, Agent, DocumentType, Counter):
        model.objects.all().delete()
    rebuild_search_index()
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

    from accessions.dates import parse_document_date

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


def write_synthetic_csv(path: Path, rows: int) -> None:
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
                    "published",
                    RIGHTS,
                ]
            )


def phase_bulk(path: str) -> dict:
    setup_django()
    from accessions.importing.importer import import_records
    from accessions.search_models import SearchEntry

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

    from accessions.intake import create_record
    from accessions.models import Agent, DocumentType, Language, RightsStatement, Subject
    from accessions.search_models import SearchEntry
    from accessions.workflow import transition_record

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
            transition_record(record=record, action="publish", user=user)
            done += 1
    elapsed = time.perf_counter() - started
    return {
        "rows": done,
        "indexed": SearchEntry.objects.count(),
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
    }


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000, help="synthetic rows")
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--phase", nargs="+")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        if name == "prepare":
            prepare()
            result = {}
        elif name == "bulk":
            result = phase_bulk(rest[0])
        else:
            result = phase_naive(rest[0], int(rest[1]))
        sys.stdout.write(json.dumps(result) + "\n")
        return

    sys.path.insert(0, str(ROOT))
    create_database()
    with tempfile.TemporaryDirectory() as folder:
        tate, synthetic = Path(folder) / "tate.csv", Path(folder) / "synthetic.csv"
        lines = []

        def show(label, result):
            rate = result["rows"] / result["seconds"]
            lines.append((label, rate))
            sys.stdout.write(
                f"{label:<46} {result['rows']:>9,} rows {result['seconds']:8.1f} s "
                f"{rate:>10,.0f} rows/s  peak RSS {result['peak_rss_mb']:6.0f} MB  "
                f"indexed {result['indexed']:,}\n"
            )
            sys.stdout.flush()
            return rate

        if TATE.exists():
            count = write_tate_csv(tate)
            run_phase("prepare")
            show(f"Tate ({count:,} records), first import", run_phase("bulk", tate))
            show("Tate, same file again (all unchanged)", run_phase("bulk", tate))
        else:
            sys.stdout.write(f"Tate data not found at {TATE}; skipped.\n")

        write_synthetic_csv(synthetic, args.rows)
        size = synthetic.stat().st_size / 1024 / 1024
        run_phase("prepare")
        bulk = show(f"Synthetic ({size:.0f} MB), bulk import", run_phase("bulk", synthetic))
        run_phase("prepare")
        naive = show(
            "Synthetic, naive per-row save()", run_phase("naive", synthetic, args.naive_rows)
        )
        run_phase("prepare")
        sys.stdout.write(
            f"Bulk import: {bulk:,.0f} rows/s, {bulk / naive:.1f}x the naive per-row import "
            f"({naive:,.0f} rows/s), search index kept in both.\n"
        )


if __name__ == "__main__":
    main()
