"""Rebuild the whole search index from the records: `manage.py rebuild_search_index`.

Searches never see the index half done. On PostgreSQL, when the rebuild is a transaction of
its own (the command), the index is built aside under other names while searches go on
reading the old one, and swapped in at the end (rebuild_aside.py). Otherwise (SQLite, or
inside a caller's transaction, as in the tests) it is rebuilt in place in one transaction,
which searches wait for: the index tables' secondary indexes are dropped and built again
from the finished rows, only new rows are written (the tables start empty), and the kept
facet totals are counted once at the end.

Turning the texts into weighted text vectors is most of the work; on PostgreSQL, aside, two
connections share the batches so that both cores work.
"""

import logging
from collections.abc import Callable

from django.db import connection, transaction

from accessions.search import rebuild_aside
from accessions.search.indexing import FTS_TABLE, _tables
from accessions.search.models import SearchEntry
from accessions.search.rebuild_steps import (
    REBUILD_INDEX_MEMORY,
    Steps,
    entries_total_sql,
    facet_totals_sql,
    primary_key,
    record_batches,
    secondary_indexes,
    write_entries,
    write_facets,
)

logger = logging.getLogger(__name__)


def rebuild_search_index(
    *, batch_size: int = 50_000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild the whole index from the records; returns the entries written.

    `progress(done, total)` is called after each step: each batch of record pks written
    (aside), or its facet rows and then its entries (in place).
    """
    t = _tables()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        written = rebuild_aside.rebuild_aside(t, batch_size, progress)
        _vacuum_unless_all_visible(t)
    else:
        written = _rebuild_in_place(t, batch_size, progress)
    logger.info("Search index rebuilt with %s entries", written)
    return written


def _rebuild_in_place(t: dict, batch_size: int, progress) -> int:
    """The rebuild in one transaction on this connection: the caller's, when it has one."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            facet_indexes = secondary_indexes(cursor, [t["facet"]])
            entry_indexes = secondary_indexes(cursor, [t["entry"]])
            for name, _ in facet_indexes + entry_indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            facet_key = _drop_primary_key(cursor, t["facet"])
            # Emptied (and locked): a record edited from now on waits for the rebuild to
            # commit, then indexes itself again.
            _empty_index(cursor, t)
        # Read once the tables are locked: a record committed by a write the lock waited
        # for is in them.
        batches = record_batches(batch_size)
        steps = Steps(2 * len(batches), progress)
        for low, high in batches:
            write_facets(t, low, high)
            steps.done()
        with connection.cursor() as cursor:
            cursor.execute(facet_totals_sql(t))
            _create_indexes(cursor, facet_indexes, primary_keys=[facet_key] if facet_key else [])
        for low, high in batches:
            write_entries(t, low, high)
            steps.done()
        with connection.cursor() as cursor:
            cursor.execute(entries_total_sql(t))
            _create_indexes(cursor, entry_indexes, primary_keys=[])
            _analyze(cursor, t)
        return SearchEntry.objects.count()


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
    key = primary_key(cursor, table)
    if key is None:
        return None
    name, definition = key
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


def _vacuum_unless_all_visible(t: dict) -> None:
    """Vacuum the swapped-in tables again if the vacuum before the swap left pages unmarked.

    It marks a row visible to all only once no transaction older than the row's is running:
    an edit that began before a batch was written and waited for the swap (the live tables
    are locked against writes) kept that batch's pages unmarked. Now it has gone on, and
    VACUUM skips the pages already marked, so this costs little when it runs at all.
    """
    tables = [t["entry"], t["facet"], t["total"]]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relallvisible < relpages",
            [tables],
        )
        unmarked = [row[0] for row in cursor.fetchall()]
        if unmarked:
            cursor.execute(f"VACUUM {', '.join(unmarked)}")


def vacuum_search_index() -> bool:
    """After a rebuild in place, once its transaction has committed, let PostgreSQL mark the
    new rows all-visible; returns whether it ran. (The rebuild aside vacuums its own tables
    before it swaps them in.)

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
