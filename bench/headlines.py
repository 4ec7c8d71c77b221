"""The search page's highlighted extracts of records with long texts, against the naive way.

Usage (PostgreSQL, a database bench/search.py generated):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_search_bench \
        .venv/bin/python bench/headlines.py [--texts 3] [--length 60000]

Its records and texts are as before when it ends (the texts it adds are rolled back), but
the texts' id sequence moves on and the rolled-back rows stay as dead rows until the next
vacuum: do not run it while another benchmark times that database.

A page of search hits shows each record with an extract of its summary and texts around the
words (ts_headline). Transcripts of long documents run to tens of thousands of characters,
and OCR of a many-page scan to more; the extract is taken from the start of them only. This
gives 20 published records `--texts` texts of `--length` characters each (inside a
transaction that is rolled back), then times the page's records with their extracts
(hits.page_hits) as the search builds them, each text cut before the texts are joined, and
the naive way, the whole texts joined and then cut, in the same run.
"""

import argparse
import os
import random
import statistics
import sys
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
from django.db.models.expressions import RawSQL  # noqa: E402

from accessions.catalogue.models import Record, RecordText  # noqa: E402
from accessions.search import hits  # noqa: E402
from accessions.search.indexing import PG_CONFIG  # noqa: E402
from accessions.search.keywords import parse_keywords  # noqa: E402

WORD = "bellwether"


def naive_snippet_sql(keywords):
    """Every text whole, joined, then cut: what the search did before."""
    record_table = Record._meta.db_table
    return RawSQL(
        f"ts_headline('{PG_CONFIG}', LEFT({record_table}.summary || ' ' || COALESCE(("
        f"SELECT string_agg(x.body, ' ' ORDER BY x.position, x.id) "
        f"FROM {RecordText._meta.db_table} x WHERE x.record_id = {record_table}.id), ''), "
        f"{hits.HEADLINE_TEXT_LIMIT}), websearch_to_tsquery('{PG_CONFIG}', %s), %s)",
        [keywords.as_websearch(), hits.HEADLINE_OPTIONS],
    )


def long_text(rng, words, length):
    # The word near the start, where both ways find it: they must give the same extract.
    parts = [" ".join(rng.choices(words, k=30)), WORD]
    size = sum(len(part) + 1 for part in parts)
    while size < length:
        part = " ".join(rng.choices(words, k=50)) + "."
        parts.append(part)
        size += len(part) + 1
    return " ".join(parts)[:length]


def time_page(pks, keywords, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        page = hits.page_hits(pks, keywords)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, [str(hit.snippet) for hit in page]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=3, help="long texts per record")
    parser.add_argument("--length", type=int, default=60_000, help="characters per text")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The extracts are PostgreSQL's ts_headline: run on PostgreSQL.")
    rng = random.Random(1962)
    words = (
        "telegram embassy minister cabinet treaty frontier delegation reparations council "
        "memorandum ambassador conference garrison harbour railway mission consulate"
    ).split()
    keywords = parse_keywords(WORD)
    with transaction.atomic():
        pks = list(Record.objects.published().order_by("pk").values_list("pk", flat=True)[:20])
        if len(pks) < 20:
            raise SystemExit("Too few published records: generate them with bench/search.py.")
        RecordText.objects.bulk_create(
            RecordText(record_id=pk, body=long_text(rng, words, args.length), position=n + 1)
            for pk in pks
            for n in range(args.texts)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_size_pretty(SUM(pg_column_size(body))), SUM(length(body)) "
                f"FROM {RecordText._meta.db_table} WHERE record_id = ANY(%s)",
                [pks],
            )
            stored, characters = cursor.fetchone()
        print(
            f"20 records, {args.texts} texts of {args.length:,} characters each: "
            f"{characters:,} characters, {stored} stored"
        )
        ours, ours_extracts = time_page(pks, keywords, args.repeat)
        built = hits._snippet_sql
        hits._snippet_sql = naive_snippet_sql
        try:
            naive, naive_extracts = time_page(pks, keywords, args.repeat)
        finally:
            hits._snippet_sql = built
        transaction.set_rollback(True)
    if ours_extracts != naive_extracts:
        raise SystemExit("The two ways gave different extracts.")
    for name, samples in (("texts cut, then joined", ours), ("naive: joined, then cut", naive)):
        print(f"{name:26} median {statistics.median(samples):7.1f} ms   max {max(samples):7.1f} ms")
    ratio = statistics.median(naive) / statistics.median(ours)
    print(f"ratio (naive / ours, medians): {ratio:.1f}x")


if __name__ == "__main__":
    main()
