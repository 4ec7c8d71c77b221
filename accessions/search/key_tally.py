"""The facet-key aggregates of the archive_facets extension (postgresql/archive_facets).

Counting a search's facet values in SQL expands each matched entry's keys into rows and
groups them: about 0.2 µs a key, five times what reading the entry's row costs, so most of
the time of counting a few thousand matches. The extension's aggregates count the keys in
place in C (archive_key_tally), and rank what a page shows of them (archive_key_shown).
Where the database has the extension and the server its library (`make pg-extension`
builds it; every `migrate` creates or updates it where the server has it), facet_counting
uses them; elsewhere the counts come from plain SQL, with the same rows.

The setting SEARCH_KEY_TALLY = "off" keeps to plain SQL (the tests run both ways).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

EXTENSION = "archive_facets"
# What the search calls: asked for by signature, so that a database holding an older version
# of the extension without it is not taken for one that has it.
FUNCTIONS = (
    "archive_key_tally(integer[], integer[])",
    "archive_key_shown(integer[], integer[], integer, integer, integer[], integer[])",
)
# Asked once per connection object (a process's connection to one database): a server
# where the extension is installed later serves it from the processes started after.
_INSTALLED = "_archive_facets_installed"


def in_use(connection) -> bool:
    """Whether the facet counts read on `connection` use the extension's aggregates."""
    if connection.vendor != "postgresql":
        return False
    if getattr(settings, "SEARCH_KEY_TALLY", "auto") == "off":
        return False
    installed = getattr(connection, _INSTALLED, None)
    if installed is None:
        installed = is_installed(connection)
        setattr(connection, _INSTALLED, installed)
    return installed


def is_installed(connection) -> bool:
    """Whether the database on `connection` has the extension's functions and its server the
    library. A replica's catalogue is the primary's: pg_available_extensions reads the
    replica's own files, which the library is installed with."""
    checks = " AND ".join(["to_regprocedure(%s) IS NOT NULL"] * len(FUNCTIONS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {checks} AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = %s)",
            [*FUNCTIONS, EXTENSION],
        )
        return cursor.fetchone()[0]


def install(using, **kwargs) -> None:
    """Creates the extension in the database after `migrate` (a post_migrate handler), or
    updates it to the version the server has; says so when the server lacks it or the
    database role may not create it. Never fails: the search counts without it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT installed_version, default_version FROM pg_available_extensions "
                "WHERE name = %s",
                [EXTENSION],
            )
            row = cursor.fetchone()
            if row is None:
                logger.info(
                    "PostgreSQL lacks the %s extension (make pg-extension): the search counts "
                    "facets in plain SQL, several times slower at a million records.",
                    EXTENSION,
                )
            elif row[0] is None:
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION}")
            elif row[0] != row[1]:
                cursor.execute(f"ALTER EXTENSION {EXTENSION} UPDATE")
    except DatabaseError as error:
        logger.warning(
            "Could not create or update the %s extension (%s); the search counts facets in "
            "plain SQL until a database owner runs CREATE EXTENSION %s (or ALTER EXTENSION "
            "%s UPDATE) in this database.",
            EXTENSION,
            error,
            EXTENSION,
            EXTENSION,
        )
        if connection.in_atomic_block:
            raise  # the caller's transaction is broken; it must know
    finally:
        # The connection may have asked before the extension existed.
        if hasattr(connection, _INSTALLED):
            delattr(connection, _INSTALLED)
