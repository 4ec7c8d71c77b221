"""Facet counting over the keys on the entries' rows (PostgreSQL): each count reads only the
part of an entry's keys its facets can be in, and must count what the facet rows say, in
plain SQL and through the archive_facets extension's aggregate (key_tally)."""

from collections import Counter

import pytest
from django.db import connection

from accessions.models import Collection, Language, Place, Subject
from accessions.scans.ingest import ingest_scan
from accessions.search import key_tally
from accessions.search.facet_counting import unnested_key_counts
from accessions.search.models import Facet, SearchEntry, SearchFacet
from tests.engines import engine_unavailable
from tests.scan_files import image_bytes, upload

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="entries keep keys on PostgreSQL"),
]


@pytest.fixture(params=["plain SQL", "aggregate"])
def counting_way(request, settings):
    """Each test here runs once per way of counting."""
    if request.param == "plain SQL":
        settings.SEARCH_KEY_TALLY = "off"
    elif not key_tally.is_installed(connection):
        engine_unavailable(
            "The archive_facets extension is not installed in PostgreSQL (make pg-extension)."
        )
    return request.param


def counted(facets) -> Counter:
    """(facet, value) → count, as unnested_key_counts counts them over every entry."""
    table = SearchEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(unnested_key_counts(table, "keys", facets))
        return Counter({(facet, value): count for facet, value, count in cursor.fetchall()})


def from_facet_rows(facets) -> Counter:
    numbers = {int(facet) for facet in facets}
    rows = SearchFacet.objects.filter(facet__in=numbers).values_list("facet", "value")
    return Counter(rows)


@pytest.mark.parametrize(
    "facets",
    [
        [Facet.LANGUAGE],  # the first facet: its keys open the array
        [Facet.SCAN],  # the last: the sample levels follow its keys
        [Facet.DECADE],
        [Facet.SUBJECT, Facet.PLACE, Facet.PERSON],  # one run of adjacent facets
        [Facet.LANGUAGE, Facet.PLACE, Facet.DECADE],  # runs with gaps between them
        list(Facet),
    ],
    ids=lambda facets: "+".join(facet.name.lower() for facet in facets),
)
def test_counts_from_the_keys_equal_the_facet_rows(make_record, settings, facets, counting_way):
    settings.TESSERACT_COMMAND = ""  # no OCR: only the scan's presence counts here
    europe = Place.objects.create(name="Counting Europe")
    paris = Place.objects.create(name="Counting Paris", parent=europe)
    collection = Collection.objects.create(name="Counting collection")
    subjects = [Subject.objects.create(name=f"Counting subject {n}") for n in range(3)]
    english, german = Language.objects.get(code="en"), Language.objects.get(code="de")
    for n in range(6):
        record = make_record(
            title=f"Counted telegram {n}",
            date_text=f"19{55 + 3 * n}/19{58 + 3 * n}",  # two decades for some
            places=[paris] if n % 2 else [],
            subjects=subjects[: n % 4],
            collections=[collection] if n % 3 else [],
            languages=[english, german] if n == 5 else [english],
        )
        if n in (1, 4):
            ingest_scan(record=record, upload=upload(image_bytes(text="Page"), "p.jpg"), name="p")
    make_record(title="Bare telegram", languages=[])
    make_record(status="draft", title="Draft telegram", subjects=subjects)
    expected = from_facet_rows(facets)
    assert expected  # every case counts something
    assert ("archive_key_tally" in unnested_key_counts("t", "keys", facets)) == (
        counting_way == "aggregate"
    )
    assert counted(facets) == expected
