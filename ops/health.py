"""The load balancer's health check: can this host reach PostgreSQL and Redis right now?

Only PostgreSQL decides whether the host serves (200) or not (503). Without Redis the
site still works, degraded (no kept copies, e-mails and background runs wait for the
sweeps): taking every host out of the load balancer for it would turn a slower site into
none. Redis down answers 200 with the status "degraded", for monitoring to alert on.

The answer names each dependency and says ok / down / not_used, nothing more: no
version strings, no host names, no personal data, so it can stay open to anyone.
"""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A load balancer polls every few seconds; a dependency that does not answer within this
# is as good as down for the users behind it.
TIMEOUT_SECONDS = 2

_clients: dict[str, redis.Redis] = {}


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("health check: database unreachable")
        # The broken connection must not be reused by the next request on this thread.
        connection.close_if_unusable_or_obsolete()
        return "down"
    return "ok"


def _redis() -> str:
    url = settings.REDIS_URL
    if not url:
        # The demo runs without Redis (locmem cache, filesystem broker): nothing to check.
        return "not_used"
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
    try:
        client.ping()
    except (redis.RedisError, OSError):
        logger.warning("health check: redis unreachable")
        return "down"
    return "ok"


@require_safe
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    if checks["database"] != "ok":
        status = "unavailable"
    elif all(value in ("ok", "not_used") for value in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    response = JsonResponse(
        {"status": status, "checks": checks},
        status=503 if status == "unavailable" else 200,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-store"
    return response
