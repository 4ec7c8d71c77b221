"""Benchmark of every public GET surface and the staff admin, against the old ways.

Usage, on a database that bench/search.py generated (it is read, plus one bench user and one
scanned record added on the first run):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_bench_1m \
        .venv/bin/python bench/surfaces.py --save var/surfaces-1m.json
    DATABASE_URL=... .venv/bin/python bench/surfaces.py --compare var/surfaces-1m.json

Each surface is requested in-process through Django's test client with DEBUG off, as a
server would answer it (resolving, the view, the queries, rendering), `--repeat` times after
one warming request; it prints p50/p95 in ms and the queries of one request. Where the
surface replaced a way that read every record, that way is kept here as `naive_*` and timed
in the same run (its queries only, no rendering: a lower bound of the old page). `--compare`
prints each surface's p50 beside a saved run's, e.g. 1M against 100k.
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accessions.catalogue.models import Collection, Record  # noqa: E402
from accessions.search.browse import Position, collection_records, visible_collections  # noqa: E402

DEEP_PAGE = 40


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def get(client, url: str):
    """A GET as a browser behind TLS makes it (the production settings redirect plain HTTP)."""
    return client.get(url, secure=True)


def time_get(client, url: str, repeat: int) -> tuple[list[float], int, int]:
    """Milliseconds of each request after a warming one, its query count and status."""
    get(client, url)
    # A request starts by emptying the query log; the context must start from empty too.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    # Read now: the captured list is a slice of the log, which the next request empties.
    count = len(queries)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = get(client, url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, count, response.status_code


def time_call(function, repeat: int) -> list[float]:
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


# The old ways, as the code before this benchmark's issue ran them -----------------------


def naive_visible_collections():
    """Walk every collection membership of every published record (the old visible set)."""
    direct = set(
        Collection.objects.filter(records__status=Record.Status.PUBLISHED)
        .values_list("id", flat=True)
        .distinct()
    )
    parents = dict(Collection.objects.values_list("id", "parent_id"))
    visible = set()
    for collection_id in direct:
        while collection_id and collection_id not in visible:
            visible.add(collection_id)
            collection_id = parents.get(collection_id)
    return Collection.objects.filter(id__in=visible).annotate(
        published_count=Count("records", filter=Q(records__status=Record.Status.PUBLISHED))
    )


def naive_home():
    Record.objects.published().count()
    list(naive_visible_collections().filter(parent__isnull=True))
    list(Record.objects.published().order_by("-published_at", "-record_id")[:8])


def naive_collections():
    list(naive_visible_collections().select_related("parent"))


def naive_collection_page(slug: str, number: int):
    collection = naive_visible_collections().get(slug=slug)
    records = (
        Record.objects.published()
        .filter(collections=collection)
        .order_by("date_start", "record_id")
    )
    list(Paginator(records, 25).get_page(number).object_list)


def naive_oai_first_page():
    records = Record.objects.published() | Record.objects.withdrawn()
    records.count()  # completeListSize, counted on the first page
    list(naive_visible_collections())
    list(records.order_by("updated_at", "pk").values_list("pk", flat=True)[:101])


def naive_sitemap_index():
    # Django's sitemap index counts every item to know how many pages it has.
    Record.objects.published().count()
    list(naive_visible_collections().only("slug"))


def naive_admin_list():
    Record.objects.count()
    list(Record.objects.select_related("accession").order_by("-record_id")[:50])


def naive_admin_search(word: str):
    records = Record.objects.filter(Q(title__icontains=word) | Q(accession__number__icontains=word))
    records.count()
    list(records.select_related("accession").order_by("-record_id")[:50])


# Setting up ----------------------------------------------------------------------------


def bench_user():
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="bench-superuser", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def scanned_record(user) -> Record:
    """A published record with one small scan, for the viewer and the IIIF manifest."""
    from accessions.scans.ingest import ingest_scan, upload_from_bytes
    from accessions.scans.models import Scan
    from tests.scan_files import image_bytes

    scan = Scan.objects.filter(record__status=Record.Status.PUBLISHED).first()
    if scan:
        return scan.record
    record = Record.objects.published().order_by("record_id").first()
    ingest_scan(
        record=record,
        upload=upload_from_bytes(image_bytes("PNG", size=(800, 1000))),
        name="bench.png",
        user=user,
    )
    return record


def deep_collection_token(collection, pages: int) -> str:
    page = collection_records(collection)
    for _ in range(pages - 1):
        if not page.next:
            break
        page = collection_records(collection, after=page.next)
    return page.next.token() if page.next else Position(None, 0).token()


def oai_deep_token(client, pages: int) -> str:
    import re

    url = "/oai/?verb=ListIdentifiers&metadataPrefix=oai_dc"
    token = ""
    for _ in range(pages):
        body = get(
            client, url if not token else f"/oai/?verb=ListIdentifiers&resumptionToken={token}"
        )
        match = re.search(rb"<resumptionToken[^>]*>([^<]+)<", body.content)
        if not match:
            break
        token = match.group(1).decode()
    return token


def surfaces(client, staff) -> list[tuple[str, Client, str]]:
    published = Record.objects.published()
    record_ids = list(published.order_by("?").values_list("record_id", flat=True)[:5])
    biggest = visible_collections().order_by("-published_count").first()
    smallest = visible_collections().order_by("published_count").first()
    scanned = scanned_record(bench_user())
    subject = "subject"
    token = deep_collection_token(biggest, DEEP_PAGE)
    oai_token = oai_deep_token(client, DEEP_PAGE)
    word = "telegram"
    listed = [
        ("home", client, "/"),
        ("record page", client, f"/document/{record_ids[0]}/"),
        ("record page (scans)", client, f"/document/{scanned.record_id}/"),
        ("collections", client, "/collections/"),
        ("collection page 1 (largest)", client, biggest.get_absolute_url()),
        (f"collection page {DEEP_PAGE}", client, f"{biggest.get_absolute_url()}?after={token}"),
        ("collection page (smallest)", client, smallest.get_absolute_url()),
        ("search browse", client, "/search/"),
        ("search words", client, "/search/?q=soviet+telegram"),
        (f"show all {subject}s", client, f"/search/filters/{subject}/"),
        ("API records", client, "/api/records/"),
        ("API record", client, f"/api/records/{record_ids[1]}/"),
        ("API collections", client, "/api/collections/"),
        ("OAI Identify", client, "/oai/?verb=Identify"),
        ("OAI ListSets", client, "/oai/?verb=ListSets"),
        ("OAI ListRecords", client, "/oai/?verb=ListRecords&metadataPrefix=oai_dc"),
        (
            f"OAI ListIdentifiers p{DEEP_PAGE}",
            client,
            f"/oai/?verb=ListIdentifiers&resumptionToken={oai_token}",
        ),
        (
            "OAI ListIdentifiers from",
            client,
            "/oai/?verb=ListIdentifiers&metadataPrefix=oai_dc&from=2015-01-01",
        ),
        (
            "OAI ListIdentifiers set",
            client,
            f"/oai/?verb=ListIdentifiers&metadataPrefix=oai_dc&set={smallest.slug}",
        ),
        (
            "OAI GetRecord",
            client,
            "/oai/?verb=GetRecord&metadataPrefix=oai_dc&identifier="
            f"oai:{django.conf.settings.OAI_REPOSITORY_IDENTIFIER}:{record_ids[2]}",
        ),
        ("feed", client, "/feeds/documents.atom"),
        ("feed (collection)", client, f"/feeds/documents.atom?collection={smallest.slug}"),
        ("sitemap index", client, "/sitemap.xml"),
        ("citation .bib", client, f"/document/{record_ids[3]}/cite.bib"),
        ("citation .json", client, f"/document/{record_ids[3]}/cite.json"),
        ("IIIF manifest", client, f"/iiif/{scanned.record_id}/manifest.json"),
        ("admin record list", staff, "/admin/accessions/record/"),
        ("admin search words", staff, f"/admin/accessions/record/?q={word}"),
        ("admin search id", staff, f"/admin/accessions/record/?q={record_ids[4]}"),
        (
            "admin change page",
            staff,
            f"/admin/accessions/record/{published.get(record_id=record_ids[4]).pk}/change/",
        ),
        ("admin accessions", staff, "/admin/accessions/accession/"),
        ("admin subjects", staff, "/admin/accessions/subject/"),
    ]
    section = sitemap_section_url(client)
    if section:
        listed.append(("sitemap section", client, section))
    return listed


def sitemap_section_url(client) -> str | None:
    import re

    body = get(client, "/sitemap.xml").content
    sections = re.findall(rb"<loc>https?://[^/]+(/[^<]*records[^<]*)</loc>", body)
    return sections[0].decode() if sections else None


def naive_cases(biggest_slug: str, word: str) -> dict[str, object]:
    return {
        "home": naive_home,
        "collections": naive_collections,
        f"collection page {DEEP_PAGE}": lambda: naive_collection_page(biggest_slug, DEEP_PAGE),
        "API collections": naive_collections,
        "OAI ListSets": lambda: list(naive_visible_collections().order_by("name")),
        "OAI ListRecords": naive_oai_first_page,
        "sitemap index": naive_sitemap_index,
        "admin record list": naive_admin_list,
        "admin search words": lambda: naive_admin_search(word),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per surface")
    parser.add_argument("--naive-repeat", type=int, default=3)
    parser.add_argument("--only", help="time only surfaces whose name contains this")
    parser.add_argument("--save", help="write the figures to this JSON file")
    parser.add_argument("--compare", help="a JSON file of an earlier run to print beside")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    # Pages name their CSS and scripts by the manifest collectstatic writes, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    if connection.vendor == "sqlite":
        # SQLite plans by the statistics ANALYZE leaves; indexes made since the generator
        # ran have none and would be misjudged (PostgreSQL's autovacuum keeps its own).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # One scan is attached on the first run; its tasks would log every state.
    for name in ("django.tasks", "accessions"):
        logging.getLogger(name).setLevel(logging.WARNING)
    total = Record.objects.published().count()
    print(f"Database: {connection.vendor}; published records: {total}")
    print("Load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    client = Client()
    staff = Client()
    staff.force_login(bench_user())
    listed = surfaces(client, staff)
    biggest = visible_collections().order_by("-published_count").first()
    naive = naive_cases(biggest.slug, "telegram")
    earlier = json.loads(Path(args.compare).read_text()) if args.compare else {}
    print(
        f"\n{'surface':30} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'status':>6} "
        f"{'naive p50':>10} {'ratio':>7}"
        + (f" {'earlier p50':>11} {'ratio':>6}" if earlier else "")
    )
    figures = {}
    for name, who, url in listed:
        if args.only and args.only not in name:
            continue
        samples, queries, status = time_get(who, url, args.repeat)
        if status != 200:
            raise SystemExit(f"{name}: {url} answered {status}, not a page to time")
        p50, p95 = statistics.median(samples), percentile(samples, 95)
        line = f"{name:30} {p50:8.1f} {p95:8.1f} {queries:7d} {status:6d}"
        figures[name] = {"p50": p50, "p95": p95, "queries": queries, "url": url}
        if name in naive:
            naive_p50 = statistics.median(time_call(naive[name], args.naive_repeat))
            figures[name]["naive_p50"] = naive_p50
            line += f" {naive_p50:10.1f} {naive_p50 / p50:6.0f}x"
        else:
            line += f" {'':10} {'':7}"
        if name in earlier:
            line += f" {earlier[name]['p50']:11.1f} {p50 / earlier[name]['p50']:6.2f}"
        print(line, flush=True)
    print("Load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
