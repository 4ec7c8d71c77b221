"""Rebuild the search index aside and swap it in (PostgreSQL, when the rebuild is a
transaction of its own, as `manage.py rebuild_search_index` is).

Searches go on reading the live index tables throughout: the new rows and indexes go to
tables of other names (ASIDE_PREFIX), written by connections of their own that commit as
they go. Two connections share the work, so that both cores work throughout:

- each takes batches of records in turn and writes a batch's facet rows and entries, text
  vectors and keys, in one statement (indexing._batch_statement);
- then each builds indexes, the big GIN index of the words and keys on one, the kept totals
  and every other index and primary key on the other, and each analyses tables.

The live tables are held against writes (a SHARE ROW EXCLUSIVE lock) from the start to
the swap, by a transaction on the caller's connection: an edit made meanwhile waits, then
writes the new tables, because PostgreSQL looks a waiting statement's table up again by
name once it gets the lock. So no change is lost between the reading of the records and
the swap. The swap drops the live tables and gives the new ones the live names (their
indexes' and primary keys' too) in that same transaction; a search waits for it only as
long as that takes.
A failure anywhere drops what was built aside and leaves the live index as it was.
"""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from accessions.search.models import SearchEntry
from accessions.search.rebuild_steps import (
    REBUILD_INDEX_MEMORY,
    Steps,
    entries_total_sql,
    facet_totals_sql,
    write_batch,
)

# The tables built aside: "search_aside_entry" and so on; their indexes and primary keys
# carry the prefix before their live names until the swap.
ASIDE_PREFIX = "search_aside_"
INDEX_TABLES = ("entry", "facet", "total")
# PostgreSQL's limit on the length of a name.
NAME_LIMIT = 63


@dataclass
class Plan:
    """The statements of a rebuild aside, read from the live tables' own definitions so that
    the swapped-in tables are what the migrations made."""

    tables: dict  # the table names the rebuild writes (indexing._tables(), aside)
    create: list[str] = field(default_factory=list)
    # What follows the rows: the kept totals, every index and primary key; the costliest
    # first, so that one connection builds it while the other builds the rest.
    indexes: list[str] = field(default_factory=list)
    swap: list[str] = field(default_factory=list)


def rebuild_aside(t: dict, batches: list[tuple[int, int]], steps: Steps) -> int:
    """Rebuild the index aside and swap it in; returns the entries written."""
    swapped = False
    quoted = connection.ops.quote_name
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                live = ", ".join(quoted(t[name]) for name in INDEX_TABLES)
                # Reads go on; writes wait, and so does another rebuild (the mode conflicts
                # with itself), which would otherwise build into the same tables aside.
                cursor.execute(f"LOCK TABLE {live} IN SHARE ROW EXCLUSIVE MODE")
                plan = _plan(cursor, t)
            on_own_connections([lambda: _run(plan.create)])
            waiting, lock = list(batches), threading.Lock()
            on_own_connections([lambda: _write_batches(plan.tables, waiting, lock, steps)] * 2)
            statements = list(plan.indexes)
            on_own_connections([lambda: _build_indexes(statements, lock)] * 2)
            aside = plan.tables
            on_own_connections(
                [
                    lambda: _run([f"ANALYZE {aside['entry']}"]),
                    lambda: _run([f"ANALYZE {aside['facet']}, {aside['total']}, {t['record']}"]),
                ]
            )
            with connection.cursor() as cursor:
                for statement in plan.swap:
                    cursor.execute(statement)
            swapped = True
        return SearchEntry.objects.count()
    finally:
        if not swapped:
            with connection.cursor() as cursor:
                for name in INDEX_TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {ASIDE_PREFIX}{name}")


def _write_batches(t: dict, waiting: list, lock: threading.Lock, steps: Steps) -> None:
    """Write the batches of the shared list until none is left."""
    while True:
        with lock:
            if not waiting:
                return
            low, high = waiting.pop(0)
        write_batch(t, low, high)
        steps.done()


def _plan(cursor, t: dict) -> Plan:
    plan = Plan(tables={**t, **{name: ASIDE_PREFIX + name for name in INDEX_TABLES}})
    keys, drops, renames = [], [], []
    for name in INDEX_TABLES:
        live, aside = t[name], plan.tables[name]
        plan.create += [
            f"DROP TABLE IF EXISTS {aside}",
            # The columns, their defaults and checks; no index, no key: built at the end.
            f"CREATE TABLE {aside} (LIKE {live} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING STORAGE INCLUDING COMPRESSION)",
        ]
        drops.append(live)
        renames.append(f"ALTER TABLE {aside} RENAME TO {live}")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [live],
        )
        for key, definition in cursor.fetchall():
            # Built as a unique index, which another index's build does not hold up as
            # ALTER TABLE would, then made the key at the swap, at once.
            columns = re.fullmatch(r"PRIMARY KEY (\(.+\))", definition)
            if columns is None:
                raise ValueError(f"unexpected primary key: {definition}")
            plan.indexes.append(
                f"CREATE UNIQUE INDEX {_aside_name(key)} ON {aside} {columns.group(1)}"
            )
            keys.append(
                f"ALTER TABLE {aside} ADD CONSTRAINT {_aside_name(key)} "
                f"PRIMARY KEY USING INDEX {_aside_name(key)}"
            )
            renames.append(f"ALTER TABLE {live} RENAME CONSTRAINT {_aside_name(key)} TO {key}")
        cursor.execute(
            "SELECT index_class.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class index_class ON index_class.oid = ix.indexrelid "
            "WHERE ix.indrelid = %s::regclass AND NOT ix.indisprimary ORDER BY 1",
            [live],
        )
        for index, definition in cursor.fetchall():
            plan.indexes.append(_aside_index(definition, index, aside))
            renames.append(f"ALTER INDEX {_aside_name(index)} RENAME TO {index}")
    plan.indexes += [facet_totals_sql(plan.tables), entries_total_sql(plan.tables)]
    plan.indexes.sort(key=_build_order)
    plan.swap = [*keys, f"DROP TABLE {', '.join(drops)}", *renames]
    return plan


def _aside_name(name: str) -> str:
    aside = ASIDE_PREFIX + name
    if len(aside) > NAME_LIMIT:
        raise ValueError(f"{name!r} is too long to be built aside as {aside!r}")
    return aside


def _aside_index(definition: str, name: str, table: str) -> str:
    """The CREATE INDEX of a live index (pg_get_indexdef's), for the same index aside."""
    head = re.match(r"CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?(\S+) ", definition)
    if head is None or head.group(2).strip('"') != name:
        raise ValueError(f"unexpected index definition: {definition}")
    unique = head.group(1) or ""
    return f"CREATE {unique}INDEX {_aside_name(name)} ON {table} " + definition[head.end() :]


def _build_order(statement: str) -> int:
    """The big GIN index of the words and keys first (most of the time the indexes take, on
    one connection), then the totals, the other GIN indexes, and the B-trees."""
    if "USING gin (document" in statement and " WHERE " not in statement:
        return 0
    if statement.startswith("INSERT"):
        return 1
    return 2 if "USING gin" in statement else 3


def _build_indexes(statements: list[str], lock: threading.Lock) -> None:
    """Build indexes from the shared list until none is left."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET maintenance_work_mem = '{REBUILD_INDEX_MEMORY}'")
        while True:
            with lock:
                if not statements:
                    return
                statement = statements.pop(0)
            cursor.execute(statement)


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def on_own_connections(work: list[Callable[[], None]]) -> None:
    """Run each function in a thread of its own, so on a database connection of its own
    (Django's are per thread), committing as it goes; wait for all, then raise the first
    error any of them raised."""
    errors: list[BaseException] = []

    def run(function: Callable[[], None]) -> None:
        try:
            function()
        except BaseException as error:  # handed to the caller, which raises it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(function,)) for function in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
