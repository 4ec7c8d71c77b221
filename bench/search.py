"""Benchmark of the public search against the naive way, on generated realistic records.

Usage (PostgreSQL, a database of its own; it is emptied):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/archive_search_bench \
        .venv/bin/python bench/search.py --records 200000
SQLite (a file of its own under var/):
    DATABASE_URL=sqlite:///var/bench_search.sqlite3 \
        .venv/bin/python bench/search.py --records 100000

It generates N records from the real vocabulary in ../shared/data (Wilson Center and FRUS
texts, Tate titles, artists and subject paths) with Zipf-skewed frequencies, times
`rebuild_search_index`, then runs a fixed mix of queries through the real search page (the
full request: results, total, facet counts, rendering) and through the naive way (icontains
across the fields plus one count query per facet), and prints p50/p95/p99 per class.
"""

import argparse
import csv
import gzip
import html
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
# Measure as production runs: no debug query log, no debug templates.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from accessions.models import Language, Record  # noqa: E402
from accessions.search.count_limits import EXACT_COUNT_LIMIT  # noqa: E402
from accessions.search.engine import run_search  # noqa: E402
from accessions.search.facet_counting import value_counts  # noqa: E402
from accessions.search.facets import FACETS_BY_PARAM, lookup_values  # noqa: E402
from accessions.search.filters import SearchFilter  # noqa: E402
from accessions.search.indexing import PG_CONFIG  # noqa: E402
from accessions.search.keywords import STOPWORDS  # noqa: E402
from accessions.search.models import SearchEntry  # noqa: E402
from accessions.search.rebuilding import rebuild_search_index  # noqa: E402

# PostgreSQL's per-session settings: its defaults, and those the README recommends. JIT is
# not among them: the archive turns it off on its own connections (archive/settings.py).
SESSION_SETTINGS = {
    "defaults": {
        "work_mem": "4MB",
        "effective_cache_size": "4GB",
        "random_page_cost": "4",
    },
    "tuned": {
        "work_mem": "32MB",
        "effective_cache_size": "16GB",
        "random_page_cost": "1.1",
    },
}
# The error the issue allows an estimated total (19 times in 20).
ESTIMATE_ERROR = 0.05
WORD = re.compile(r"[^\W\d_]{3,}")
PHRASES = ["cold war", "nuclear weapons", "foreign minister", "central committee", "armed forces"]
STATUSES = ["published"] * 92 + ["draft"] * 4 + ["in_review"] * 2 + ["withdrawn"] * 2


def load_vocabulary() -> dict:
    """Words by real frequency, and the names, places and subjects of the shared data."""
    csv.field_size_limit(10**9)
    words: Counter = Counter()
    people, places, subjects = set(), set(), set()
    with open(DATA / "wilson_center" / "wilson_archive_sample_11.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words.update(w.lower() for w in WORD.findall(row["text_body"] + " " + row["summary"]))
            for column, target in (
                ("authors", people),
                ("associated_people_orgs", people),
                ("associated_places", places),
                ("subjects_discussed", subjects),
            ):
                if row[column]:
                    target.update(json.loads(row[column]))
    for path in sorted((DATA / "frus").glob("*.xml")):
        text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
        words.update(w.lower() for w in WORD.findall(text))
    place_paths = set()
    with gzip.open(DATA / "tate" / "tate_artworks_flat.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words.update(w.lower() for w in WORD.findall(row["title"]))
            if row["artists"]:
                people.update(name.strip() for name in row["artists"].split("|"))
            for subject in filter(None, row["subjects"].split("|")):
                if subject.startswith("places > "):
                    place_paths.add(tuple(part.strip() for part in subject.split(" > ")[1:]))
                else:
                    subjects.add(subject.split(" > ")[-1].strip().capitalize())
    return {
        "words": [word for word, _ in words.most_common()],
        "people": sorted(people),
        "places": sorted(places),
        "place_paths": sorted(place_paths),
        "subjects": sorted(subjects),
    }


class Zipf:
    """Pick items with Zipf-skewed frequency: the first items are by far the commonest."""

    def __init__(self, items, exponent=1.0, rng=None):
        self.items = list(items)
        self.cum = list(accumulate(1 / (rank**exponent) for rank in range(1, len(self.items) + 1)))
        self.rng = rng or random

    def pick(self, k=1):
        return self.rng.choices(self.items, cum_weights=self.cum, k=k)

    def distinct(self, k):
        return list(dict.fromkeys(self.pick(k)))


def unique_slugs(names):
    seen, rows = set(), []
    for name in names:
        slug = slugify(name, allow_unicode=True)[:190] or "item"
        base, n = slug, 1
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug)
        rows.append((name[:255], slug))
    return rows


def insert_rows(table, columns, rows):
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 20_000:
                    cursor.cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.cursor.executemany(sql, batch)


def taxonomy(table, names, extra=(), parts=None):
    rows = unique_slugs(list(dict.fromkeys(name[:255] for name in names)))
    columns = ["id", "name", "slug", *[c for c, _ in extra]]
    values = [(i, name, slug, *[v for _, v in extra]) for i, (name, slug) in enumerate(rows, 1)]
    if parts is not None:
        columns += ["family_name", "family_name_first", *[c for c, _ in parts]]
        values = [(*row, row[1], False, *[v for _, v in parts]) for row in values]
    insert_rows(table, columns, values)
    return list(range(1, len(rows) + 1))


def generate(n: int, vocabulary: dict, seed: int = 1962) -> None:
    rng = random.Random(seed)
    if connection.vendor == "postgresql":
        # A bulk load of known-good rows: skip the per-row foreign-key triggers.
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    tables = [
        "accessions_searchfacet",
        "accessions_searchentry",
        "accessions_recordtext",
        "accessions_recordevent",
        *[
            getattr(Record, m).through._meta.db_table
            for m in (
                "languages",
                "authors",
                "people_and_organizations",
                "places",
                "subjects",
                "collections",
                "donors",
            )
        ],
        "accessions_record",
        "accessions_agent",
        "accessions_place",
        "accessions_subject",
        "accessions_collection",
        "accessions_repository",
        "accessions_classification",
        "accessions_documenttype",
        "accessions_donor",
        "accessions_rightsstatement",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM search_fts")
    words = Zipf(vocabulary["words"], 1.0, rng)
    # Persons need their name parts (migration 0019); the heading stands in as the family name.
    agents = taxonomy(
        "accessions_agent",
        vocabulary["people"],
        extra=[("kind", "person")],
        parts=[("given_name", ""), ("name_particle", ""), ("name_suffix", "")],
    )
    subjects = taxonomy("accessions_subject", vocabulary["subjects"] + vocabulary["places"])
    # Places keep their real hierarchy (continent > country > city) from the Tate paths.
    place_ids, place_rows = {}, []
    for path in vocabulary["place_paths"]:
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in place_ids:
                place_ids[key] = len(place_ids) + 1
                place_rows.append((place_ids[key], key[-1], place_ids.get(key[:-1])))
    repeated = Counter(name for _, name, _ in place_rows)
    named = unique_slugs(
        [f"{name} ({pid})" if repeated[name] > 1 else name for pid, name, _ in place_rows]
    )
    insert_rows(
        "accessions_place",
        ["id", "name", "slug", "parent_id"],
        [
            (pid, name, slug, parent)
            for (pid, _, parent), (name, slug) in zip(place_rows, named, strict=True)
        ],
    )
    places = [pid for pid, _, _ in place_rows]
    collection_names = [f"{w.capitalize()} papers" for w in vocabulary["words"][100:300]]
    collections = taxonomy("accessions_collection", collection_names, extra=[("description", "")])
    with connection.cursor() as cursor:
        # Every fifth collection sits inside the one before it.
        for child in collections[1::5]:
            cursor.execute(
                "UPDATE accessions_collection SET parent_id = %s WHERE id = %s", [child - 1, child]
            )
    repositories = taxonomy(
        "accessions_repository",
        [f"{w.capitalize()} State Archive" for w in vocabulary["words"][300:360]],
        extra=[("location", ""), ("url", "")],
    )
    classifications = taxonomy(
        "accessions_classification", ["Top Secret", "Secret", "Confidential", "Restricted"]
    )
    types = taxonomy(
        "accessions_documenttype",
        [
            "Letter",
            "Telegram",
            "Memorandum of conversation",
            "Report",
            "Minutes",
            "Speech",
            "Cable",
            "Diary entry",
            "Note",
            "Transcript",
        ],
    )
    donors = taxonomy(
        "accessions_donor",
        [f"{w.capitalize()} Foundation" for w in vocabulary["words"][400:430]],
        extra=[
            ("kind", "organization"),
            ("credit", ""),
            ("is_funder", True),
            ("email", ""),
            ("phone", ""),
            ("address", ""),
            ("contact_notes", ""),
        ],
    )
    insert_rows(
        "accessions_rightsstatement",
        ["id", "name", "statement", "uri", "inquiry_contact", "inquiry_email"],
        [(1, "Research reuse", "Reuse for research.", "", "", "")],
    )
    languages = list(Language.objects.order_by("id").values_list("id", flat=True))
    pick_language = Zipf(languages[:20], 1.3, rng)
    pick_agent, pick_place = Zipf(agents, 1.0, rng), Zipf(places, 1.0, rng)
    pick_subject, pick_collection = Zipf(subjects, 1.0, rng), Zipf(collections, 1.0, rng)
    pick_repository, pick_donor = Zipf(repositories, 1.0, rng), Zipf(donors, 1.0, rng)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    records, texts = [], []
    m2m = {
        name: []
        for name in (
            "languages",
            "authors",
            "people_and_organizations",
            "places",
            "subjects",
            "collections",
            "donors",
        )
    }

    def sentence(k):
        chosen = words.pick(k)
        if rng.random() < 0.3:
            chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(PHRASES))
        return " ".join(chosen)

    for pk in range(1, n + 1):
        year = min(2020, max(1900, int(rng.gauss(1962, 15))))
        kind = rng.random()
        if kind < 0.05:
            date_text, start, end = "undated", None, None
        elif kind < 0.20:
            date_text, start, end = str(year), date(year, 1, 1), date(year, 12, 31)
        elif kind < 0.50:
            month = rng.randint(1, 12)
            start = date(year, month, 1)
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            date_text = f"{year}-{month:02d}"
        else:
            start = end = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            date_text = start.isoformat()
        status = rng.choice(STATUSES)
        published = status in ("published", "withdrawn")
        records.append(
            (
                pk,
                100_000 + pk,
                sentence(rng.randint(4, 10)).capitalize(),
                date_text,
                # The generated forms are EDTF already, but for "undated" (EDTF: XXXX).
                "XXXX" if start is None else date_text,
                date_text,
                start,
                end,
                False,
                sentence(rng.randint(15, 35)),
                "",
                pick_repository.pick()[0],
                rng.choice(classifications),
                rng.choice(types),
                1,
                (now.date() - timedelta(days=rng.randrange(3000))) if published else None,
                status,
                now if published else None,
                "",
                now,
                now,
            )
        )
        texts.append(
            (pk, pk, "translation", languages[4], sentence(rng.randint(40, 90)), "", True, 0)
        )
        m2m["languages"] += [(pk, x) for x in pick_language.distinct(rng.randint(1, 2))]
        m2m["authors"] += [(pk, x) for x in pick_agent.distinct(rng.randint(0, 2))]
        m2m["people_and_organizations"] += [(pk, x) for x in pick_agent.distinct(rng.randint(0, 4))]
        m2m["places"] += [(pk, x) for x in pick_place.distinct(rng.randint(1, 3))]
        m2m["subjects"] += [(pk, x) for x in pick_subject.distinct(rng.randint(1, 4))]
        m2m["collections"] += [(pk, x) for x in pick_collection.distinct(1)]
        if rng.random() < 0.4:
            m2m["donors"].append((pk, pick_donor.pick()[0]))
        if pk % 50_000 == 0 or pk == n:
            flush(records, texts, m2m)
            print(f"  generated {pk} records", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("accessions_record", "accessions_recordtext"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("ANALYZE")


def flush(records, texts, m2m):
    insert_rows(
        "accessions_record",
        [
            "id",
            "record_id",
            "title",
            "date_text",
            "date_edtf",
            "date_display",
            "date_start",
            "date_end",
            "date_approximate",
            "summary",
            "source",
            "original_archive_id",
            "original_classification_id",
            "document_type_id",
            "rights_id",
            "original_upload_date",
            "status",
            "published_at",
            "staff_notes",
            "created_at",
            "updated_at",
        ],
        records,
    )
    insert_rows(
        "accessions_recordtext",
        ["id", "record_id", "kind", "language_id", "body", "credit", "is_primary", "position"],
        texts,
    )
    for name, rows in m2m.items():
        field = Record._meta.get_field(name)
        through = field.remote_field.through._meta
        target = field.m2m_reverse_name()
        insert_rows(through.db_table, ["record_id", target], rows)
        rows.clear()
    records.clear()
    texts.clear()


def query_mix(vocabulary, rng) -> dict[str, list[str]]:
    """Fixed query classes; the rare words match at most 1 % of the published records."""
    words = vocabulary["words"]
    # With Zipf(1) over V words and ~120 words a record, a word of rank r appears in about
    # 120 / (r * H_V) of the records; ranks 1500-6000 land between roughly 0.1 % and 1 %.
    rare = [w for w in words[1500:6000] if len(w) > 4]
    common = [w for w in words[:40] if w not in STOPWORDS][:12]
    filters = [
        "language=en",
        "subject=" + slugify(vocabulary["subjects"][0], allow_unicode=True),
        "date_from=1960&date_to=1969",
        "type=telegram",
        "language=ru&date_from=1950-01&date_to=1975-06",
        "type=letter&language=en&classification=secret",
    ]
    # Stemming folds some of those words into a common stem ("mounted" is "mount", in 7 % of
    # the records): each drawn word is checked against the index and, unless it is rare there
    # too, replaced by one that is. The draws themselves are unchanged, so every other class
    # holds the same queries as before the check.
    checked = RareWords(rare)
    mix = {
        "rare word": [f"q={checked.rare(w)}" for w in rng.sample(rare, 12)],
        "rare word + filters": [
            f"q={checked.rare(w)}&{rng.choice(filters)}" for w in rng.sample(rare, 12)
        ],
        "common word": [f"q={w}" for w in rng.sample(common, 8)],
        "common word + filters": [f"q={w}&{rng.choice(filters)}" for w in rng.sample(common, 8)],
        "phrase": [f'q="{p}"' for p in PHRASES]
        + [f'q="{p}" {rng.choice(common)}' for p in PHRASES[:3]],
        "OR / exclude": [
            f"q={a} OR {b} -{c}" for a, b, c in (rng.sample(rare, 3) for _ in range(6))
        ],
        "browse": ["", "sort=-date", "sort=title", "page=50", "sort=-uploaded"],
        "browse + filters": filters,
    }
    return mix


class RareWords:
    """Words the search finds in 0.01-1 % of the published records (a stop word finds none,
    and is no rare word either), with stand-ins for those it finds more or less often."""

    def __init__(self, candidates):
        self.published = run_search(QueryDict("")).total
        stand_ins = list(candidates)
        random.Random(1962).shuffle(stand_ins)
        self.stand_ins = iter(stand_ins)
        self.used = set()

    def is_rare(self, word) -> bool:
        share = run_search(QueryDict(f"q={word}")).total / self.published
        return 0.0001 <= share <= 0.01

    def rare(self, word) -> str:
        if word not in self.used and self.is_rare(word):
            self.used.add(word)
            return word
        for stand_in in self.stand_ins:
            if stand_in not in self.used and self.is_rare(stand_in):
                self.used.add(stand_in)
                return stand_in
        raise SystemExit("Too few rare words in the index; generate more records.")


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_page(client, query):
    started = time.perf_counter()
    # As behind a TLS proxy: with DEBUG off plain HTTP is redirected.
    response = client.get("/search/?" + query, secure=True)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (query, response.status_code)
    return elapsed


NAIVE_FACETS = {
    "languages__code": "language",
    "collections__slug": "collection",
    "subjects__slug": "subject",
    "places__slug": "place",
    "authors__slug": "person",
    "people_and_organizations__slug": "person",
    "original_archive__slug": "repository",
    "donors__slug": "donor",
    "original_classification__slug": "classification",
    "document_type__slug": "type",
}


def naive_search(query: str) -> float:
    """The way without an index: icontains on every field, then one count query per facet."""
    params = QueryDict(query)
    started = time.perf_counter()
    records = Record.objects.published()
    text = params.get("q", "").replace('"', "")
    for word in text.split():
        if word.startswith("-") or word == "OR":
            continue
        records = records.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(texts__body__icontains=word)
        )
    for lookup, param in NAIVE_FACETS.items():
        if param in params and lookup.endswith("slug") or lookup.endswith("code"):
            values = params.getlist(param)
            if values:
                records = records.filter(**{f"{lookup}__in": values})
    if params.get("date_from"):
        records = records.filter(date_end__gte=f"{params['date_from'][:4]}-01-01")
    if params.get("date_to"):
        records = records.filter(date_start__lte=f"{params['date_to'][:4]}-12-31")
    records = records.distinct()
    records.count()
    list(records.order_by("date_start", "record_id")[:20])
    for lookup in NAIVE_FACETS:
        list(records.values(lookup).annotate(n=Count("id", distinct=True)).order_by())
    return (time.perf_counter() - started) * 1000


def time_engine(query) -> float:
    """The engine alone (run_search, no HTML), as the issue measures selective queries."""
    started = time.perf_counter()
    result = run_search(QueryDict(query))
    elapsed = (time.perf_counter() - started) * 1000
    assert result.is_valid, (query, result.errors)
    return elapsed


def plain_best(query: str, limit: int = 20) -> list[int]:
    """The true best page of a search by relevance, the plain way: every match ranked at once
    by the engine's order (accessions/search/relevance.py), written out here in SQL of its
    own, with none of the engine's plan."""
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    keywords = search_filter.keywords
    inner_sql, params = search_filter.qs.order_by().values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        in_title = "e.title_document @@ websearch_to_tsquery(%s, %s)"
        title_params = [PG_CONFIG, keywords.positive_websearch()]
    else:
        in_title = "e.record_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"
        title_params = [f"title : ({keywords.fts5_positive()})"]
    sql = (
        f"SELECT record_id FROM (SELECT e.record_id, e.date_start, e.date_end, "
        f"CASE WHEN {in_title} THEN 0 ELSE 1 END AS tier "
        f"FROM accessions_searchentry e WHERE e.record_id IN ({inner_sql})) ranked "
        "ORDER BY tier, date_start NULLS LAST, date_end NULLS LAST, record_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*title_params, *params, limit])
        return [row[0] for row in cursor.fetchall()]


def exact_facet_errors(query: str, result) -> list[float]:
    """The error of each facet count the page shows as an estimate, against its exact count
    (over the matches less the group's own filters, as the engine counts)."""
    search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    errors = []
    for group in result.facets:
        if group.param not in result.estimated_groups:
            continue
        definition = FACETS_BY_PARAM[group.param]
        exact = value_counts(search_filter.queryset_without(group.param), definition.facet)
        labels = lookup_values({definition: [value.value for value in group.values]}, by="key")
        for value in group.values:
            label = labels.get((definition.facet.value, value.value))
            true = exact.get(label.id, 0) if label else 0
            if true > EXACT_COUNT_LIMIT:
                errors.append(abs(value.count - true) / true)
    return errors


def check_relevance_and_counts(mix) -> None:
    """Per class: the share of the true best 20 on the engine's first page (relevance pages),
    and each estimated total against the exact count."""
    print(f"\n{'class':24} {'best 20 on page 1':>18} {'estimated':>10} {'error median/max':>17}")
    errors_everywhere, facet_errors = [], []
    for name, queries in mix.items():
        shares, errors = [], []
        # The same words in date order are estimated past the limit too: check them as well.
        in_date_order = [f"{query}&sort=date" for query in queries if "q=" in query]
        for query in queries + in_date_order:
            result = run_search(QueryDict(query))
            best = plain_best(query) if result.sort == "relevance" else []
            if best:  # a search that finds nothing has no best page to miss
                shown = {hit.record.pk for hit in result.hits}
                shares.append(len(shown.intersection(best)) / len(best))
            if result.estimated:
                search_filter = SearchFilter(QueryDict(query), queryset=SearchEntry.objects.all())
                assert search_filter.is_valid()
                exact = search_filter.qs.count()
                errors.append(abs(result.total - exact) / exact)
                print(f"    {query[:50]:50} about {result.total:>9,} exact {exact:>9,}")
                facet_errors += exact_facet_errors(query, result)
        errors_everywhere += errors
        share = f"{100 * statistics.mean(shares):.0f} %" if shares else "-"
        spread = (
            f"{100 * statistics.median(errors):.1f} / {100 * max(errors):.1f} %" if errors else "-"
        )
        print(f"{name:24} {share:>18} {len(errors):>10} {spread:>17}", flush=True)
    if errors_everywhere:
        within = sum(error <= ESTIMATE_ERROR for error in errors_everywhere)
        print(
            f"Estimates within ±{100 * ESTIMATE_ERROR:.0f} %: {within} of {len(errors_everywhere)}"
        )
    if facet_errors:
        within = sum(error <= ESTIMATE_ERROR for error in facet_errors)
        print(
            f"Estimated facet counts past {EXACT_COUNT_LIMIT:,} within ±"
            f"{100 * ESTIMATE_ERROR:.0f} %: {within} of {len(facet_errors)} "
            f"(median error {100 * statistics.median(facet_errors):.1f} %, "
            f"max {100 * max(facet_errors):.1f} %)"
        )


def time_engine_only(mix, repeat: int) -> None:
    """p50, p95 and mean of the engine alone per class, each query run `repeat` times, in
    the order of the mix (every class once, then again), after one warming run. The mean
    moves less than a percentile from run to run, and compares two checkouts best."""
    for queries in mix.values():
        for query in queries:
            time_engine(query)
    samples = {name: [] for name in mix}
    for _ in range(repeat):
        for name, queries in mix.items():
            samples[name] += [time_engine(query) for query in queries]
    print(f"\n{'class':24} {'n':>3} {'engine p50':>10} {'engine p95':>10} {'mean':>8}")
    everything = []
    for name, engine in samples.items():
        everything += engine
        print(
            f"{name:24} {len(engine):3d} {percentile(engine, 50):10.1f} "
            f"{percentile(engine, 95):10.1f} {statistics.mean(engine):8.1f}"
        )
    print(
        f"{'whole mix':24} {len(everything):3d} {percentile(everything, 50):10.1f} "
        f"{percentile(everything, 95):10.1f} {statistics.mean(everything):8.1f}"
    )


def capture_statements(mix, path: str) -> None:
    """Write every statement each query of the mix runs, with its values in place, to a
    JSON file: bench/compare_statements.py times two such files against each other."""
    captured = []
    for name, queries in mix.items():
        for query in queries:
            run_search(QueryDict(query))  # warm: the statements below are a warm request's
            statements = []

            def keep(execute, sql, params, many, context, statements=statements):
                composed = sql if params is None else connection.ops.compose_sql(sql, params)
                statements.append(composed)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(keep):
                run_search(QueryDict(query))
            captured.append({"class": name, "query": query, "statements": statements})
    Path(path).write_text(json.dumps(captured, indent=1))
    total = sum(len(entry["statements"]) for entry in captured)
    print(f"{total} statements of {len(captured)} queries written to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument(
        "--rebuild", action="store_true", help="time rebuild_search_index even when not generating"
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each query")
    parser.add_argument("--naive-per-class", type=int, default=2)
    parser.add_argument(
        "--checks-only", action="store_true", help="only the relevance and estimate checks"
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="time only the engine (no pages, no naive search, no checks): for comparing two "
        "checkouts, run alternately, with the mean of each class",
    )
    parser.add_argument(
        "--capture",
        metavar="FILE",
        help="only write the statements of each query of the mix to FILE (PostgreSQL), for "
        "bench/compare_statements.py",
    )
    parser.add_argument(
        "--skip-checks",
        action="store_true",
        help="time only; skip the relevance and estimate checks",
    )
    parser.add_argument(
        "--settings",
        choices=sorted(SESSION_SETTINGS),
        help="PostgreSQL: run with these per-session settings (README, Configuration for "
        "production); shared_buffers needs a server restart and is only reported",
    )
    args = parser.parse_args()
    print(f"Database: {connection.vendor}; records: {args.records}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, value in SESSION_SETTINGS.get(args.settings, {}).items():
                cursor.execute(f"SET {name} = %s", [value])
            shown = []
            for name in ["shared_buffers", *SESSION_SETTINGS["tuned"], "jit"]:
                cursor.execute(f"SHOW {name}")
                shown.append(f"{name}={cursor.fetchone()[0]}")
        print("PostgreSQL settings: " + ", ".join(shown))
    # The machine is shared: the load says how comparable two runs are.
    print("Load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    call_command("migrate", verbosity=0)
    # Pages name their CSS and scripts by the manifest collectstatic writes, as in production.
    call_command("collectstatic", interactive=False, verbosity=0)
    vocabulary = load_vocabulary()
    print(
        f"Vocabulary: {len(vocabulary['words'])} words, {len(vocabulary['people'])} people, "
        f"{len(vocabulary['subjects'])} subjects, {len(vocabulary['place_paths'])} place paths"
    )
    if not args.skip_generate:
        started = time.perf_counter()
        with transaction.atomic():
            generate(args.records, vocabulary)
        print(f"Generated in {time.perf_counter() - started:.0f} s")
    if not args.skip_generate or args.rebuild:
        # Timed as `manage.py rebuild_search_index` runs it (aside, its vacuum included).
        started = time.perf_counter()
        written = rebuild_search_index(progress=lambda done, total: None)
        print(f"rebuild_search_index: {written} entries in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        # The generation and the rebuild leave dirty pages behind; written now, not by the
        # first timed searches that happen to need their buffers.
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    rng = random.Random(7)
    mix = query_mix(vocabulary, rng)
    if args.checks_only:
        check_relevance_and_counts(mix)
        return
    if args.engine_only:
        time_engine_only(mix, args.repeat)
        return
    if args.capture:
        capture_statements(mix, args.capture)
        return
    client = Client()
    for queries in mix.values():  # warm the caches once
        for query in queries:
            time_page(client, query)
    print(
        f"\n{'class':24} {'n':>3} {'engine p50':>10} {'engine p95':>10} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'naive p50':>10} {'ratio p50':>9}"
    )
    # Every class's pages are timed before any naive search runs: each naive search reads
    # whole tables, and would leave the next class's pages to run on a cold cache, which a
    # server answering steady traffic does not do.
    samples_by_class = {
        name: [time_page(client, q) for _ in range(args.repeat) for q in queries]
        for name, queries in mix.items()
    }
    engine_by_class = {
        name: [time_engine(q) for _ in range(args.repeat) for q in queries]
        for name, queries in mix.items()
    }
    everything = []
    for name, queries in mix.items():
        samples = samples_by_class[name]
        everything += samples
        naive = [naive_search(q) for q in queries[: args.naive_per_class]]
        p50 = percentile(samples, 50)
        naive_p50 = statistics.median(naive) if naive else float("nan")
        engine = engine_by_class[name]
        print(
            f"{name:24} {len(samples):3d} {percentile(engine, 50):10.1f} "
            f"{percentile(engine, 95):10.1f} {p50:8.1f} {percentile(samples, 95):8.1f} "
            f"{percentile(samples, 99):8.1f} {naive_p50:10.1f} {naive_p50 / p50:8.0f}x",
            flush=True,
        )
    print(
        f"{'whole mix':24} {len(everything):3d} {percentile(everything, 50):8.1f} "
        f"{percentile(everything, 95):8.1f} {percentile(everything, 99):8.1f}"
    )
    estimated = sum(
        run_search(QueryDict(query)).estimated for queries in mix.values() for query in queries
    )
    print(f"Queries answered with estimated counts (over {EXACT_COUNT_LIMIT} matches): {estimated}")
    if not args.skip_checks:
        check_relevance_and_counts(mix)
    print("Load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
