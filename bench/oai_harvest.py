"""Bench: OAI-PMH ListRecords pages by keyset resumption token versus the naive OFFSET page.

Run: .venv/bin/python bench/oai_harvest.py [--records 100000] [--page-size 100]
Uses its own SQLite file var/bench_oai.sqlite3 unless DATABASE_URL is set (then that database
is filled: point it at a scratch database). Prints timings and the ratio of the two ways.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def make_records(count: int):
    from accessions.models import Record

    Record.objects.all().delete()
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for start in range(1, count + 1, 5000):
        batch = []
        for number in range(start, min(start + 5000, count + 1)):
            status = Record.Status.PUBLISHED
            if number % 7 == 0:
                status = Record.Status.DRAFT
            elif number % 50 == 0:
                status = Record.Status.WITHDRAWN
            batch.append(
                Record(
                    record_id=number, title=f"Telegram {number}", date_text="1962", status=status
                )
            )
        created = Record.objects.bulk_create(batch)
        # Distinct datestamps, as years of editing leave them (bulk_update skips auto_now).
        for record in created:
            record.updated_at = base + timedelta(minutes=record.record_id)
        Record.objects.bulk_update(created, ["updated_at"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the records of the last SQLite run"
    )
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_oai.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    if os.environ["DATABASE_URL"].startswith("sqlite") and not args.reuse:
        (ROOT / "var").mkdir(exist_ok=True)
        Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///")).unlink(missing_ok=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accessions.models import Record
    from accessions.standards.oai.tokens import ListPosition, make_token
    from accessions.standards.oai.views import harvestable_records

    call_command("migrate", verbosity=0)
    settings.OAI_PAGE_SIZE = args.page_size
    if not (args.reuse and Record.objects.count() == args.records):
        started = time.perf_counter()
        make_records(args.records)
        print(f"made {args.records} records in {time.perf_counter() - started:.1f}s")

    # Fresh planner statistics, as PostgreSQL's autovacuum would gather after a bulk load.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ordered = harvestable_records().order_by("updated_at", "pk")
    total = ordered.count()
    client = Client()
    print(f"database: {settings.DATABASES['default']['ENGINE']}, harvestable records: {total}")
    print(
        f"{'page starting at item':>24} {'keyset ms':>10} {'OFFSET ms':>10} {'ratio':>7} "
        f"{'whole request ms':>17}"
    )
    for position in (args.page_size, total // 2, total - args.page_size):
        after, pk = ordered.values_list("updated_at", "pk")[position - 1]

        def keyset_page(after=after, pk=pk):
            # The two queries accessions.standards.oai.views runs for a resumption token.
            page = ordered.filter(updated_at__gte=after).exclude(updated_at=after, pk__lte=pk)
            ids = list(page.values_list("pk", flat=True)[: args.page_size + 1])
            rows = {r.pk: r for r in Record.objects.filter(pk__in=ids).order_by()}
            return [rows[pk] for pk in ids]

        def offset_page(position=position):
            # The naive way: OFFSET over the ordered full rows.
            return list(ordered[position : position + args.page_size + 1])

        assert [r.pk for r in keyset_page()] == [r.pk for r in offset_page()]
        token = make_token(
            ListPosition(
                metadata_prefix="oai_dc",
                from_text=None,
                until_text=None,
                set_spec=None,
                after_updated_at=after.astimezone(UTC).isoformat(),
                after_pk=pk,
                cursor=position,
                complete_size=total,
            )
        )

        def whole_request(token=token):
            response = client.get("/oai/", {"verb": "ListRecords", "resumptionToken": token})
            assert response.status_code == 200 and b"<error" not in response.content

        keyset = median_ms(keyset_page, args.repeat)
        offset = median_ms(offset_page, args.repeat)
        request = median_ms(whole_request, args.repeat)
        print(
            f"{position:>24} {keyset:>10.1f} {offset:>10.1f} {offset / keyset:>6.1f}x "
            f"{request:>17.1f}"
        )


if __name__ == "__main__":
    main()
