"""Server errors: a lost database connection is a 503 ("try again shortly"), not a 500.

Django hands every uncaught exception, from a view or a middleware, to handler500 while
the exception is still being handled, so this is the one place that sees them all. The
pages render without the request's context processors, which would query the database.
"""

import sqlite3
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = "30"


# PostgreSQL's SQLSTATE classes of a server that cannot serve right now: connection
# exceptions (08), insufficient resources (53: too many connections, disk full), operator
# intervention (57: shutdown, restart, statement cancelled), transaction rollback (40:
# deadlock, serialization). A client-side connection failure has no SQLSTATE at all.
_UNAVAILABLE_CLASSES = ("08", "53", "57", "40")
# SQLite (the demo): busy, locked, cannot open, I/O error, disk full.
_SQLITE_UNAVAILABLE = {5, 6, 10, 13, 14}


def database_unreachable(exc: BaseException | None) -> bool:
    """True for a database that is down or overloaded; False for anything else, including
    OperationalErrors that are programming errors (SQLite's "no such column", PostgreSQL's
    program limits), which stay 500s rather than a misleading "try again shortly"."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        # Extended codes (SQLITE_BUSY_SNAPSHOT …) keep the primary code in the low byte.
        return ((getattr(cause, "sqlite_errorcode", None) or 0) & 0xFF) in _SQLITE_UNAVAILABLE
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_CLASSES)


def server_error(request):
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request)


def database_unavailable(request):
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("数据库暂时无法连接，请稍后重试。本次操作没有保存。")},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    response["Cache-Control"] = "no-store"
    return response
