"""The two outermost middlewares (the health check, the one log line per request) and the
early check of what a request carries."""

import logging
import re
import time
import uuid

from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from core.logs import hiding_given, request_id_var, request_values
from core.text import control_character_message

from .health import healthz

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
            # Anything logged while the request runs (an exception quoting a filter value)
            # has the request's own values taken out (core/logs.py).
            with hiding_given(lambda: request_values(request)):
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


_UNICODE = {"ensure_ascii": False}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputCheckMiddleware:
    """A 400 in Chinese, before any view runs, for a request whose query string or form
    fields carry a control character or a lone surrogate.

    No person types one; a NUL reaching PostgreSQL is a 500 wherever a value is used
    (every list's filters, the audit of every export), and a view reading request.POST
    directly has no form to refuse it. Query values and file names are single-line; form
    values may keep tab and line breaks (a textarea), and the forms then apply the
    single-line rule to their single-line fields with a message beside the field. JSON
    bodies are read with the same limits by core.text.parse_json (the API's parser, the
    inspection form's autosave). A value captured from the path (`<str:code>`) that
    carries one is the same 404 as a missing row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self.problem(request)
        if problem:
            return refuse(request, problem)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, str) and control_character_message(value):
                if request.path.startswith("/api/"):
                    from rest_framework.exceptions import NotFound

                    detail = {"detail": str(NotFound.default_detail)}
                    return JsonResponse(detail, status=404, json_dumps_params=_UNICODE)
                raise Http404
        return None

    @staticmethod
    def problem(request) -> str | None:
        for key, values in request.GET.lists():
            for text in (key, *values):
                if message := control_character_message(text):
                    return _("查询条件%(name)s%(reason)s") % {
                        "name": _label(key),
                        "reason": message,
                    }
        if request.method != "POST" or request.content_type not in _FORM_TYPES:
            return None
        return form_problem(request.POST, request.FILES)


def form_problem(data, files=None) -> str | None:
    """What is wrong with a parsed form body (a QueryDict, its MultiValueDict of files)."""
    for key, values in data.lists():
        if message := control_character_message(key):
            return _("填写的内容%(reason)s") % {"reason": message}
        for text in values:
            if isinstance(text, str) and (
                message := control_character_message(text, multiline=True)
            ):
                return _("填写的内容%(name)s%(reason)s") % {"name": _label(key), "reason": message}
    for _key, uploads in files.lists() if files is not None else ():
        for upload in uploads:
            if message := control_character_message(upload.name or ""):
                return _("上传文件的文件名%(reason)s") % {"reason": message}
    return None


def _label(key: str) -> str:
    # The parameter's own name when it is printable and short, so a developer calling the
    # API sees which one; a garbled name is not echoed.
    if control_character_message(key) or len(key) > 40:
        return ""
    return f"“{key}”"


def refuse(request, message: str) -> HttpResponse:
    """The 400 answer: JSON for the API, the Chinese error page for everything else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400, json_dumps_params=_UNICODE)
    page = loader.render_to_string("400.html", {"message": message})
    return HttpResponse(page, status=400)
