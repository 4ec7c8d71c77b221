"""Public reads from a streaming replica; writes, staff pages and cached pages on the primary.

With a "replica" database configured (DATABASE_REPLICA_URL), ReadReplicaMiddleware marks a
request as a public read when it is a GET or HEAD by an anonymous visitor outside the admin,
who has not written anything in the last DATABASE_REPLICA_PIN_SECONDS, for a view that does
not build a cached page. ReplicaRouter sends that request's reads to the replica and every
other read, and every write, to the primary.

A page that is cached is rendered from the replica only once the replica has replayed the
primary's last public write (the WAL position page_cache records when a write drops the
cached pages), and from the primary otherwise: a page rendered from a replica that has not
yet replayed a withdrawal would be cached after the cache was cleared for it.

Raw SQL reads (the search's counts) go where the ORM's reads go: reading_connection().
"""

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, router
from django.urls import reverse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "archive_primary"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# After the replica fails to answer, the primary takes its reads for this long (seconds).
REPLICA_RETRY_SECONDS = 30


@dataclass
class _PublicRead:
    replica_ok: bool | None = None
    # For a page that will be cached: the primary's WAL position (in bytes) the replica
    # must have replayed to render it.
    replayed_to: int | None = None


_public_read: ContextVar[_PublicRead | None] = ContextVar("public_read", default=None)
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _replica_reachable() -> bool:
    """Whether the replica answers; after a failure the primary reads for a while instead."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except OperationalError as error:
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        logger.warning("The read replica is unreachable; reading from the primary: %s", error)
        return False
    return True


def _replica_has_replayed(position: int) -> bool:
    """Whether the replica has replayed the primary's WAL up to `position` (bytes)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn >= %s", [position])
            (replayed,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Could not ask the read replica how far it has replayed: %s", error)
        return False
    return bool(replayed)


def reading_connection(model):
    """The connection a raw SQL read of `model`'s rows goes to: the one the ORM reads them
    from (the replica, for a public read while it answers)."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """Reads of a public request go to the replica while it answers; all else to the primary."""

    def db_for_read(self, model, **hints):
        state = _public_read.get()
        if state is None:
            # No opinion: Django reads related rows from the database their instance came
            # from (a backup's snapshot, say), and everything else from the primary.
            return None
        if state.replica_ok is None:
            # Checked at the request's first read only, so a page served whole from the
            # cache opens no connection to the replica.
            state.replica_ok = _replica_reachable() and (
                state.replayed_to is None or _replica_has_replayed(state.replayed_to)
            )
        return REPLICA if state.replica_ok else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReadReplicaMiddleware:
    """Decide, per request, whether its reads may go to the replica; pin writers to the primary.

    Sits after AuthenticationMiddleware: whether the visitor is signed in is read (from the
    primary) before the request is marked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        token = _public_read.set(_PublicRead() if self._is_public_read(request) else None)
        try:
            response = self.get_response(request)
        finally:
            _public_read.reset(token)
        if request.method not in SAFE_METHODS:
            # The writer's next requests read the primary, so it sees what it wrote.
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _public_read.get()
        if state is None or not getattr(view_func, "renders_cached_page", False):
            return
        if getattr(request, "page_cache", None) is None:
            return  # the page will not be kept: a public read like any other
        # Kept, the page must show every public write the cache was cleared for: the
        # replica renders it only once it has replayed the last of them, and when that is
        # not known (no write recorded, or the cache lost it) the primary does.
        position = getattr(request, "page_cache_wal", None)
        if position is None:
            _public_read.set(None)
        else:
            state.replayed_to = position
            # Decided afresh at the next read, with the check, whatever was read before.
            state.replica_ok = None

    @staticmethod
    def _is_public_read(request) -> bool:
        return (
            request.method in SAFE_METHODS
            and PIN_COOKIE not in request.COOKIES
            and not request.path.startswith(reverse("admin:index"))
            and not request.user.is_authenticated
        )
