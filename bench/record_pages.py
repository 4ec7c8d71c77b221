"""Record pages through gunicorn: requests per second and latency at 16 connections.

Usage (a database bench/search.py generated; gunicorn from requirements, wrk from Debian):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_bench_1m \
        .venv/bin/python bench/record_pages.py [--baseline ../old-checkout]

gunicorn (2 sync workers) runs pinned to one core and wrk to the other, as the 2-core
machine allows: the load client must not take the server's core. wrk asks for random
published record pages; the figures are wrk's requests per second and latency, and the
server-side time of each request from gunicorn's access log (%(M)s, milliseconds).
`--baseline DIR` serves another checkout of the project (e.g. the code before a change) on
the same database in the same run and prints the ratio.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

LUA = """
local ids = {%s}
request = function()
  return wrk.format("GET", "/document/" .. ids[math.random(#ids)] .. "/")
end
done = function(summary, latency, requests)
  io.write(string.format("LATENCY %%.2f %%.2f %%.2f\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("ERRORS %%d %%d\\n", summary.errors.status, summary.errors.timeout))
end
"""


def record_ids(count: int) -> list[int]:
    import django

    django.setup()
    from django.core.management import call_command

    from accessions.catalogue.models import Record

    # The pages name their CSS and scripts by the manifest collectstatic writes.
    call_command("collectstatic", interactive=False, verbosity=0)
    return list(
        Record.objects.published().order_by("?").values_list("record_id", flat=True)[:count]
    )


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(code_dir: Path, ids: list[int], args) -> dict:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        # wrk speaks plain HTTP, as a server behind a TLS-terminating proxy is spoken to.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "access.log"
        script = Path(scratch) / "pages.lua"
        script.write_text(LUA % ", ".join(map(str, ids)))
        server = subprocess.Popen(
            [
                "taskset", "-c", "0",
                str(ROOT / ".venv" / "bin" / "gunicorn"), "archive.wsgi:application",
                "--workers", str(args.workers), "--bind", f"127.0.0.1:{args.port}",
                "--access-logfile", str(log), "--access-logformat", "%(M)s %(s)s",
            ],
            cwd=code_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{args.port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/document/{ids[0]}/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.2)
            wrk = ["taskset", "-c", "1", "wrk", "-t", "2", "-c", str(args.connections)]
            # Warm both workers' connections and caches, then start the log afresh.
            subprocess.run([*wrk, "-d", "5s", "-s", str(script), url], capture_output=True)
            log.write_text("")
            result = subprocess.run(
                [*wrk, "-d", f"{args.duration}s", "--timeout", "10s", "-s", str(script), url],
                capture_output=True,
                text=True,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        server_ms = [
            float(line.split()[0]) for line in log.read_text().splitlines() if line.strip()
        ]
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p95, p99 = map(float, re.search(r"LATENCY (\S+) (\S+) (\S+)", out).groups())
    statuses, timeouts = map(int, re.search(r"ERRORS (\d+) (\d+)", out).groups())
    return {
        "rate": rate,
        "client": (p50, p95, p99),
        "server": (
            statistics.median(server_ms),
            percentile(server_ms, 95),
            percentile(server_ms, 99),
        ),
        "errors": statuses + timeouts,
    }


def show(name: str, figures: dict) -> None:
    client, server = figures["client"], figures["server"]
    print(
        f"{name:10} {figures['rate']:8.1f} req/s   client p50/p95/p99 "
        f"{client[0]:6.1f} {client[1]:6.1f} {client[2]:6.1f} ms   server p50/p95/p99 "
        f"{server[0]:6.1f} {server[1]:6.1f} {server[2]:6.1f} ms   errors {figures['errors']}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--baseline", help="another checkout to serve the same way")
    args = parser.parse_args()
    ids = record_ids(2000)
    print(
        f"{len(ids)} random published record pages; gunicorn {args.workers} sync workers on "
        f"core 0, wrk with {args.connections} connections on core 1, {args.duration} s"
    )
    this = measure(ROOT, ids, args)
    show("this", this)
    if args.baseline:
        baseline = measure(Path(args.baseline).resolve(), ids, args)
        show("baseline", baseline)
        print(f"ratio      {this['rate'] / baseline['rate']:.2f}x requests per second")


if __name__ == "__main__":
    main()
