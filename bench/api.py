"""The read API before and after Django REST Framework: list and record p50/p95, same run.

Usage (a database of generated records, e.g. bench/search.py's with --records 100000):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_api_bench \\
        .venv/bin/python bench/api.py [--rounds 5] [--baseline d8aa542]

The baseline commit (main's hand-written API views) is checked out into a temporary git
worktree; both trees are served by gunicorn (one sync worker each, DEBUG off) against the
same database. Every URL is requested from both servers in turn, the order alternating from
round to round, so that both meet the same load on this shared machine. The figures are the
client-side times (ms) of the list pages (the search with and without words and filters,
several pages deep) and of published record pages, and the ratio after/before.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
# Requests arrive as from a TLS proxy, as in production (no redirect to https).
os.environ.setdefault("DJANGO_SECURE_PROXY_SSL_HEADER", "1")
BEHIND_TLS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def urls_to_request(count: int) -> dict[str, list[str]]:
    """Published records at random, and list pages: plain, by words, by filters, deeper."""
    import django

    django.setup()
    from accessions.catalogue.models import Record, Subject
    from accessions.search.browse import visible_collections

    rng = random.Random(29)
    ids = list(Record.objects.published().order_by("?").values_list("record_id", flat=True)[:count])
    titles = (
        Record.objects.published().filter(record_id__in=ids[:50]).values_list("title", flat=True)
    )
    words = sorted({word.lower() for title in titles for word in title.split() if len(word) > 5})
    collections = list(visible_collections().values_list("slug", flat=True)[:10])
    subjects = list(Subject.objects.values_list("slug", flat=True)[:10])
    lists = ["/api/records/", "/api/records/?page=2", "/api/records/?page=40"]
    lists += [f"/api/records/?q={word}" for word in rng.sample(words, min(8, len(words)))]
    lists += [f"/api/records/?collection={slug}" for slug in collections[:4]]
    lists += [f"/api/records/?subject={slug}&sort=date" for slug in subjects[:4]]
    lists += ["/api/records/?date_from=1960&date_to=1965", "/api/records/?has_scan=1"]
    return {"list": lists, "record": [f"/api/records/{record_id}/" for record_id in ids]}


def serve(tree: Path, port: int, config: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "archive.wsgi",
            "--config",
            str(config),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--chdir",
            str(tree),
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"The server stopped: {process.args}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=BEHIND_TLS), timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"No answer from {url}")


def timed(base: str, path: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    try:
        request = urllib.request.Request(base + path, headers=BEHIND_TLS)
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
    return (time.perf_counter() - started) * 1000, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="times each URL is requested")
    parser.add_argument("--records", type=int, default=40, help="record pages to request")
    parser.add_argument("--baseline", default="d8aa542", help="the commit to compare with")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL to a database of generated records.")
    print("Load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    urls = urls_to_request(args.records)
    with tempfile.TemporaryDirectory(prefix="api-bench-") as scratch:
        baseline = Path(scratch) / "baseline"
        config = Path(scratch) / "gunicorn.conf.py"
        config.write_text("accesslog = None\ncontrol_socket_disable = True\n")
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(baseline), args.baseline],
            cwd=ROOT,
            check=True,
        )
        servers = {}
        try:
            for name, tree in (("before", baseline), ("after", ROOT)):
                port = free_port()
                servers[name] = (f"http://127.0.0.1:{port}", serve(tree, port, config))
            for base, process in servers.values():
                wait_for(base + "/api/records/", process)
            samples = {(server, kind): [] for server in servers for kind in urls}
            for paths in urls.values():
                for path in paths:  # warm both once, and check they answer the same
                    # The same but for the absolute URLs, which name each server's port.
                    answers = [
                        json.loads(timed(base, path)[1].replace(base[7:].encode(), b"server"))
                        for base, _ in servers.values()
                    ]
                    if answers[0] != answers[1]:
                        differing = sorted(
                            key
                            for key in answers[0].keys() | answers[1].keys()
                            if answers[0].get(key) != answers[1].get(key)
                        )
                        print(f"  note: the answers to {path} differ in {differing}")
            for round_number in range(args.rounds):
                order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
                for kind, paths in urls.items():
                    for path in paths:
                        for server in order:
                            samples[(server, kind)].append(timed(servers[server][0], path)[0])
        finally:
            for _, process in servers.values():
                process.terminate()
                process.wait()
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False
            )
    print(
        f"\n{'endpoint':8} {'n':>4} {'before p50':>11} {'p95':>7} {'after p50':>10} {'p95':>7}"
        f" {'ratio p50':>10} {'ratio p95':>10}"
    )
    for kind in urls:
        before, after = samples[("before", kind)], samples[("after", kind)]
        b50, b95 = statistics.median(before), percentile(before, 95)
        a50, a95 = statistics.median(after), percentile(after, 95)
        print(
            f"{kind:8} {len(after):4d} {b50:11.1f} {b95:7.1f} {a50:10.1f} {a95:7.1f} "
            f"{a50 / b50:10.2f} {a95 / b95:10.2f}"
        )
    print("Load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
