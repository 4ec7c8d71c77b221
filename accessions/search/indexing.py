"""Keep the search index in step with the catalogue, in set-based SQL.

update_search_index is called inside the transaction of every write that changes what the
public may find (create, edit, publish, withdraw, delete, import), so the index is never
behind the records it describes. For the same reason it drops the cached public pages.
"""

import logging
from collections.abc import Iterable

from django.db import connection, transaction

from accessions.catalogue.models import (
    Agent,
    Collection,
    Language,
    Place,
    Record,
    RecordText,
    Subject,
)
from accessions.catalogue.page_cache import forget_public_pages
from accessions.scans.models import Scan, ScanPage
from accessions.search.models import (
    FACET_KEY_BASE,
    SAMPLE_LEVEL,
    SAMPLE_LEVELS_UP_TO,
    Facet,
    SearchEntry,
    SearchFacet,
    SearchFacetTotal,
)

logger = logging.getLogger(__name__)

# Keeps each statement well under SQLite's limit on bound parameters.
CHUNK_SIZE = 5000
PG_CONFIG = "archive_search"
FTS_TABLE = "search_fts"
# The SearchFacetTotal row counting the published records themselves.
ENTRIES_TOTAL = 0


def _tables() -> dict[str, str]:
    """Table names from the models, so the SQL follows any rename."""
    through = {name: getattr(Record, name).through._meta.db_table for name in _MANY}
    return {
        "record": Record._meta.db_table,
        "text": RecordText._meta.db_table,
        "entry": SearchEntry._meta.db_table,
        "facet": SearchFacet._meta.db_table,
        "total": SearchFacetTotal._meta.db_table,
        "agent": Agent._meta.db_table,
        "place": Place._meta.db_table,
        "subject": Subject._meta.db_table,
        "collection": Collection._meta.db_table,
        "language": Language._meta.db_table,
        "scan": Scan._meta.db_table,
        "scan_page": ScanPage._meta.db_table,
        **{f"m2m_{name}": table for name, table in through.items()},
    }


_MANY = (
    "languages",
    "authors",
    "people_and_organizations",
    "places",
    "subjects",
    "collections",
    "donors",
)


def _aggregate(expression: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"string_agg({expression}, ' ')"
    return f"group_concat({expression}, ' ')"


def _year(column: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS integer)"
    return f"CAST(strftime('%%Y', {column}) AS integer)"


def _text_sql(t: dict, vendor: str) -> tuple[str, str]:
    """SQL for a record's texts and for the names indexed with them (people, places, subjects)."""
    body = (
        f"COALESCE((SELECT {_aggregate('x.body', vendor)} FROM {t['text']} x "
        f"WHERE x.record_id = r.id), '')"
    )
    # One aggregate per relation: cheaper than aggregating a UNION of them.
    relations = [
        (t["agent"], t["m2m_authors"], "agent_id"),
        (t["agent"], t["m2m_people_and_organizations"], "agent_id"),
        (t["place"], t["m2m_places"], "place_id"),
        (t["subject"], t["m2m_subjects"], "subject_id"),
    ]
    names = " || ' ' || ".join(
        f"COALESCE((SELECT {_aggregate('n.name', vendor)} FROM {table} n "
        f"JOIN {through} m ON m.{column} = n.id WHERE m.record_id = r.id), '')"
        for table, through, column in relations
    )
    return body, names


def _ocr_sql(t: dict, vendor: str) -> str:
    """SQL for the OCR text of a record's scan pages, indexed below the curated texts."""
    return (
        f"COALESCE((SELECT {_aggregate('p.ocr_text', vendor)} FROM {t['scan_page']} p "
        f"JOIN {t['scan']} s ON s.id = p.scan_id WHERE s.record_id = r.id), '')"
    )


def _published(where: str) -> str:
    return f"r.status = '{Record.Status.PUBLISHED}' AND {where}"


def _document_sql(t: dict) -> str:
    """SQL for a record's weighted text vector on PostgreSQL: title, summary, texts and
    names, OCR text; inside _entry_insert's statement, which gives the title's vector."""
    body, names = _text_sql(t, "postgresql")
    return (
        f"setweight({TITLE_VECTOR}, 'A') || "
        f"setweight(to_tsvector('{PG_CONFIG}', r.summary), 'B') || "
        f"setweight(to_tsvector('{PG_CONFIG}', {body} || ' ' || {names}), 'C') || "
        f"setweight(to_tsvector('{PG_CONFIG}', {_ocr_sql(t, 'postgresql')}), 'D')"
    )


def _keys_sql(t: dict) -> str:
    """SQL for a record's facet keys (PostgreSQL), from its facet rows, written before it,
    and its sample-level keys (see models.SAMPLE_LEVEL)."""
    return (
        f"ARRAY(SELECT f.facet * {FACET_KEY_BASE} + f.value FROM {t['facet']} f "
        f"WHERE f.entry_id = r.id ORDER BY 1) || {sample_levels_sql('r.id')}"
    )


def sample_levels_sql(pk: str) -> str:
    """SQL for the sample-level keys of the entry of record pk `pk` (PostgreSQL)."""
    levels = SAMPLE_LEVELS_UP_TO.bit_length()  # strides 1, 2, 4, ... SAMPLE_LEVELS_UP_TO
    return (
        f"ARRAY(SELECT {SAMPLE_LEVEL * FACET_KEY_BASE} + (1 << g) FROM "
        f"generate_series(0, {levels - 1}) g WHERE {pk} %% (1 << g) = 0)"
    )


# The title's own text vector (PostgreSQL), computed once per record (see _entry_insert).
TITLE_VECTOR = "title_words.vector"


def _entry_insert(t: dict, document: str, rest: str, keys: str | None = None) -> str:
    """INSERT of the entries of the records (aliased r) that `rest` (joins and a WHERE
    clause) selects; on PostgreSQL their facet rows must be written first, for the keys,
    unless `keys` gives them."""
    postgresql = connection.vendor == "postgresql"
    if keys is None:
        keys = _keys_sql(t) if postgresql else "NULL"
    title = TITLE_VECTOR if postgresql else "NULL"
    source = f"{t['record']} r"
    if postgresql:
        # The title's vector is stored alone and weighted inside the document: computed once
        # in a lateral subquery that OFFSET 0 keeps the planner from inlining (inlined, it
        # ran twice, about 6 % of a rebuild's batch).
        source += (
            f" CROSS JOIN LATERAL (SELECT to_tsvector('{PG_CONFIG}', r.title) AS vector "
            f"OFFSET 0) title_words"
        )
    return (
        f"INSERT INTO {t['entry']} "
        f"(record_id, date_start, date_end, sort_title, uploaded, document, title_document, "
        f"keys) "
        f"SELECT r.id, r.date_start, r.date_end, LOWER(r.title), r.original_upload_date, "
        f"{document}, {title}, {keys} FROM {source} {rest}"
    )


def _entry_statements(t: dict, vendor: str, where: str) -> list[str]:
    """INSERTs for the entries (and the FTS5 rows on SQLite) of published records in `where`."""
    body, names = _text_sql(t, vendor)
    ocr = _ocr_sql(t, vendor)
    published = _published(where)
    document = _document_sql(t) if vendor == "postgresql" else "NULL"
    statements = [_entry_insert(t, document, f"WHERE {published}")]
    if vendor == "sqlite":
        statements.append(
            f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body, names, ocr) "
            f"SELECT r.id, r.title, r.summary, {body}, {names}, {ocr} FROM {t['record']} r "
            f"WHERE {published}"
        )
    return statements


def _facet_statements(t: dict, vendor: str, where: str) -> list[str]:
    """INSERTs of the facet keys of the published records in `where`."""
    insert = f"INSERT INTO {t['facet']} (entry_id, facet, value) "
    return [f"{insert}SELECT * FROM ({rows}) facet_rows" for rows in _facet_rows(t, vendor, where)]


def _facet_rows(t: dict, vendor: str, where: str) -> list[str]:
    """SELECTs of the (entry pk, facet, value) rows of the published records in `where`."""
    # Published records are exactly those with an entry; the facet rows need not wait for it.
    indexed = f"WHERE {_published(where)}"
    # The records' condition stated on the joined rows too: PostgreSQL then reads a batch's
    # rows of a join table through its index on record_id, where it scanned the whole
    # table for each batch (half the time of a rebuild's facet rows at a million records).
    if not where.startswith("r.id "):
        raise ValueError(f"the records must be named by r.id: {where}")
    joined = where.replace("r.id ", "m.record_id ", 1)

    def through(name: str, column: str, facet: Facet) -> str:
        return (
            f"SELECT r.id, {facet.value}, m.{column} FROM {t['record']} r "
            f"JOIN {t[f'm2m_{name}']} m ON m.record_id = r.id {indexed} AND {joined}"
        )

    def foreign_key(column: str, facet: Facet) -> str:
        return (
            f"SELECT r.id, {facet.value}, r.{column} FROM {t['record']} r {indexed} "
            f"AND r.{column} IS NOT NULL"
        )

    def with_ancestors(name: str, column: str, tree: str, facet: Facet) -> str:
        # A record in a sub-collection (or a place inside another) is found under the parent.
        return (
            f"WITH RECURSIVE tree(record_id, value) AS ("
            f"SELECT r.id, m.{column} FROM {t['record']} r "
            f"JOIN {t[f'm2m_{name}']} m ON m.record_id = r.id {indexed} AND {joined} "
            f"UNION SELECT tree.record_id, c.parent_id FROM tree "
            f"JOIN {t[tree]} c ON c.id = tree.value WHERE c.parent_id IS NOT NULL) "
            f"SELECT record_id, {facet.value}, value FROM tree"
        )

    start_year, end_year = _year("r.date_start", vendor), _year("r.date_end", vendor)
    decades = (
        # One row per decade the record's date range overlaps, so that a decade's count
        # equals what the decade's date filter finds.
        f"WITH RECURSIVE decades(record_id, decade, last) AS ("
        f"SELECT r.id, ({start_year} / 10) * 10, ({end_year} / 10) * 10 FROM {t['record']} r "
        f"{indexed} AND r.date_start IS NOT NULL "
        f"UNION ALL SELECT record_id, decade + 10, last FROM decades WHERE decade < last) "
        f"SELECT record_id, {Facet.DECADE.value}, decade FROM decades"
    )
    people = (
        f"{through('authors', 'agent_id', Facet.PERSON)} UNION "
        f"{through('people_and_organizations', 'agent_id', Facet.PERSON)}"
    )
    translations = (
        f"SELECT DISTINCT r.id, {Facet.TRANSLATION.value}, m.language_id FROM {t['record']} r "
        f"JOIN {t['text']} m ON m.record_id = r.id {indexed} AND {joined} "
        f"AND m.kind = '{RecordText.Kind.TRANSLATION}' AND m.language_id IS NOT NULL"
    )
    return [
        through("languages", "language_id", Facet.LANGUAGE),
        through("subjects", "subject_id", Facet.SUBJECT),
        through("donors", "donor_id", Facet.DONOR),
        people,
        foreign_key("original_archive_id", Facet.REPOSITORY),
        foreign_key("original_classification_id", Facet.CLASSIFICATION),
        foreign_key("document_type_id", Facet.TYPE),
        translations,
        with_ancestors("collections", "collection_id", "collection", Facet.COLLECTION),
        with_ancestors("places", "place_id", "place", Facet.PLACE),
        decades,
        # Value 1 marks "has at least one scan": a flag stored as a facet, so the has_scan
        # filter and its count come from the same rows and queries as every other facet.
        f"SELECT r.id, {Facet.SCAN.value}, 1 FROM {t['record']} r {indexed} "
        f"AND EXISTS (SELECT 1 FROM {t['scan']} s WHERE s.record_id = r.id)",
    ]


def _batch_statement(t: dict, where: str) -> str:
    """One statement writing the facet rows and the entries of the published records in
    `where` (PostgreSQL): the entries' keys come from the facet rows as they are written,
    not looked up again by entry, so a batch needs neither the facet rows' index nor any
    other batch."""
    rows = " UNION ALL ".join(
        f"SELECT * FROM ({source}) source_{number}"
        for number, source in enumerate(_facet_rows(t, "postgresql", where))
    )
    key = f"facet * {FACET_KEY_BASE} + value"
    keys = f"COALESCE(keyed.keys, '{{}}'::integer[]) || {sample_levels_sql('r.id')}"
    rest = f"LEFT JOIN keyed ON keyed.entry_id = r.id WHERE {_published(where)}"
    return (
        f"WITH facet_rows(entry_id, facet, value) AS MATERIALIZED ({rows}), "
        f"written AS (INSERT INTO {t['facet']} (entry_id, facet, value) "
        f"SELECT entry_id, facet, value FROM facet_rows), "
        f"keyed AS (SELECT entry_id, array_agg({key} ORDER BY {key}) AS keys "
        f"FROM facet_rows GROUP BY entry_id) " + _entry_insert(t, _document_sql(t), rest, keys=keys)
    )


def _delete_statements(t: dict, vendor: str, where_pk: str) -> list[str]:
    statements = [
        f"DELETE FROM {t['facet']} WHERE entry_id {where_pk}",
        f"DELETE FROM {t['entry']} WHERE record_id {where_pk}",
    ]
    if vendor == "sqlite":
        statements.append(f"DELETE FROM {FTS_TABLE} WHERE rowid {where_pk}")
    return statements


def _total_rows(t: dict, where_pk: str) -> str:
    """(facet, value, n) of the given entries, with (0, 0, number of entries)."""
    return (
        f"SELECT facet, value, COUNT(*) AS n FROM {t['facet']} WHERE entry_id {where_pk} "
        f"GROUP BY facet, value "
        f"UNION ALL SELECT {ENTRIES_TOTAL}, 0, COUNT(*) FROM {t['entry']} "
        f"WHERE record_id {where_pk}"
    )


def _reindex(where_pk: str, params: list) -> None:
    """Drop and re-derive the index rows of the records whose pk matches `where_pk`."""
    vendor = connection.vendor
    t = _tables()
    statements = [
        f"UPDATE {t['total']} SET count = {t['total']}.count - d.n "
        f"FROM ({_total_rows(t, where_pk)}) d "
        f"WHERE {t['total']}.facet = d.facet AND {t['total']}.value = d.value"
    ]
    statements += _delete_statements(t, vendor, where_pk)
    # The facet rows first: the entries copy their keys.
    statements += _facet_statements(t, vendor, f"r.id {where_pk}")
    statements += _entry_statements(t, vendor, f"r.id {where_pk}")
    statements.append(
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT facet, value, n FROM ({_total_rows(t, where_pk)}) d WHERE n > 0 "
        f"ON CONFLICT (facet, value) DO UPDATE SET count = {t['total']}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        for statement in statements:
            # Some statements name the selected records more than once.
            cursor.execute(statement, params * statement.count(where_pk))


def update_search_index(*, record_pks: Iterable[int]) -> None:
    """Bring the index rows of these records up to date: published ones in, all others out.

    Pks of deleted records are fine; their leftover rows are removed.
    """
    pks = sorted({int(pk) for pk in record_pks})
    if not pks:
        return
    # Every cached page may list or show one of these records (the home page, collections,
    # searches, their own pages): all of them go.
    forget_public_pages()
    with transaction.atomic():
        for start in range(0, len(pks), CHUNK_SIZE):
            chunk = pks[start : start + CHUNK_SIZE]
            if connection.vendor == "postgresql":
                # One array parameter: thousands of placeholders cost more to prepare
                # client-side than the statements take to run.
                _reindex("= ANY(%s)", [chunk])
            else:
                _reindex(f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
