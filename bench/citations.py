"""The record page's three citation styles: citeproc-py's rendering, cold and cached.

    .venv/bin/python bench/citations.py [--records 200]

Builds varied citations in memory (no database), then times per record, p50 and p95 in
milliseconds: rendering Chicago, MLA and APA with citeproc-py each time (the plain way), the
page's styled_citations on a cold cache (a digest, a miss, the rendering, a set), and on a
warm one (a digest and a hit, what every later view of an unchanged record costs); and
prints the ratio of the plain way to the warm cache.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

from accessions.standards.citations.citation import Citation, DocumentDate, Name  # noqa: E402
from accessions.standards.citations.formats import csl_item  # noqa: E402
from accessions.standards.citations.styles import render, styled_citations  # noqa: E402

FAMILIES = ["Kennan", "Khrushchev", "Gaulle", "Mao", "Nehru", "Castro", "Adenauer", "Tito"]
GIVENS = ["George F.", "Nikita Sergeevich", "Charles", "Zedong", "Jawaharlal", "Fidel"]
WORDS = "telegram memorandum conversation Berlin missiles Cuba treaty minutes letter".split()


def citation(number: int, rng: random.Random) -> Citation:
    authors = [
        Name(family=rng.choice(FAMILIES), given=rng.choice(GIVENS))
        for _ in range(rng.choice([0, 1, 1, 2, 3]))
    ]
    year = rng.randint(1945, 1991)
    when = rng.choice(
        [
            DocumentDate(year, rng.randint(1, 12), rng.randint(1, 28)),
            DocumentDate(year, rng.randint(1, 12)),
            DocumentDate(year, approximate=True),
            DocumentDate(year, end_year=year + 9),
            DocumentDate(),
        ]
    )
    return Citation(
        record_id=number,
        title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize(),
        authors=authors,
        date=when,
        date_display="",
        document_type=rng.choice(["Letter", "Telegram", "Memorandum", ""]),
        source=rng.choice(["", "AVP RF, fond 0757, opis 7.", "RG 59, Central Files"]),
        archive=rng.choice(["", "National Archives", "Archive of Foreign Policy"]),
        summary="",
        languages=[rng.choice(["en", "ru", "fr"])],
        subjects=[],
        url=f"https://archive.example.org/document/{number}/",
        site_name=settings.SITE_NAME,
        accessed=date(2026, 12, 6),
    )


def timed(function, citations) -> list[float]:
    times = []
    for each in citations:
        started = time.perf_counter()
        function(each)
        times.append((time.perf_counter() - started) * 1000)
    return times


def plain(each: Citation) -> None:
    item = csl_item(each)
    for _label, filename in settings.ARCHIVE_CITATION_STYLES.values():
        render(filename, item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    arguments = parser.parse_args()
    citations = [citation(number, random.Random(number)) for number in range(arguments.records)]
    plain(citations[0])  # read the style files once, as a running process has
    cache.clear()
    results = {
        "citeproc-py, every view": timed(plain, citations),
        "cached, first view": timed(styled_citations, citations),
        "cached, later views": timed(styled_citations, citations),
    }
    for label, times in results.items():
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{label:26} p50 {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")
    ratio = statistics.median(results["citeproc-py, every view"]) / statistics.median(
        results["cached, later views"]
    )
    print(f"{arguments.records} records, 3 styles; plain / later views at p50: {ratio:,.0f}×")


if __name__ == "__main__":
    main()
