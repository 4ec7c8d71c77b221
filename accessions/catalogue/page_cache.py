"""Public pages kept in the cache for anonymous visitors, all dropped at once by any public write.

Every cached page's key carries a generation number kept in the cache. A write that changes
what the public may see calls forget_public_pages() inside its transaction (the search index
update does, so every publish, withdrawal, edit, deletion and import does); it moves the
generation on at once and again after the commit, so no page rendered before the commit is
found afterwards. The cache is an optimisation only: when it is unreachable pages are
rendered as if nothing were cached, and writes go on.
"""

import hashlib
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-pages:generation"
# After the cache fails, pages skip it for this long (seconds) rather than wait on it again.
CACHE_RETRY_SECONDS = 5
CACHE_HEADER = "X-Archive-Cache"
_cache_down_until = 0.0


def _cache_failed(error: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning("The page cache is unreachable; pages are rendered afresh: %r", error)


def _cache_up() -> bool:
    return time.monotonic() >= _cache_down_until


def _new_generation() -> int:
    # Larger than any generation handed out before, should the key itself be evicted.
    return time.time_ns()


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _move_generation_on() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # Missing (never set, or evicted): a fresh one is past every earlier one.
        cache.set(GENERATION_KEY, _new_generation(), timeout=None)
    except Exception as error:
        # Pages cached before stay until PAGE_CACHE_SECONDS pass; the write itself stands.
        logger.error("Could not drop the cached public pages: %r", error)


def forget_public_pages() -> None:
    """Drop every cached public page, now and again once the current transaction commits."""
    _move_generation_on()
    # A page rendered while the transaction is open still shows the old rows; it must not
    # outlive the commit. Outside a transaction this runs at once.
    transaction.on_commit(_move_generation_on)


def _page_key(request) -> str:
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"public-page:{_generation()}:{url}"


def _cacheable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
    )


def cache_public_page(view):
    """Serve a public GET page to anonymous visitors from the cache, rendering it when missing.

    Signed-in staff always see the page rendered afresh. The view is marked so that the
    page is rendered from the primary database, never from a lagging replica.
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if (
            not settings.PAGE_CACHE_SECONDS
            or request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
            or not _cache_up()
        ):
            return view(request, *args, **kwargs)
        try:
            key = _page_key(request)
            kept = cache.get(key)
        except Exception as error:
            _cache_failed(error)
            return view(request, *args, **kwargs)
        if kept is not None:
            status, headers, content = kept
            response = HttpResponse(content, status=status, headers=headers)
            response[CACHE_HEADER] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if _cacheable(response):
            kept = (response.status_code, dict(response.items()), response.content)
            try:
                cache.set(key, kept, timeout=settings.PAGE_CACHE_SECONDS)
            except Exception as error:
                _cache_failed(error)
            response[CACHE_HEADER] = "miss"
        return response

    cached_view.renders_cached_page = True
    return cached_view
