"""Rebuild the search index aside and swap it in (PostgreSQL, when the rebuild is a
transaction of its own, as `manage.py rebuild_search_index` is).

Searches go on reading the live index tables throughout: the new rows and indexes go to
tables of other names (ASIDE_PREFIX), written by connections of their own that commit as
they go. Two connections share the work, so that both cores work throughout:

- each takes batches of records in turn and writes a batch's facet rows and entries, text
  vectors and keys, in one statement (indexing._batch_statement);
- then each builds indexes, the big GIN index of the words and keys on one, the kept totals
  and every other index and primary key on the other, and each vacuums and analyses tables.

The live tables are held against writes (a SHARE ROW EXCLUSIVE lock) from before the
records are read to the swap, by a transaction on the caller's connection: an edit made
meanwhile waits, then writes the new tables, because PostgreSQL looks a waiting statement's
table up again by name once it gets the lock. So no change is lost between the reading of
the records and the swap. The swap drops the live tables and gives the new ones the live
names (their indexes' and primary keys' too) in that same transaction; a search waits for
it only as long as that takes, and a swap that cannot get the tables soon lets the searches
through and tries again.

One rebuild runs at a time (an advisory lock, taken first). A failure anywhere, or an
interruption, stops the helpers, drops what was built aside and leaves the live index as
it was.
"""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import OperationalError, connection, transaction

from accessions.search.models import SearchEntry
from accessions.search.rebuild_steps import (
    REBUILD_INDEX_MEMORY,
    Steps,
    entries_total_sql,
    facet_totals_sql,
    primary_key,
    record_batches,
    secondary_indexes,
    write_batch,
)

# The tables built aside: "search_aside_entry" and so on; their indexes and primary keys
# carry the prefix before their live names until the swap.
ASIDE_PREFIX = "search_aside_"
INDEX_TABLES = ("entry", "facet", "total")
# PostgreSQL's limit on the length of a name.
NAME_LIMIT = 63
# The key of the advisory lock a rebuild aside holds from start to end: one at a time.
REBUILD_LOCK_KEY = 27_0001
# How long a helper connection waits for a lock before the rebuild gives up. The main
# connection waits for the helpers in Python, where PostgreSQL cannot see a deadlock: a
# session that holds a lock a helper needs and waits for the live tables (an import that
# analysed the records, a migration queued behind the rebuild) would otherwise hang both.
HELPER_LOCK_TIMEOUT = "30s"
# The swap waits this long for the readers of the live tables to finish, then lets the
# searches queued behind it through and tries again, SWAP_TRIES times in all: a long reader
# (a backup) must not hold every search up behind the swap.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_TRIES = 30
SWAP_PAUSE = 1.0  # seconds between two tries


@dataclass
class Plan:
    """The statements of a rebuild aside, read from the live tables' own definitions so that
    the swapped-in tables are what the migrations made."""

    tables: dict  # the table names the rebuild writes (indexing._tables(), aside)
    # What follows the rows: the kept totals, every index and primary key; the costliest
    # first, so that one connection builds it while the other builds the rest.
    indexes: list[str] = field(default_factory=list)
    swap: list[str] = field(default_factory=list)


def rebuild_aside(t: dict, batch_size: int, progress: Callable | None) -> int:
    """Rebuild the index aside and swap it in; returns the entries written."""
    with connection.cursor() as cursor:
        # A second rebuild waits here before it touches anything; one that gives up waiting
        # leaves the first one's tables alone.
        cursor.execute("SELECT pg_advisory_lock(%s)", [REBUILD_LOCK_KEY])
    try:
        return _rebuild(t, batch_size, progress)
    finally:
        try:
            # Nothing is left aside after a swap; after a failure, what was built is dropped
            # while the advisory lock still keeps any other rebuild from building its own.
            with connection.cursor() as cursor:
                for name in INDEX_TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {ASIDE_PREFIX}{name}")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REBUILD_LOCK_KEY])


def _rebuild(t: dict, batch_size: int, progress: Callable | None) -> int:
    quoted = connection.ops.quote_name
    aside = {**t, **{name: ASIDE_PREFIX + name for name in INDEX_TABLES}}
    crew = Crew()
    # Made before the live tables are locked, so that no helper waits behind a session
    # that itself waits for that lock.
    crew.run([lambda: _run(_create_statements(t, aside))])
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Reading committed data, the transaction drops its snapshot between statements,
            # so it keeps no row the helpers write from being marked visible to all (whatever
            # isolation level the connection is configured with).
            cursor.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            # The transaction sits idle for minutes while the helpers work: a server that
            # ends idle transactions would end it, and its lock, midway.
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            live = ", ".join(quoted(t[name]) for name in INDEX_TABLES)
            # Reads go on; writes wait until the swap.
            cursor.execute(f"LOCK TABLE {live} IN SHARE ROW EXCLUSIVE MODE")
            plan = _plan(cursor, t, aside)
        # Read once the tables are locked: a record committed by a write the lock waited for
        # is in them.
        batches = record_batches(batch_size)
        steps = Steps(len(batches), progress)
        crew.run([lambda: _write_batches(crew, aside, batches, steps)] * 2)
        statements = list(plan.indexes)
        crew.run([lambda: _build_indexes(crew, statements)] * 2)
        crew.run([lambda part=part: _run(part) for part in _vacuum_statements(t, aside)])
        _swap(plan)
    return SearchEntry.objects.count()


def _vacuum_statements(t: dict, aside: dict) -> list[list[str]]:
    """The statements run on each connection once the indexes are built, before the swap.

    Vacuumed before the swap, on both connections at once, so that the index is searched at
    full speed from its first search: until VACUUM sets the visibility map, every index-only
    scan of fresh rows also reads the table (searches ran 2-5 times slower at 100k records).
    The same pass gathers the planner's statistics. The indexes are fresh, without a dead
    entry: their cleanup pass (a scan of each whole GIN index) is skipped.

    The rebuild's own transaction holds no transaction id and, reading committed data, no
    snapshot while it waits, so it keeps no row from being marked; an edit waiting for the
    swap may (see rebuilding.rebuild_search_index, which vacuums again then).
    """
    options = "(ANALYZE, INDEX_CLEANUP OFF)"
    return [
        [f"VACUUM {options} {aside['entry']}"],
        # SKIP_LOCKED: the records' statistics are a courtesy, not worth a wait.
        [
            f"VACUUM {options} {aside['facet']}, {aside['total']}",
            f"ANALYZE (SKIP_LOCKED) {t['record']}",
        ],
    ]


def _swap(plan: Plan) -> None:
    """Drop the live tables and give the new ones their names, in the rebuild's transaction;
    each try under a savepoint, so that a try that waited too long undoes only itself."""
    for attempt in range(1, SWAP_TRIES + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                for statement in plan.swap:
                    cursor.execute(statement)
            return
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            if attempt == SWAP_TRIES:
                raise RuntimeError(
                    f"The rebuilt search index could not be swapped in: the index tables "
                    f"stayed in use (a backup?) through {SWAP_TRIES} tries. The live index "
                    f"is unchanged."
                ) from error
            time.sleep(SWAP_PAUSE)


def _create_statements(t: dict, aside: dict) -> list[str]:
    statements = []
    for name in INDEX_TABLES:
        statements += [
            f"DROP TABLE IF EXISTS {aside[name]}",
            # The columns, their defaults and checks; no index, no key: built at the end.
            f"CREATE TABLE {aside[name]} (LIKE {t[name]} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)",
        ]
    return statements


def _plan(cursor, t: dict, tables: dict) -> Plan:
    plan = Plan(tables=tables)
    keys, drops, renames = [], [], []
    for name in INDEX_TABLES:
        live, aside = t[name], tables[name]
        drops.append(live)
        renames.append(f"ALTER TABLE {aside} RENAME TO {live}")
        if (primary := primary_key(cursor, live)) is not None:
            key, definition = primary
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
        for index, definition in secondary_indexes(cursor, [live], unique=True):
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


def _write_batches(crew: "Crew", t: dict, batches: list, steps: Steps) -> None:
    """Write batches from the shared list until none is left."""
    while (batch := crew.take(batches)) is not None:
        write_batch(t, *batch)
        steps.done()


def _build_indexes(crew: "Crew", statements: list[str]) -> None:
    """Build indexes from the shared list until none is left."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET maintenance_work_mem = '{REBUILD_INDEX_MEMORY}'")
        while (statement := crew.take(statements)) is not None:
            cursor.execute(statement)


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Crew:
    """The rebuild's helpers: functions run in threads of their own, so on database
    connections of their own (Django's are per thread), committing as they go.

    When one fails, or the caller is interrupted, the others stop: they take no more work
    from the shared lists, and their running statements are cancelled.
    """

    def __init__(self):
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.backends: dict[int, int] = {}  # thread ident: backend pid, while it works

    def take(self, shared: list):
        """The next item of a shared list; None when it is empty or the crew is stopping."""
        with self.lock:
            if self.stopping.is_set() or not shared:
                return None
            return shared.pop(0)

    def run(self, work: list[Callable[[], None]]) -> None:
        """Run each function on a connection of its own; wait for all; raise the first
        error any of them raised."""
        errors: list[BaseException] = []

        def on_own_connection(function: Callable[[], None]) -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = '{HELPER_LOCK_TIMEOUT}'")
                    cursor.execute("SELECT pg_backend_pid()")
                    with self.lock:
                        self.backends[threading.get_ident()] = cursor.fetchone()[0]
                function()
            except BaseException as error:  # handed to the caller, which raises it
                errors.append(error)
                self.stop()
            finally:
                with self.lock:
                    self.backends.pop(threading.get_ident(), None)
                connection.close()

        threads = [
            threading.Thread(target=on_own_connection, args=(function,)) for function in work
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:  # the caller interrupted (Ctrl-C): the helpers stop too
            self.stop()
            for thread in threads:
                thread.join()
            raise
        if errors:
            raise errors[0]

    def stop(self) -> None:
        """Stop taking work, and cancel the statements the helpers are running."""
        self.stopping.set()
        with self.lock:
            others = [pid for ident, pid in self.backends.items() if ident != threading.get_ident()]
        if not others:
            return
        try:
            # From this thread's own connection: a helper's, or the caller's.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(pid) FROM unnest(%s) pid", [others])
        except Exception:  # the error that stopped the crew is the one to report
            pass
