"""The facet-key aggregate of the archive_facets extension (postgresql/archive_facets).

Counting a search's facet values in SQL expands each matched entry's keys into rows and
groups them: about 0.2 µs a key, five times what reading the entry's row costs, so most of
the time of counting a few thousand matches. The extension's aggregate, archive_key_tally,
counts the keys in place in C. Where it is installed in the database (`make pg-extension`
builds it; every `migrate` creates it where the server has it), facet_counting uses it;
elsewhere the counts come from plain SQL, with the same rows.

The setting SEARCH_KEY_TALLY = "off" keeps to plain SQL (the tests run both ways).
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)

EXTENSION = "archive_facets"
# Asked once per connection object (a process's connection to one database): a server
# where the extension is installed later serves it from the processes started after.
_INSTALLED = "_archive_facets_installed"


def in_use(connection) -> bool:
    """Whether the facet counts read on `connection` use the extension's aggregate."""
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = %s)", [EXTENSION])
        return cursor.fetchone()[0]


def install(using, **kwargs) -> None:
    """Creates the extension in the database after `migrate` (a post_migrate handler) when
    the server has it and it is not there yet; says so when the server lacks it."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT installed_version IS NOT NULL FROM pg_available_extensions WHERE name = %s",
            [EXTENSION],
        )
        row = cursor.fetchone()
        if row is None:
            logger.info(
                "PostgreSQL lacks the %s extension (make pg-extension): the search counts "
                "facets in plain SQL, several times slower at a million records.",
                EXTENSION,
            )
        elif not row[0]:
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION}")
    # The connection may have asked before the extension existed.
    if hasattr(connection, _INSTALLED):
        delattr(connection, _INSTALLED)
