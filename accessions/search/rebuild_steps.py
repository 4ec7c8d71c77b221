"""The steps of a search index rebuild, shared by the rebuild in place (rebuilding.py) and
the rebuild aside (rebuild_aside.py): writing a batch of records' facet rows and entries,
the kept totals, and reading the indexes to build again.

Each step takes `t`, the table names (indexing._tables()), so that the same SQL writes the
live tables or the tables built aside.
"""

import threading
from collections.abc import Callable

from django.db import connection

from accessions.catalogue.models import Record
from accessions.search.indexing import (
    ENTRIES_TOTAL,
    _batch_statement,
    _entry_statements,
    _facet_statements,
)


class Steps:
    """Counts the rebuild's steps done and reports them to the progress callback; the
    connections of a rebuild aside report from threads of their own, one at a time."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.total, self.progress, self.count = total, progress, 0
        self.lock = threading.Lock()

    def done(self) -> None:
        with self.lock:
            self.count += 1
            if self.progress:
                self.progress(self.count, self.total)


def record_batches(batch_size: int) -> list[tuple[int, int]]:
    """(first pk, last pk) of each batch of records, drafts included, from the first to the
    last record now in the catalogue."""
    bounds = Record.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None:
        return []
    return [(low, min(low + batch_size - 1, last)) for low in range(first, last + 1, batch_size)]


BATCH = "r.id BETWEEN %s AND %s"
# The batch's bounds, however often a statement states them (on r.id, or on a joined table's
# record_id: see indexing._facet_rows).
BOUNDS = " BETWEEN %s AND %s"


def execute_batch(statements: list[str], low: int, high: int) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [low, high] * statement.count(BOUNDS))


def write_facets(t: dict, low: int, high: int) -> None:
    execute_batch(_facet_statements(t, connection.vendor, BATCH), low, high)


def write_entries(t: dict, low: int, high: int) -> None:
    """The entries (and FTS5 rows) of a batch, text vectors computed here."""
    execute_batch(_entry_statements(t, connection.vendor, BATCH), low, high)


def write_batch(t: dict, low: int, high: int) -> None:
    """The facet rows and the entries of a batch in one statement (PostgreSQL)."""
    execute_batch([_batch_statement(t, BATCH)], low, high)


def facet_totals_sql(t: dict) -> str:
    """The kept totals of every facet value, counted once from the finished rows."""
    return (
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT facet, value, COUNT(*) FROM {t['facet']} GROUP BY facet, value"
    )


def entries_total_sql(t: dict) -> str:
    return (
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT {ENTRIES_TOTAL}, 0, COUNT(*) FROM {t['entry']}"
    )


# Memory for building the indexes again after a rebuild (PostgreSQL's default is 64 MB): the
# B-trees of millions of facet rows sort in memory. The GIN index of the words is not faster
# with more (13.7 s with 64 MB, 14.3 s with 1 GB, for 230,000 documents).
REBUILD_INDEX_MEMORY = "1GB"


def secondary_indexes(cursor, tables: list[str], *, unique: bool = False) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of these tables' indexes, primary keys aside, and
    unique indexes aside unless `unique` (the rebuild in place keeps those where they are).

    Read from the database's catalogue, so a rebuild recreates exactly what migrations made.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT index_class.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class index_class ON index_class.oid = ix.indexrelid "
            "JOIN pg_class table_class ON table_class.oid = ix.indrelid "
            "WHERE table_class.relname = ANY(%s) AND pg_table_is_visible(table_class.oid) "
            "AND NOT ix.indisprimary AND (%s OR NOT ix.indisunique) ORDER BY 1",
            [tables, unique],
        )
    else:
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({placeholders}) ORDER BY name",
            tables,
        )
    return cursor.fetchall()


def primary_key(cursor, table: str) -> tuple[str, str] | None:
    """(name, definition) of a table's primary key on PostgreSQL, None without one."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )
    return cursor.fetchone()
