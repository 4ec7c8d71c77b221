"""Public pages over HTTP: runserver, gunicorn without the page cache, gunicorn with it.

Usage (a PostgreSQL database of generated records, e.g. a copy of bench/search.py's; wrk and
redis-server from Debian):
    createdb -h 127.0.0.1 -U postgres -T archive_bench_100k prod_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prod_bench \\
        .venv/bin/python bench/http_pages.py [--workers 4] [--connections 100] [--duration 60]

One run measures the three servers in turn on the same database with the same requests: a
mix of 60 % random published record pages, 20 % keyword searches and 20 % browsing (home,
collections, a collection, facet lists). The server (and the cache's own redis-server) runs
pinned to core 0 and wrk, with 100 connections, to core 1, as the 2-core machine allows;
PostgreSQL is not pinned. Each server is warmed for 10 s first, and the cached one is
given every page of the run once before that (a steady state, where popular pages are
kept). The figures are wrk's requests per second, latency percentiles and errors (non-2xx/3xx
answers, timeouts, socket errors), and for gunicorn the server-side time of each request
from its access log, by kind of page, with the share answered from the cache.
"""

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

LUA = """
local records = {%(records)s}
local searches = {%(searches)s}
local browsing = {%(browsing)s}
request = function()
  local roll = math.random(100)
  local path
  if roll <= 60 then
    path = "/document/" .. records[math.random(#records)] .. "/"
  elseif roll <= 80 then
    path = searches[math.random(#searches)]
  else
    path = browsing[math.random(#browsing)]
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("LATENCY %%.2f %%.2f %%.2f\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  local e = summary.errors
  io.write(string.format("ERRORS %%d %%d %%d %%d %%d\\n",
    e.status, e.timeout, e.connect, e.read, e.write))
end
"""


def lua_strings(paths: list[str]) -> str:
    return ", ".join(f'"{path}"' for path in paths)


def requests_to_make() -> dict[str, list]:
    """Random published records, search words from their titles, and browsing pages."""
    import django

    django.setup()
    from accessions.catalogue.models import Record
    from accessions.search.browse import visible_collections

    records = list(
        Record.objects.published().order_by("?").values_list("record_id", "title")[:2000]
    )
    words = sorted(
        {word.lower() for _, title in records for word in re.findall(r"[A-Za-z]{5,}", title)}
    )
    random.seed(18)
    words = random.sample(words, min(60, len(words)))
    collections = list(visible_collections().values_list("slug", flat=True)[:20])
    browsing = ["/", "/collections/", "/search/"]
    browsing += [f"/collections/{slug}/" for slug in collections]
    browsing += [f"/search/filters/{facet}/" for facet in ("subject", "language", "place")]
    return {
        "records": [record_id for record_id, _ in records],
        "searches": [f"/search/?q={word}" for word in words],
        "browsing": browsing,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"The server stopped: {process.args}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"No answer from {url}")


def kind_of(path: str) -> str:
    if path.startswith("/document/"):
        return "record"
    if path.startswith("/search/") and "q=" in path:
        return "search"
    return "browse"


def server_side(log: Path, duration: int) -> dict:
    """Requests per second, p50/p95/p99 (ms) and cache hits by kind, from the access log."""
    by_kind: dict[str, list[tuple[float, bool]]] = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        path, _, micros, cache = parts[0], parts[1], parts[2], parts[3]
        by_kind.setdefault(kind_of(path), []).append((int(micros) / 1000, cache == "hit"))
    figures = {}
    for kind, samples in sorted(by_kind.items()):
        times = [ms for ms, _ in samples]
        figures[kind] = {
            "rate": len(samples) / duration,
            "latency": (statistics.median(times), percentile(times, 95), percentile(times, 99)),
            "hits": sum(hit for _, hit in samples) / len(samples),
        }
    return figures


def visit_all(url: str, paths: list[str]) -> None:
    """Ask for every page once, so that the cached server starts from a warm cache."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda path: urllib.request.urlopen(url + path, timeout=60).read(), paths))


def measure(name: str, command: list[str], env: dict, port: int, script: Path, args, log, warm=()):
    server = subprocess.Popen(
        ["taskset", "-c", "0", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/healthz", server)
        visit_all(url, list(warm))
        wrk = ["taskset", "-c", "1", "wrk", "-t", "2", "-c", str(args.connections)]
        subprocess.run([*wrk, "-d", "10s", "-s", str(script), url], capture_output=True)
        if log is not None:
            log.write_text("")
        result = subprocess.run(
            [*wrk, "-d", f"{args.duration}s", "--timeout", "10s", "-s", str(script), url],
            capture_output=True,
            text=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    out = result.stdout
    figures = {
        "name": name,
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "client": tuple(map(float, re.search(r"LATENCY (\S+) (\S+) (\S+)", out).groups())),
        "errors": sum(map(int, re.search(r"ERRORS ([\d ]+)", out).group(1).split())),
        "server": server_side(log, args.duration) if log is not None else {},
    }
    show(figures)
    return figures


def show(figures: dict) -> None:
    p50, p95, p99 = figures["client"]
    print(
        f"{figures['name']:18} {figures['rate']:8.1f} req/s   client p50/p95/p99 "
        f"{p50:7.1f} {p95:7.1f} {p99:7.1f} ms   errors {figures['errors']}"
    )
    for kind, kind_figures in figures["server"].items():
        s50, s95, s99 = kind_figures["latency"]
        print(
            f"  {kind:16} {kind_figures['rate']:8.1f} req/s   server p50/p95/p99 "
            f"{s50:7.1f} {s95:7.1f} {s99:7.1f} ms   from cache {kind_figures['hits']:4.0%}"
        )
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per server")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database of generated records.")
    wanted = requests_to_make()
    print(
        f"{len(wanted['records'])} record pages, {len(wanted['searches'])} searches, "
        f"{len(wanted['browsing'])} browsing pages; servers on core 0, wrk with "
        f"{args.connections} connections on core 1, {args.duration} s each"
    )
    base_env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # wrk speaks plain HTTP on loopback, as a TLS-ending proxy would.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    base_env.pop("REDIS_URL", None)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        # As bin/serve does: without DEBUG pages name the collected, hashed files.
        base_env["DJANGO_STATIC_ROOT"] = str(scratch / "static")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=ROOT,
            env=base_env,
            check=True,
        )
        script = scratch / "mix.lua"
        script.write_text(
            LUA
            % {
                "records": ", ".join(map(str, wanted["records"])),
                "searches": lua_strings(wanted["searches"]),
                "browsing": lua_strings(wanted["browsing"]),
            }
        )
        redis_port = free_port()
        redis = subprocess.Popen(
            ["taskset", "-c", "0", "redis-server", "--port", str(redis_port)]
            + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(scratch)],
            stdout=subprocess.DEVNULL,
        )
        try:
            port = free_port()
            measure(
                "runserver",
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                base_env,
                port,
                script,
                args,
                None,
            )
            log = scratch / "access.log"
            every_page = [f"/document/{record_id}/" for record_id in wanted["records"]]
            every_page += wanted["searches"] + wanted["browsing"]
            for name, extra, warm in (
                ("gunicorn uncached", {"ARCHIVE_PAGE_CACHE_SECONDS": "0"}, ()),
                ("gunicorn cached", {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}, every_page),
            ):
                port = free_port()
                measure(
                    name,
                    [gunicorn, "archive.wsgi:application", "--workers", str(args.workers)]
                    + ["--bind", f"127.0.0.1:{port}", "--access-logfile", str(log)]
                    + ["--access-logformat", "%(U)s%(q)s %(s)s %(D)s %({x-archive-cache}o)s"],
                    {**base_env, **extra},
                    port,
                    script,
                    args,
                    log,
                    warm,
                )
        finally:
            redis.terminate()
            redis.wait(timeout=30)


if __name__ == "__main__":
    main()
