"""Sitemaps for search engines, and the robots.txt that names them.

/sitemap.xml is a sitemap index. Published records are listed in sections of record IDs,
each at most SECTION_SIZE IDs wide (so at most the protocol's 50,000 URLs), each with the
last change of its records; the visible collections have one section. Every figure comes
from an index: a section's last change is one probe of the (section, updated_at) index of
published records, so the index costs one small query per section, not a read of all
records, and a section reads its own range of record IDs only.
"""

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from django.db import connection
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from accessions.catalogue.models import SITEMAP_SECTION_SIZE as SECTION_SIZE
from accessions.catalogue.models import Record
from accessions.search.browse import visible_collections
from accessions.standards.xml_text import xml_text
from archive.database_routing import reading_connection

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def record_sections() -> list[tuple[int, datetime]]:
    """(number, last change) of each section of record IDs that holds a published record."""
    table = Record._meta.db_table
    # Every section expression is written as the index is (record_id / SECTION_SIZE, with a
    # literal, not a parameter), so that both databases answer from that index: the first
    # and last section one probe each, each section's last change one probe. A MIN and MAX
    # of record_id over the published records read every one of them on SQLite.
    section = f"record_id / {int(SECTION_SIZE)}"
    # The status too is a literal: SQLite uses a partial index only where it can see that the
    # query's condition is the index's own.
    published = f"status = '{Record.Status.PUBLISHED}'"
    with reading_connection(Record).cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MIN({section}) FROM {table} WHERE {published}), "
            f"(SELECT MAX({section}) FROM {table} WHERE {published})"
        )
        low, high = cursor.fetchone()
    if low is None:
        return []
    # SQLite's statistics can make the (status, updated_at) index look cheaper, and that walks
    # every published record for each section; it is told which index answers.
    indexed = " INDEXED BY record_sitemap_section" if connection.vendor == "sqlite" else ""
    sql = (
        "WITH RECURSIVE sections(number) AS ("
        " SELECT %s UNION ALL SELECT number + 1 FROM sections WHERE number < %s) "
        f"SELECT number, (SELECT MAX(updated_at) FROM {table}{indexed} WHERE {published} "
        f"AND {section} = sections.number) FROM sections"
    )
    with reading_connection(Record).cursor() as cursor:
        cursor.execute(sql, [low, high])
        rows = cursor.fetchall()
    return [(number, _aware(changed)) for number, changed in rows if changed is not None]


def _aware(value) -> datetime:
    """A raw query on SQLite gives the stored text; PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(body: str) -> HttpResponse:
    return HttpResponse(XML_HEAD + body, content_type="application/xml; charset=utf-8")


@require_safe
def index(request):
    absolute = request.build_absolute_uri
    entries = [
        f"<sitemap><loc>{escape(absolute(reverse('standards:sitemap_records', args=[n])))}"
        f"</loc><lastmod>{_w3c(changed)}</lastmod></sitemap>"
        for n, changed in record_sections()
    ]
    entries.append(
        f"<sitemap><loc>{escape(absolute(reverse('standards:sitemap_collections')))}</loc>"
        "</sitemap>"
    )
    return _xml(
        f'<sitemapindex xmlns="{SITEMAP_NS}">\n' + "\n".join(entries) + "\n</sitemapindex>\n"
    )


@require_safe
def records(request, number: int):
    """The published records whose IDs fall in one section, in ID order."""
    rows = (
        Record.objects.published()
        .filter(record_id__gte=number * SECTION_SIZE, record_id__lt=(number + 1) * SECTION_SIZE)
        .order_by("record_id")
        .values_list("record_id", "updated_at")
    )
    # One reverse() for the section, not one per URL: 50,000 of them take most of a second,
    # as a template loop over the URLs would.
    placeholder = 999_999_999
    url = request.build_absolute_uri(reverse("accessions:record_detail", args=[placeholder]))
    before, after = url.split(str(placeholder))
    urls = [
        f"<url><loc>{escape(before)}{record_id}{escape(after)}</loc>"
        f"<lastmod>{_w3c(changed)}</lastmod><changefreq>monthly</changefreq></url>"
        for record_id, changed in rows
    ]
    if not urls:
        raise Http404("No published record has an ID in this section.")
    return _xml(f'<urlset xmlns="{SITEMAP_NS}">\n' + "\n".join(urls) + "\n</urlset>\n")


@require_safe
def collections(request):
    absolute = request.build_absolute_uri
    urls = [
        f"<url><loc>{escape(xml_text(absolute(collection.get_absolute_url())))}</loc>"
        "<changefreq>weekly</changefreq></url>"
        for collection in visible_collections().only("slug").order_by("slug")
    ]
    return _xml(f'<urlset xmlns="{SITEMAP_NS}">\n' + "\n".join(urls) + "\n</urlset>\n")


@require_safe
def robots(request):
    """Crawl the public pages, not the staff workspace; the sitemap index lists them all."""
    sitemap = request.build_absolute_uri(reverse("standards:sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
