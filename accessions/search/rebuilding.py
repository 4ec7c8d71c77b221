"""Rebuild the whole search index from the records: `manage.py rebuild_search_index`.

The rebuild runs in one transaction, so searches never see it half done. It drops the index
tables' secondary indexes and builds them again from the finished rows, writes only new rows
(the tables start empty), and counts the kept facet totals once at the end.

On PostgreSQL, turning the texts into weighted text vectors is half the work and runs on one
core per connection; a second connection (DocumentWorker) computes them for batches ahead
of the main one, which meanwhile writes the facet rows, so that both cores work.
"""

import logging
import queue
import threading
from collections.abc import Callable

from django.db import connection, transaction

from accessions.catalogue.models import Record
from accessions.search.indexing import (
    ENTRIES_TOTAL,
    FTS_TABLE,
    _document_sql,
    _entry_insert,
    _entry_statements,
    _facet_statements,
    _published,
    _tables,
)
from accessions.search.models import SearchEntry

logger = logging.getLogger(__name__)

# The staging tables of the document worker, one per batch: "search_rebuild_<batch>".
STAGING_PREFIX = "search_rebuild_"


def rebuild_search_index(
    *, batch_size: int = 50_000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild the whole index from the records, in one transaction; returns entries written.

    Searches made meanwhile wait for the rebuild to commit. The facet rows of every batch of
    record pks are written first, then the entries; `progress(done, total)` is called after
    each of those steps (two per batch).
    """
    t = _tables()
    bounds = Record.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    batches = []
    if first is not None:
        batches = [
            (low, min(low + batch_size - 1, last)) for low in range(first, last + 1, batch_size)
        ]
    steps = Steps(2 * len(batches), progress)
    # The worker's connection cannot see rows of a transaction that is still open (a test's,
    # or a caller's): it helps only when the rebuild is its own transaction.
    worker = None
    if connection.vendor == "postgresql" and not connection.in_atomic_block and len(batches) > 1:
        worker = DocumentWorker(t, batches)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                facet_indexes = _secondary_indexes(cursor, [t["facet"]])
                entry_indexes = _secondary_indexes(cursor, [t["entry"]])
                for name, _ in facet_indexes + entry_indexes:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                facet_key = _drop_primary_key(cursor, t["facet"])
                # Emptied (and locked) before the worker reads a record: a record edited from
                # now on waits for the rebuild to commit, then indexes itself again.
                _empty_index(cursor, t)
            if worker:
                worker.start()
            # The facet rows need no text vectors: written while the worker computes them,
            # and their indexes built before the last vectors are in.
            for low, high in batches:
                _write_facets(t, low, high)
                steps.done()
            with connection.cursor() as cursor:
                _count_facet_totals(cursor, t)
                _create_indexes(
                    cursor, facet_indexes, primary_keys=[facet_key] if facet_key else []
                )
            if worker:
                _write_entries_with(worker, t, batches, steps)
            else:
                for low, high in batches:
                    _write_entries(t, low, high)
                    steps.done()
            with connection.cursor() as cursor:
                _count_entries_total(cursor, t)
                _create_indexes(cursor, entry_indexes, primary_keys=[])
                _analyze(cursor, t)
            written = SearchEntry.objects.count()
    finally:
        if worker:
            worker.finish()
    logger.info("Search index rebuilt with %s entries", written)
    return written


class Steps:
    """Counts the rebuild's steps done and reports them to the progress callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.total, self.progress, self.count = total, progress, 0

    def done(self) -> None:
        self.count += 1
        if self.progress:
            self.progress(self.count, self.total)


BATCH = "r.id BETWEEN %s AND %s"


def _execute(statements: list[str], low: int, high: int) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [low, high] * statement.count(BATCH))


def _write_facets(t: dict, low: int, high: int) -> None:
    _execute(_facet_statements(t, connection.vendor, BATCH), low, high)


def _write_entries(t: dict, low: int, high: int) -> None:
    """The entries (and FTS5 rows) of a batch, text vectors computed here."""
    _execute(_entry_statements(t, connection.vendor, BATCH), low, high)


def _copy_entries(t: dict, staging: str, low: int, high: int) -> None:
    """The entries of a batch, with the text vectors the worker left in `staging`."""
    source = f"{staging} d JOIN {t['record']} r ON r.id = d.record_id WHERE {_published(BATCH)}"
    _execute([_entry_insert(t, "d.document", source), f"DROP TABLE {staging}"], low, high)


def _write_entries_with(worker, t: dict, batches: list[tuple[int, int]], steps: Steps) -> None:
    """Every batch's entries: copied from the worker's staging tables as they are ready; while
    none is, a batch the worker has not started (the last first) is done here."""
    remaining = len(batches)
    while remaining:
        number = worker.next_written(wait=False)
        if number is None:
            mine = worker.claim_last()
            if mine is not None:
                _write_entries(t, *batches[mine])
                remaining -= 1
                steps.done()
                continue
            number = worker.next_written(wait=True)
        _copy_entries(t, worker.staging_table(number), *batches[number])
        remaining -= 1
        steps.done()


def _count_facet_totals(cursor, t: dict) -> None:
    """The kept totals of every facet value, counted once from the finished rows."""
    cursor.execute(
        f"INSERT INTO {t['total']} (facet, value, count) "
        f"SELECT facet, value, COUNT(*) FROM {t['facet']} GROUP BY facet, value"
    )


def _count_entries_total(cursor, t: dict) -> None:
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


def _secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
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


def _empty_index(cursor, t: dict) -> None:
    """Remove every index row, by the quickest way each database offers."""
    if connection.vendor == "postgresql":
        # TRUNCATE leaves no dead rows behind for VACUUM, unlike DELETE.
        cursor.execute(f"TRUNCATE {t['entry']}, {t['facet']}, {t['total']}")
        return
    # Without a WHERE clause SQLite empties a table at once instead of row by row.
    for table in (t["entry"], t["facet"], t["total"]):
        cursor.execute(f"DELETE FROM {table}")
    # FTS5 deletes row by row whatever the clause (seconds per 100k rows): the table is made
    # again from its own definition instead.
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
    (definition,) = cursor.fetchone()
    cursor.execute(f"DROP TABLE {FTS_TABLE}")
    cursor.execute(definition)


def _analyze(cursor, t: dict) -> None:
    """Fresh planner statistics for the index tables and the records the search loads.

    The old ones describe the index before the rebuild. SQLite keeps none until asked:
    without them it loaded a page's 20 records through the status index (every published
    record) instead of by primary key, and picked worse drivers for filtered searches.
    """
    tables = [t["record"], t["entry"], t["facet"], t["total"]]
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {', '.join(tables)}")
        return
    for table in tables:
        cursor.execute(f"ANALYZE {table}")


def _drop_primary_key(cursor, table: str) -> tuple[str, str, str] | None:
    """Drop the table's primary key on PostgreSQL; returns (table, name, definition).

    The facet table's key spans every column: checked row by row, it cost more than the
    1.5 million facet rows of 100k records took to write. Added back at the end, it is
    built once and still refuses a duplicate, which rolls the whole rebuild back.
    SQLite cannot drop a primary key; nothing happens there.
    """
    if connection.vendor != "postgresql":
        return None
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    name, definition = row
    quoted = connection.ops.quote_name
    cursor.execute(f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}")
    return table, name, definition


def _create_indexes(
    cursor, indexes: list[tuple[str, str]], *, primary_keys: list[tuple[str, str, str]]
) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_INDEX_MEMORY}'")
    quoted = connection.ops.quote_name
    for table, name, definition in primary_keys:
        cursor.execute(f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}")
    for _, definition in indexes:
        cursor.execute(definition)


def vacuum_search_index() -> bool:
    """After a rebuild, let PostgreSQL mark the new rows all-visible; returns whether it ran.

    Until VACUUM sets the visibility map, every index-only scan of the fresh index tables
    also reads the table (searches ran 2-5 times slower at 100k records). VACUUM cannot run
    inside a transaction, so nothing happens inside one (or on SQLite).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {t['entry']}, {t['facet']}, {t['total']}")
    return True
