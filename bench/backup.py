"""Benchmark of export_archive and restore_archive against a plain pg_dump and a file copy.

Usage (PostgreSQL; two databases of its own, emptied, and files under var/bench-backup/):
    .venv/bin/python bench/backup.py --records 100000 --scans 10000

It generates N records (each with a text of 300 words, subjects and a language) and S
small real JPEG scans in a local scan folder, then times, each in a process of its own
so that its peak memory is its own: `export_archive` into a new bag, again over that bag
(incremental: every scan reused), `restore_archive` of the bag into an empty database and
scan folder (derivatives queued, not made: a worker makes them afterwards), and the plain
way in the same run: `pg_dump --format=custom` plus a copy of the scan folder, and
`pg_restore` plus a copy back. Not part of the test suite.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-backup"
SERVER = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
SOURCE_DB = "archive_backup_bench"
RESTORED_DB = "archive_backup_bench_restored"


def environment(database: str, scans: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{database}",
        "ARCHIVE_SCANS_ROOT": str(scans),
        # Restore queues the derivatives for a worker; none runs during the timing.
        "DJANGO_TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "ARCHIVE_TESSERACT": "",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_phase(env: dict, *args: str) -> dict:
    finished = subprocess.run(
        [sys.executable, __file__, "--phase", *args], env=env, capture_output=True, text=True
    )
    if finished.returncode != 0:
        raise SystemExit(f"Phase {args[0]} failed:\n{finished.stdout}\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def timed(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# Phases, each run in a process of its own (python bench/backup.py --phase NAME …).


def phase_prepare(records: int, scans: int) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import transaction

    from accessions.search.rebuilding import rebuild_search_index

    with transaction.atomic():
        write_records(records)
    written = write_scans(scans)
    rebuild_search_index()
    return {"records": records, "scans": scans, "scan_bytes": written}


def write_records(count: int) -> None:
    """Records with a text, subjects and languages, every 12th a draft, in bulk."""
    from accessions.catalogue.models import Language, Record, RecordText, RightsStatement, Subject

    rng = random.Random(1962)
    words = "telegram memorandum embassy minister treaty missile talks delegation".split()
    rights = RightsStatement.objects.create(name="Bench", statement="Reuse for research.")
    subjects = Subject.objects.bulk_create(
        Subject(name=f"Subject {n}", slug=f"subject-{n}") for n in range(200)
    )
    languages = list(Language.objects.all()[:5])
    for start in range(1, count + 1, 5000):
        batch = []
        for number in range(start, min(start + 5000, count + 1)):
            record = Record(
                record_id=number,
                title=f"{rng.choice(words).title()} {number} on the {rng.choice(words)}",
                date_text=f"{1945 + number % 50}-{1 + number % 12:02d}",
                summary=" ".join(rng.choices(words, k=30)),
                rights=rights,
                status=Record.Status.DRAFT if number % 12 == 0 else Record.Status.PUBLISHED,
            )
            record.derive_dates()
            batch.append(record)
        created = Record.objects.bulk_create(batch)
        RecordText.objects.bulk_create(
            RecordText(
                record=record,
                body=" ".join(rng.choices(words, k=300)),
                language=languages[0],
                is_primary=True,
            )
            for record in created
        )
        Record.subjects.through.objects.bulk_create(
            Record.subjects.through(record_id=record.pk, subject_id=subject.pk)
            for record in created
            for subject in rng.sample(subjects, 3)
        )
        Record.languages.through.objects.bulk_create(
            Record.languages.through(record_id=record.pk, language_id=rng.choice(languages).pk)
            for record in created
        )


def write_scans(count: int) -> int:
    """Small real JPEGs in the scan folder, one per record, with their Scan and page rows."""
    import hashlib
    import io

    from django.conf import settings
    from PIL import Image, ImageDraw

    from accessions.catalogue.models import Record
    from accessions.scans.models import Scan, ScanPage

    rng = random.Random(1962)
    shutil.rmtree(settings.SCANS_ROOT, ignore_errors=True)
    records = Record.objects.order_by("pk").values_list("pk", "record_id")[:count]
    written, batch = 0, []
    for pk, record_id in records:
        image = Image.effect_noise((240, 320), rng.randint(20, 80)).convert("RGB")
        ImageDraw.Draw(image).text((20, 20), f"Telegram {record_id}", fill="black")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        data = buffer.getvalue()
        sha256 = hashlib.sha256(data).hexdigest()
        name = f"originals/{record_id}/{sha256}.jpg"
        path = Path(settings.SCANS_ROOT) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += len(data)
        batch.append(
            Scan(
                record_id=pk,
                file=name,
                original_filename=f"scan-{record_id}.jpg",
                media_type="image/jpeg",
                extension=".jpg",
                size_bytes=len(data),
                sha256=sha256,
                derivative_status=Scan.DerivativeStatus.DONE,
            )
        )
    created = Scan.objects.bulk_create(batch, batch_size=2000)
    ScanPage.objects.bulk_create(
        [ScanPage(scan=scan, number=1, width=240, height=320) for scan in created],
        batch_size=2000,
    )
    return written


def phase_command(name: str, *args: str) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if name == "restore_archive":
        call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command(
        name, *args, verbosity=0, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w")
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_as_phase(argv: list[str]) -> None:
    name, *args = argv
    if name == "prepare":
        result = phase_prepare(int(args[0]), int(args[1]))
    else:
        result = phase_command(name, *args)
    print(json.dumps(result))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        return run_as_phase(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()
    print("Load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    WORK.mkdir(parents=True, exist_ok=True)
    source_scans, restored_scans = WORK / "scans", WORK / "restored-scans"
    source = environment(SOURCE_DB, source_scans)
    if not args.skip_generate:
        recreate_database(SOURCE_DB)
        started = time.perf_counter()
        prepared = run_phase(source, "prepare", str(args.records), str(args.scans))
        print(f"Generated {prepared} in {time.perf_counter() - started:.0f} s")
    bag, plain = WORK / "bag", WORK / "plain"
    for folder in (bag, plain, restored_scans):
        shutil.rmtree(folder, ignore_errors=True)
    rows = []

    export = run_phase(source, "export_archive", str(bag))
    payload = folder_bytes(bag / "data")
    rows.append(("export_archive (new bag)", export["seconds"], payload, export["peak_rss_mb"]))
    again = run_phase(source, "export_archive", str(bag))
    rows.append(("export_archive (over it)", again["seconds"], payload, again["peak_rss_mb"]))

    recreate_database(RESTORED_DB)
    restored = environment(RESTORED_DB, restored_scans)
    restore = run_phase(restored, "restore_archive", str(bag))
    rows.append(("restore_archive", restore["seconds"], payload, restore["peak_rss_mb"]))

    # The plain way, in the same run: a dump and a copy of the folder, and back.
    plain.mkdir()
    pg_env = {**os.environ, "PGHOST": "127.0.0.1", "PGUSER": "postgres"}
    dump_seconds = timed(
        ["pg_dump", "--format=custom", f"--file={plain / 'db.pgdump'}", SOURCE_DB], pg_env
    )
    copy_seconds = timed(["cp", "-a", str(source_scans), str(plain / "scans")])
    plain_bytes = folder_bytes(plain)
    rows.append(("pg_dump + cp -a", dump_seconds + copy_seconds, plain_bytes, float("nan")))
    recreate_database(RESTORED_DB)
    shutil.rmtree(restored_scans, ignore_errors=True)
    restore_seconds = timed(
        ["pg_restore", "--no-owner", f"--dbname={RESTORED_DB}", str(plain / "db.pgdump")], pg_env
    )
    copy_back = timed(["cp", "-a", str(plain / "scans"), str(restored_scans)])
    rows.append(("pg_restore + cp -a", restore_seconds + copy_back, plain_bytes, float("nan")))

    records = args.records
    print(f"\nRecords: {records}; scans: {args.scans}; bag payload {payload / 1e6:.0f} MB")
    print(f"{'operation':28} {'s':>7} {'records/s':>10} {'MB/s':>7} {'peak RSS MB':>12}")
    for name, seconds, size, rss in rows:
        peak = "-" if rss != rss else f"{rss:.0f}"  # not measured for the plain programs
        print(
            f"{name:28} {seconds:7.1f} {records / seconds:10.0f} {size / 1e6 / seconds:7.1f} "
            f"{peak:>12}"
        )
    print(
        f"export_archive / (pg_dump + cp): {rows[0][1] / rows[3][1]:.1f}x the time; "
        f"restore_archive / (pg_restore + cp): {rows[2][1] / rows[4][1]:.1f}x"
    )
    print("Load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
