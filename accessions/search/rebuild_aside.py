"""Rebuild the search index aside and swap it in (PostgreSQL, when the rebuild is a
transaction of its own, as `manage.py rebuild_search_index` is).

Searches go on reading the live index tables throughout: the new rows and indexes go to
tables of other names (ASIDE_PREFIX), written by connections of their own that commit as
they go. Two connections share the work, where the rebuild in place had one core mostly
idle at the end:

- one computes the text vectors, batch by batch (DocumentWorker), while the other writes
  the facet rows, then copies the entries in as their vectors are ready;
- then each builds indexes, the big GIN index of the words and keys on one and every other
  index and primary key on the other, and each analyses tables for the planner.

The live tables are held against writes (a SHARE lock) from the start to the swap, by a
transaction on the caller's connection: an edit made meanwhile waits, then writes the new
tables, because PostgreSQL looks a waiting statement's table up again by name once it gets
the lock. So no change is lost between the reading of the records and the swap. The swap
drops the live tables and gives the new ones the live names (their indexes' and primary
keys' too) in that same transaction; a search waits for it only as long as that takes.
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
    DocumentWorker,
    Steps,
    count_entries_total,
    count_facet_totals,
    write_entries_with,
    write_facets,
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
    # The facet rows' primary key: built before the entries are copied, which look up each
    # entry's facet rows by it for its keys.
    facet_key: list[str] = field(default_factory=list)
    # Every other index and primary key, the costliest first.
    indexes: list[str] = field(default_factory=list)
    swap: list[str] = field(default_factory=list)


def rebuild_aside(t: dict, batches: list[tuple[int, int]], steps: Steps) -> int:
    """Rebuild the index aside and swap it in; returns the entries written."""
    worker = None
    swapped = False
    quoted = connection.ops.quote_name
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                live = ", ".join(quoted(t[name]) for name in INDEX_TABLES)
                cursor.execute(f"LOCK TABLE {live} IN SHARE MODE")
                plan = _plan(cursor, t)
            on_own_connections([lambda: _run(plan.create)])
            worker = DocumentWorker(plan.tables, batches)
            worker.start()
            on_own_connections([lambda: _fill(plan, batches, worker, steps)])
            indexes = list(plan.indexes)
            lock = threading.Lock()
            on_own_connections([lambda: _build_indexes(indexes, lock)] * 2)
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
        if worker:
            worker.finish()
        if not swapped:
            with connection.cursor() as cursor:
                for name in INDEX_TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {ASIDE_PREFIX}{name}")


def _plan(cursor, t: dict) -> Plan:
    plan = Plan(tables={**t, **{name: ASIDE_PREFIX + name for name in INDEX_TABLES}})
    drops, renames = [], []
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
            statement = f"ALTER TABLE {aside} ADD CONSTRAINT {_aside_name(key)} {definition}"
            (plan.facet_key if name == "facet" else plan.indexes).append(statement)
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
    plan.indexes.sort(key=_build_order)
    plan.swap = [f"DROP TABLE {', '.join(drops)}", *renames]
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
    one connection), then the other GIN indexes, then the B-trees."""
    if "USING gin (document" in statement and " WHERE " not in statement:
        return 0
    return 1 if "USING gin" in statement else 2


def _fill(plan: Plan, batches, worker: DocumentWorker, steps: Steps) -> None:
    """The rows of the tables aside: facet rows, totals, the facets' key, then the entries."""
    t = plan.tables
    for low, high in batches:
        write_facets(t, low, high)
        steps.done()
    with connection.cursor() as cursor:
        count_facet_totals(cursor, t)
        cursor.execute(f"SET maintenance_work_mem = '{REBUILD_INDEX_MEMORY}'")
        for statement in plan.facet_key:
            cursor.execute(statement)
    write_entries_with(worker, t, batches, steps)
    with connection.cursor() as cursor:
        count_entries_total(cursor, t)


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
