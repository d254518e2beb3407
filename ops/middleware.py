"""Two outermost middlewares: the health check and the one log line per request."""

import logging
import re
import time
import uuid

from django.utils.functional import SimpleLazyObject, empty

from .health import healthz
from .logs import request_id_var

logger = logging.getLogger("anquan.request")

HEALTH_PATH = "/healthz"
# A request id handed in by the load balancer is kept (so its log and ours join up) only
# when it looks like one; anything else is replaced rather than echoed into the logs.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class HealthCheckMiddleware:
    """Answers /healthz before host validation, sessions or the HTTPS redirect.

    A load balancer probes each host by its address, not by the public name in
    ALLOWED_HOSTS, and over plain HTTP inside the private network; the answer carries
    nothing that needs either protection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)


class RequestLogMiddleware:
    """One JSON line per request: id, user id, method, path (never the query string),
    status and duration. The id is returned as X-Request-ID for support calls."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _user_id(request) -> int | None:
    # Only a user the request already loaded: evaluating a lazy request.user here would
    # query the database, which may be the very thing that is down.
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is not None and user.is_authenticated:
        return user.pk
    return None
