"""A page of search hits: the published records of the page, each with a highlighted extract
of its summary and texts (PostgreSQL's ts_headline, SQLite's FTS5 snippet)."""

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from accessions.catalogue.models import Record, RecordText
from accessions.search.indexing import FTS_TABLE, PG_CONFIG
from accessions.search.results import (
    SearchHit,
)

# Private-use characters mark highlights in engine output; they are swapped for <mark> only
# after the snippet text has been HTML-escaped.
MARK_START, MARK_END = "\ue000", "\ue001"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=40, MinWords=20, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
HEADLINE_TEXT_LIMIT = 4000
TRANSLATION = RecordText.Kind.TRANSLATION.value


def page_hits(page_pks: list[int], keywords) -> list[SearchHit]:
    """The page's records, in the page's order, each with a highlighted extract."""
    if not page_pks:
        return []
    # No ORDER BY (the page order is page_pks'): SQLite would otherwise walk the whole
    # record_id index for the model's default ordering instead of looking up 20 primary keys.
    records = (
        Record.objects.published()
        .filter(pk__in=page_pks)
        .select_related("document_type")
        .order_by()
    )
    snippet_sql = _snippet_sql(keywords)
    if snippet_sql:
        records = records.annotate(highlighted=snippet_sql)
    by_pk = {record.pk: record for record in records}
    hits = []
    for pk in page_pks:
        record = by_pk.get(pk)
        if record is None:
            continue  # not published any more: the index is never trusted to show content
        highlighted = getattr(record, "highlighted", None)
        if highlighted:
            snippet = mark_safe(
                escape(highlighted).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
            )
        else:
            snippet = escape(Truncator(record.summary).words(40))
        hits.append(SearchHit(record, snippet))
    return hits


def _snippet_sql(keywords):
    """SQL for a highlighted extract of the summary and texts, for the page's rows only."""
    if not keywords.positive:
        return None
    record_table = Record._meta.db_table
    if connection.vendor == "postgresql":
        return RawSQL(
            # The headline reads only the start of the texts, in the record page's order
            # (Record.main_text first, the others by position): its cost grows with their
            # length. Each text is cut before they are joined, so that of a long transcript
            # only its start is read and decompressed (LEFT reads a slice), not all of it.
            f"ts_headline('{PG_CONFIG}', LEFT({record_table}.summary || ' ' || COALESCE(("
            f"SELECT string_agg(LEFT(x.body, {HEADLINE_TEXT_LIMIT}), ' ' "
            f"ORDER BY x.main DESC, x.position, x.id) FROM (SELECT body, position, id, "
            f"row_number() OVER (ORDER BY is_primary DESC, kind = '{TRANSLATION}' DESC, "
            f"position, id) = 1 AS main FROM {RecordText._meta.db_table} "
            f"WHERE record_id = {record_table}.id) x), ''), {HEADLINE_TEXT_LIMIT}), "
            f"websearch_to_tsquery('{PG_CONFIG}', %s), %s)",
            [keywords.as_websearch(), HEADLINE_OPTIONS],
        )
    # The title is shown anyway: extract from the summary when it matches, else the texts.
    summary = f"snippet({FTS_TABLE}, 1, %s, %s, '…', 32)"
    body = f"snippet({FTS_TABLE}, 2, %s, %s, '…', 32)"
    return RawSQL(
        f"(SELECT CASE WHEN instr({summary}, %s) > 0 THEN {summary} ELSE {body} END "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = {record_table}.id)",
        [MARK_START, MARK_END, MARK_START]
        + [MARK_START, MARK_END] * 2
        + [keywords.fts5_positive()],
    )
