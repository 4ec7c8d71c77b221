"""Time the search statements of two checkouts against each other, query by query.

Usage (PostgreSQL, the database bench/search.py generated), from each checkout in turn:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_search_1m \\
        .venv/bin/python bench/search.py --records 1000000 --skip-generate --capture before.json
then, from either:
    DATABASE_URL=... .venv/bin/python bench/compare_statements.py before.json after.json

Timing two checkouts' whole searches one after the other compares them badly on a shared
2-core machine: its speed drifts by 10-15 % within an hour, more than most changes move a
class. This runs the database statements each query ran in one checkout and in the other
alternately, a few times each, on one connection, and compares the medians of each query's
pair; the per-class sums say what a change does to the database's share of a search (the
Python around it is not timed: time it with `bench/search.py --engine-only`).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection  # noqa: E402

# Importing bench.search sets Django up as every bench script does.
from bench.search import SESSION_SETTINGS  # noqa: E402


def run(cursor, statements) -> float:
    """Milliseconds to run the statements and fetch their rows."""
    started = time.perf_counter()
    for sql in statements:
        cursor.execute(sql)
        if cursor.description is not None:
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", help="statements captured with bench/search.py --capture")
    parser.add_argument("after")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each side")
    parser.add_argument("--settings", choices=sorted(SESSION_SETTINGS), default="tuned")
    parser.add_argument("--only", metavar="CLASS", help="only the classes whose name has this")
    args = parser.parse_args()
    before = {
        (e["class"], e["query"]): e["statements"] for e in json.loads(Path(args.before).read_text())
    }
    after = {
        (e["class"], e["query"]): e["statements"] for e in json.loads(Path(args.after).read_text())
    }
    if before.keys() != after.keys():
        raise SystemExit("The two files hold different queries: capture both on one database.")
    by_class: dict[str, list[tuple[float, float]]] = {}
    with connection.cursor() as cursor:
        for name, value in SESSION_SETTINGS[args.settings].items():
            cursor.execute(f"SET {name} = %s", [value])
        print(f"{'class':14} {'query':52} {'before':>8} {'after':>8} {'change':>7}")
        for key, first in before.items():
            name, query = key
            if args.only and args.only not in name:
                continue
            second = after[key]
            run(cursor, first), run(cursor, second)  # warm both
            times = ([], [])
            for _ in range(args.repeat):
                times[0].append(run(cursor, first))
                times[1].append(run(cursor, second))
            pair = statistics.median(times[0]), statistics.median(times[1])
            by_class.setdefault(name, []).append(pair)
            print(
                f"{name[:14]:14} {query[:52]:52} {pair[0]:8.1f} {pair[1]:8.1f} "
                f"{100 * (pair[1] - pair[0]) / pair[0]:+6.1f}%",
                flush=True,
            )
    print(f"\n{'class':24} {'before':>8} {'after':>8} {'change':>7}  (mean of the medians, ms)")
    for name, pairs in by_class.items():
        first = statistics.mean(pair[0] for pair in pairs)
        second = statistics.mean(pair[1] for pair in pairs)
        print(f"{name:24} {first:8.1f} {second:8.1f} {100 * (second - first) / first:+6.1f}%")


if __name__ == "__main__":
    main()
