"""The steps of a search index rebuild, shared by the rebuild in place (rebuilding.py) and
the rebuild aside (rebuild_aside.py): writing a batch of records' facet rows and entries,
the worker that computes the text vectors on a connection of its own, and the kept totals.

Each step takes `t`, the table names (indexing._tables()), so that the same SQL writes the
live tables or the tables built aside.
"""

import queue
import threading
from collections.abc import Callable

from django.db import connection

from accessions.search.indexing import (
    ENTRIES_TOTAL,
    _document_sql,
    _entry_insert,
    _entry_statements,
    _facet_statements,
    _published,
)

# The staging tables of the document worker, one per batch: "search_rebuild_<batch>".
STAGING_PREFIX = "search_rebuild_"


class Steps:
    """Counts the rebuild's steps done and reports them to the progress callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.total, self.progress, self.count = total, progress, 0

    def done(self) -> None:
        self.count += 1
        if self.progress:
            self.progress(self.count, self.total)


BATCH = "r.id BETWEEN %s AND %s"


def execute_batch(statements: list[str], low: int, high: int) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [low, high] * statement.count(BATCH))


def write_facets(t: dict, low: int, high: int) -> None:
    execute_batch(_facet_statements(t, connection.vendor, BATCH), low, high)


def write_entries(t: dict, low: int, high: int) -> None:
    """The entries (and FTS5 rows) of a batch, text vectors computed here."""
    execute_batch(_entry_statements(t, connection.vendor, BATCH), low, high)


def copy_entries(t: dict, staging: str, low: int, high: int) -> None:
    """The entries of a batch, with the text vectors the worker left in `staging`."""
    source = f"{staging} d JOIN {t['record']} r ON r.id = d.record_id WHERE {_published(BATCH)}"
    execute_batch([_entry_insert(t, "d.document", source), f"DROP TABLE {staging}"], low, high)


def write_entries_with(worker, t: dict, batches: list[tuple[int, int]], steps: Steps) -> None:
    """Every batch's entries: copied from the worker's staging tables as they are ready; while
    none is, a batch the worker has not started (the last first) is done here."""
    remaining = len(batches)
    while remaining:
        number = worker.next_written(wait=False)
        if number is None:
            mine = worker.claim_last()
            if mine is not None:
                write_entries(t, *batches[mine])
                remaining -= 1
                steps.done()
                continue
            number = worker.next_written(wait=True)
        copy_entries(t, worker.staging_table(number), *batches[number])
        remaining -= 1
        steps.done()


def count_facet_totals(cursor, t: dict) -> None:
    """The kept totals of every facet value, counted once from the finished rows."""
    cursor.execute(
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT facet, value, COUNT(*) FROM {t['facet']} GROUP BY facet, value"
    )


def count_entries_total(cursor, t: dict) -> None:
    cursor.execute(
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT {ENTRIES_TOTAL}, 0, COUNT(*) FROM {t['entry']}"
    )


class DocumentWorker(threading.Thread):
    """Computes the text vectors of batches on its own connection, first batch first.

    Each batch's vectors go to an unlogged staging table, committed at once, that the
    rebuild's transaction copies into the entries and drops. The rebuild itself computes,
    from the last batch back, any batch the worker has not started, so neither waits long.
    """

    def __init__(self, t: dict, batches: list[tuple[int, int]]):
        super().__init__(name="search-rebuild-documents", daemon=True)
        self.t = t
        self.batches = batches
        self.lock = threading.Lock()
        self.claimed: dict[int, str] = {}
        # Numbers of the batches written; None once the worker has failed.
        self.written: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.stopping = False

    def staging_table(self, number: int) -> str:
        return f"{STAGING_PREFIX}{number}"

    def run(self) -> None:
        try:
            document = _document_sql(self.t)
            while not self.stopping:
                number = self._claim_first()
                if number is None:
                    break
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {self.staging_table(number)}")
                    cursor.execute(
                        f"CREATE UNLOGGED TABLE {self.staging_table(number)} AS "
                        f"SELECT r.id AS record_id, {document} AS document "
                        f"FROM {self.t['record']} r WHERE {_published(BATCH)}",
                        list(self.batches[number]),
                    )
                self.written.put(number)
        except BaseException as error:  # handed to the rebuild, which raises it
            self.error = error
            self.written.put(None)
        finally:
            connection.close()

    def _claim_first(self) -> int | None:
        with self.lock:
            for number in range(len(self.batches)):
                if number not in self.claimed:
                    self.claimed[number] = "worker"
                    return number
        return None

    def claim_last(self) -> int | None:
        """The last batch nobody has started, now the rebuild's own; None when none is left."""
        with self.lock:
            for number in reversed(range(len(self.batches))):
                if number not in self.claimed:
                    self.claimed[number] = "rebuild"
                    return number
        return None

    def next_written(self, *, wait: bool) -> int | None:
        """The number of a batch whose staging table is ready, or None if none is yet."""
        try:
            number = self.written.get(block=wait)
        except queue.Empty:
            return None
        if number is None:
            raise RuntimeError("Computing the text vectors failed") from self.error
        return number

    def finish(self) -> None:
        """Stop claiming, wait for the worker, and drop any staging table left behind."""
        self.stopping = True
        if self.is_alive():
            self.join()
        with connection.cursor() as cursor:
            for number, owner in self.claimed.items():
                if owner == "worker":
                    cursor.execute(f"DROP TABLE IF EXISTS {self.staging_table(number)}")


# Memory for building the indexes again after a rebuild (PostgreSQL's default is 64 MB): the
# GIN index of a million documents builds several times faster with room to sort.
REBUILD_INDEX_MEMORY = "1GB"


def secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of these tables' indexes, primary keys aside.

    Read from the database's catalogue, so a rebuild recreates exactly what migrations made.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT index_class.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class index_class ON index_class.oid = ix.indexrelid "
            "JOIN pg_class table_class ON table_class.oid = ix.indrelid "
            "WHERE table_class.relname = ANY(%s) AND pg_table_is_visible(table_class.oid) "
            "AND NOT ix.indisprimary AND NOT ix.indisunique ORDER BY 1",
            [tables],
        )
    else:
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({placeholders}) ORDER BY name",
            tables,
        )
    return cursor.fetchall()
