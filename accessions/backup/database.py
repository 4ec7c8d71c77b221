"""The database in a bag: a consistent dump on the way out, a whole restore on the way in.

PostgreSQL: pg_dump's custom format, taken in a snapshot that the export's own reads share
(pg_export_snapshot), so the dump, the open-format files and the list of scans agree. SQLite:
the online backup API copies the database, and the export reads the copy.
"""

import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend

from accessions.search import key_tally

SNAPSHOT_ALIAS = "backup_snapshot"
DUMP_NAMES = {"postgresql": "database/archive.pgdump", "sqlite": "database/archive.sqlite3"}


class RestoreFailed(Exception):
    """The database could not be restored; it is as it was before."""


def vendor() -> str:
    return connections[DEFAULT_DB_ALIAS].vendor


def postgres_environment(settings_dict: dict) -> dict:
    """libpq's variables for pg_dump and pg_restore, so no password shows in `ps`."""
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": settings_dict.get("OPTIONS", {}).get("sslmode"),
    }
    return {**os.environ, **{key: str(value) for key, value in values.items() if value}}


def _run(command: list[str], env: dict) -> str:
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RestoreFailed(
            f"{command[0]} failed (exit {finished.returncode}): {finished.stderr.strip()}"
        )
    return finished.stdout


def _without_our_extension(contents: str) -> str:
    """pg_restore's list of a dump's contents without the search's facet aggregate (the
    extension and its comment): the server restored to may lack it, and the restore would
    fail on it. The restore creates it after, where the server has it (key_tally.install)."""
    ours = re.compile(rf"\bEXTENSION (- )?{key_tally.EXTENSION}\b")
    return "".join(line for line in contents.splitlines(keepends=True) if not ours.search(line))


@contextmanager
def database_snapshot(dump_path: Path) -> Iterator[str]:
    """Dump the database to dump_path; yield the alias that reads the same moment."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
                + [f"--snapshot={snapshot}", f"--file={dump_path}"],
                postgres_environment(connection.settings_dict),
            )
            yield DEFAULT_DB_ALIAS
        return
    if connection.vendor != "sqlite":
        raise NotImplementedError(f"No backup for {connection.vendor} databases.")
    connection.ensure_connection()
    copy = sqlite3.connect(dump_path)
    try:
        # One step: the source is read-locked for the copy only, and never half-copied.
        connection.connection.backup(copy)
    finally:
        copy.close()
    with read_only_sqlite(dump_path) as alias:
        yield alias


@contextmanager
def read_only_sqlite(path: Path) -> Iterator[str]:
    """A database alias reading a SQLite file, without writing to it, for as long as needed."""
    settings_dict = {
        **connections[DEFAULT_DB_ALIAS].settings_dict,
        "NAME": f"file:{path}?mode=ro",
        "TEST": {},
    }
    # A connection of this thread only, made here rather than declared in the settings.
    snapshot = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SNAPSHOT_ALIAS)
    connections[SNAPSHOT_ALIAS] = snapshot
    try:
        yield SNAPSHOT_ALIAS
    finally:
        snapshot.close()
        del connections[SNAPSHOT_ALIAS]


def restore_database(dump_path: Path) -> None:
    """Replace the database with the dump, in one transaction: all of it or none of it."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        # pg_restore drops and makes the tables: no session of ours may hold them meanwhile.
        connection.close()
        env = postgres_environment(connection.settings_dict)
        with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
            listing.write(
                _without_our_extension(_run(["pg_restore", "--list", str(dump_path)], env))
            )
            listing.flush()
            _run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
                + [
                    "--single-transaction",
                    "--exit-on-error",
                    f"--use-list={listing.name}",
                    f"--dbname={connection.settings_dict['NAME']}",
                ]
                + [str(dump_path)],
                env,
            )
        return
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump_path}?mode=ro", uri=True)
    try:
        # The backup API writes the whole copy in one transaction of the target.
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise RestoreFailed(f"SQLite could not restore {dump_path.name}: {error}") from error
    finally:
        source.close()


def holds_records() -> bool:
    """Whether the database has a catalogue with at least one record in it."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if "accessions_record" not in connection.introspection.table_names(cursor):
            return False
        cursor.execute("SELECT 1 FROM accessions_record LIMIT 1")
        return cursor.fetchone() is not None
