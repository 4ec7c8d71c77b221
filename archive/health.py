"""Health checks for a load balancer: /healthz (the process answers), /readyz (its engines).

/readyz answers 503 only when the primary database is unreachable, for then no page can
be served. The cache, the task queue and the read replica are reported, and their failure
makes the answer "degraded" with status 200: pages still answer without them (rendered
afresh, from the primary, with tasks left to the sweeps), and taking every server out of
the balancer because a shared Redis is down would turn a slow site into no site.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse, JsonResponse
from django.tasks import task_backends
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_rq import get_connection
from django_tasks_rq import RQBackend

logger = logging.getLogger(__name__)

READY_KEY = "readyz:probe"


def _database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set(READY_KEY, "ok", timeout=10)
    if cache.get(READY_KEY) != "ok":
        raise RuntimeError("the cache did not keep a value")


def _queue() -> None:
    # The database backend's queue is the database, checked above; the inline one has none.
    if isinstance(task_backends["default"], RQBackend):
        get_connection("default").ping()


def _check(name: str, probe) -> str:
    try:
        probe()
    except Exception as error:
        logger.warning("Readiness: %s is unavailable: %r", name, error)
        return f"unavailable: {type(error).__name__}"
    return "ok"


@require_safe
@never_cache
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
@never_cache
def readyz(request):
    checks = {
        "database": _check("the database", lambda: _database(DEFAULT_DB_ALIAS)),
        "cache": _check("the cache", _cache),
        "queue": _check("the task queue", _queue),
    }
    if "replica" in settings.DATABASES:
        checks["replica"] = _check("the read replica", lambda: _database("replica"))
    if checks["database"] != "ok":
        status = "unavailable"
    elif all(result == "ok" for result in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "unavailable" else 200
    )
