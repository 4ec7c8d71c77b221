"""Public pages kept in the cache for anonymous visitors, all dropped at once by any public write.

Views marked with cache_public_page store what they render; PublicPageCacheMiddleware, near
the top of the middleware, answers a visitor without a session from the cache before
sessions, authentication or the database are touched. A visitor with a session (staff)
always gets the page rendered afresh.

Every cached page carries the generation number that was current when it was rendered. A
write that changes what the public may see calls forget_public_pages() inside its
transaction (the search index update does, so every publish, withdrawal, edit, deletion and
import does); it moves the generation on at once and again after the commit, so no page
rendered before the commit is served afterwards. With a read replica, the primary's WAL
position after the commit is recorded first: a page to be kept is rendered from the replica
only once it has replayed that far (archive.database_routing). The cache is an optimisation
only: when it is unreachable pages are rendered as if nothing were cached, and writes go on.
"""

import hashlib
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from archive.database_routing import replica_configured

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-pages:generation"
# The primary's WAL position after the last public write, in bytes (PostgreSQL with a
# replica).
WAL_KEY = "public-pages:primary-wal"
# After the cache fails, pages skip it for this long (seconds) rather than wait on it again.
CACHE_RETRY_SECONDS = 5
CACHE_HEADER = "X-Archive-Cache"
_cache_down_until = 0.0


def _cache_failed(error: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning("The page cache is unreachable; pages are rendered afresh: %r", error)


def _new_generation() -> int:
    # Larger than any generation handed out before, should the key itself be evicted.
    return time.time_ns()


def _move_generation_on() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # Missing (never set, or evicted): a fresh one is past every earlier one.
        cache.set(GENERATION_KEY, _new_generation(), timeout=None)
    except Exception as error:
        # Pages cached before stay until PAGE_CACHE_SECONDS pass; the write itself stands.
        logger.error("Could not drop the cached public pages: %r", error)


def _remember_primary_position() -> None:
    """Record where the primary's WAL stands, after a commit, for pages rendered from a
    replica (see archive.database_routing); before the generation moves on, so that a
    page kept under the new generation is rendered from a replica that has the write.

    The insert position, not the write position: with asynchronous commit the commit
    record may not be written out yet, but it has been inserted. The recorded position only
    ever moves forward (see _move_position_to), whatever order concurrent commits record in.
    """
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
            (position,) = cursor.fetchone()
        _move_position_to(position)
    except Exception as error:
        # An older position would let a replica that lacks this write render pages kept
        # under the new generation: it is dropped, and kept pages render from the primary
        # until the next write records one.
        logger.error("Could not record the primary's WAL position: %r", error)
        try:
            cache.delete(WAL_KEY)
        except Exception:
            pass


def _move_position_to(position: int) -> None:
    """Raise the recorded WAL position to at least `position`, never lower it.

    The cache offers no compare-and-set, but it adds atomically: two writers racing may
    both add their difference and overshoot, which only sends pages to the primary until
    the WAL gets there; a position never goes back to before a commit already recorded.
    """
    for _ in range(3):
        current = cache.get(WAL_KEY)
        if current is None:
            if cache.add(WAL_KEY, position, timeout=None):
                return
            continue  # another writer added it first: raise theirs
        if position > current:
            cache.incr(WAL_KEY, position - current)
        return
    raise RuntimeError("the recorded WAL position kept changing")


def _after_commit() -> None:
    _remember_primary_position()
    _move_generation_on()


def forget_public_pages() -> None:
    """Drop every cached public page, now and again once the current transaction commits."""
    _move_generation_on()
    # A page rendered while the transaction is open still shows the old rows; it must not
    # outlive the commit. Outside a transaction this runs at once.
    transaction.on_commit(_after_commit)


def _page_key(request) -> str:
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"public-page:{url}"


def _cacheable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
    )


class PublicPageCacheMiddleware:
    """Answer visitors without a session from the cache, with one round trip to it.

    The page and the current generation are read together; a page of an older generation
    is not served. On a miss the generation is left on the request for the view to store
    its page under.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.PAGE_CACHE_SECONDS
            or request.method not in ("GET", "HEAD")
            # A session may be signed in; staff always see pages rendered afresh.
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or time.monotonic() < _cache_down_until
        ):
            return self.get_response(request)
        key = _page_key(request)
        try:
            found = cache.get_many([GENERATION_KEY, key, WAL_KEY])
            generation = found.get(GENERATION_KEY)
            if generation is None:
                cache.add(GENERATION_KEY, _new_generation(), timeout=None)
                generation = cache.get(GENERATION_KEY)
        except Exception as error:
            _cache_failed(error)
            return self.get_response(request)
        kept = found.get(key)
        if kept is not None and kept[0] == generation:
            _, status, headers, content = kept
            response = HttpResponse(content, status=status, headers=headers)
            response[CACHE_HEADER] = "hit"
            return response
        request.page_cache = (key, generation)
        request.page_cache_wal = found.get(WAL_KEY)
        return self.get_response(request)


def cache_public_page(view):
    """Keep the page a public GET view renders for visitors without a session.

    The view is also marked so that the page is rendered from the primary database, never
    from a lagging replica (archive.database_routing).
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # Cached pages are the same whatever the visitor's cookies; a shared cache in front
        # must still not give them to a signed-in visitor.
        patch_vary_headers(response, ["Cookie"])
        lookup = getattr(request, "page_cache", None)
        if lookup is not None and _cacheable(response):
            key, generation = lookup
            kept = (generation, response.status_code, dict(response.items()), response.content)
            try:
                cache.set(key, kept, timeout=settings.PAGE_CACHE_SECONDS)
            except Exception as error:
                _cache_failed(error)
            response[CACHE_HEADER] = "miss"
        return response

    cached_view.renders_cached_page = True
    return cached_view
