"""Benchmark of `rebuild_search_index` on PostgreSQL: how long it takes, and how long a search
waits meanwhile, against the rebuild in one transaction (the naive way).

Usage, on a database bench/search.py has filled (its records are kept; the index is rebuilt):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_search_1m \
        .venv/bin/python bench/rebuild.py --in-place

While the rebuild runs, a probe on a connection of its own runs a search every 200 ms
(`--probe q=...`) and records how long each took. The rebuild aside (what the command runs)
leaves the old index readable, so a search waits only for the swap; the rebuild in place
truncates the tables in one transaction, so every search waits for all of it. Each rebuild
is timed with its vacuum: the rebuild aside vacuums its tables before the swap; the rebuild
in place is vacuumed once committed (VACUUM cannot run inside a transaction).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402

from accessions.search.engine import run_search  # noqa: E402
from accessions.search.rebuilding import rebuild_search_index, vacuum_search_index  # noqa: E402

PROBE_EVERY = 0.2  # seconds between the starts of two probe searches


class Probe(threading.Thread):
    """Runs the search again and again on its own connection, timing each, until stopped."""

    def __init__(self, query: str):
        super().__init__(daemon=True)
        self.query = query
        self.stopping = threading.Event()
        self.timings: list[float] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                started = time.perf_counter()
                run_search(QueryDict(self.query))
                took = time.perf_counter() - started
                self.timings.append(took)
                self.stopping.wait(max(0.0, PROBE_EVERY - took))
        finally:
            connection.close()

    def stop(self) -> list[float]:
        self.stopping.set()
        self.join()
        return self.timings


def timed_rebuild(query: str, *, in_place: bool) -> dict:
    probe = Probe(query)
    probe.start()
    time.sleep(1)  # a few searches before the rebuild starts, for their usual time
    started = time.perf_counter()
    if in_place:
        # Inside a transaction, the rebuild is done in place (rebuilding.py).
        with transaction.atomic():
            written = rebuild_search_index(progress=lambda done, total: None)
        # Once committed: VACUUM cannot run inside a transaction.
        vacuum_search_index()
    else:
        written = rebuild_search_index(progress=lambda done, total: None)
    took = time.perf_counter() - started
    timings = probe.stop() or [float("nan")]
    return {
        "entries": written,
        "seconds": took,
        "searches": len(timings),
        "longest": max(timings),
        "median": statistics.median(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probe", default="q=telegram", help="the search the probe repeats")
    parser.add_argument(
        "--in-place", action="store_true", help="also time the rebuild in one transaction"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The rebuild aside is PostgreSQL's; on SQLite the rebuild runs in place.")
    runs = [("aside (the command)", timed_rebuild(args.probe, in_place=False))]
    if args.in_place:
        runs.append(("in place (naive)", timed_rebuild(args.probe, in_place=True)))
    print(f"Probe search: {args.probe}, one every {PROBE_EVERY * 1000:.0f} ms")
    print(
        f"{'rebuild':22} {'entries':>8} {'seconds':>8} {'searches':>9} {'median ms':>10} "
        f"{'longest wait s':>15}"
    )
    for name, run in runs:
        print(
            f"{name:22} {run['entries']:>8} {run['seconds']:>8.1f} {run['searches']:>9} "
            f"{run['median'] * 1000:>10.1f} {run['longest']:>15.2f}"
        )
    if len(runs) == 2:
        aside, in_place = runs[0][1], runs[1][1]
        print(
            f"Rebuild time, in place / aside: {in_place['seconds'] / aside['seconds']:.2f}x; "
            f"longest search wait, in place / aside: "
            f"{in_place['longest'] / aside['longest']:.0f}x"
        )


if __name__ == "__main__":
    main()
