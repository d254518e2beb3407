"""Structured logs: one JSON object per line, and a filter that keeps personal data out.

Whatever reaches a handler passes PrivacyFilter first: resident ID numbers, phone
numbers and query strings are replaced in the message and in any traceback, so a
careless `logger.info("… %s", request.get_full_path())` anywhere cannot leak them. The
values a request (or a background export) was given are replaced as well: an exception
message quotes what it could not handle ("invalid input syntax …: '张三'").
"""

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# What the work under way was given (query and form values), read only when a record is
# written: set by RequestLogMiddleware for a request, by a background export for its query.
given_values_var: contextvars.ContextVar[Callable[[], Iterable[str]] | None] = (
    contextvars.ContextVar("given_values", default=None)
)


@contextlib.contextmanager
def hiding_given(values: Callable[[], Iterable[str]]):
    """While the block runs, the strings `values()` returns never reach a log line."""
    token = given_values_var.set(values)
    try:
        yield
    finally:
        given_values_var.reset(token)


# Fields a log call may add through `extra=`; nothing else from the record is written
# (Django attaches the whole HttpRequest to some records).
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "task", "status_code")

# One separator a person may type between the digits of a number: a space (also the
# full-width one), a hyphen or a dash of any width.
_SEP = r"[\s\-\u2010-\u2015\u2212\uff0d]?"

_SCRUBS = [
    # Resident ID numbers: 17 digits and a check digit (X allowed), written together or in
    # groups ("140105 19900101 123X", "140105-1990-0101-123x").
    (re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?!\d)"), "[身份证号已隐去]"),
    # Mobile numbers, with or without +86, spaces or hyphens.
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[电话已隐去]"),
    # Landlines written with an area code: 0351-1234567.
    (re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"), "[电话已隐去]"),
    # Any other run of 11 or more digits (numbers written together, bank cards): nothing
    # the logs need is that long, so it goes too.
    (re.compile(r"(?<!\d)\d{11,}[Xx]?(?!\d)"), "[号码已隐去]"),
    # Query strings: a search box or a filter carries names, numbers, addresses.
    (re.compile(r"\?[^\s\"'<>]+"), "?[查询参数已隐去]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


GIVEN = "[输入值已隐去]"


def _given_values(record: logging.LogRecord) -> list[str]:
    """The values the work under way was given, longest first, as they may be quoted."""
    request = getattr(record, "request", None)
    provider = given_values_var.get()
    if request is not None and hasattr(request, "GET"):
        values = list(request_values(request))
    elif provider is not None:
        values = list(provider())
    else:
        return []
    found = set()
    for value in values:
        for variant in (value, value.strip(), repr(value)[1:-1], value.replace("'", "''")):
            # One character identifies nobody, and would garble every line it appears in.
            if len(variant) >= 2:
                found.add(variant)
    return sorted(found, key=len, reverse=True)


def request_values(request) -> Iterable[str]:
    """A request's query values, and its form values if the body has been read."""
    for _key, values in request.GET.lists():
        yield from values
    post = request.__dict__.get("_post")  # never parse a body just to write a log line
    if post is not None:
        for _key, values in post.lists():
            yield from (v for v in values if isinstance(v, str))


def _hide(text: str, values: list[str]) -> str:
    for value in values:
        text = text.replace(value, GIVEN)
    return text


def _hide_args(args, values: list[str]):
    def hide(arg):
        return arg if isinstance(arg, int | float) else _hide(str(arg), values)

    if isinstance(args, Mapping):
        return {key: hide(arg) for key, arg in args.items()}
    return tuple(hide(arg) for arg in args)


def _hide_in_traceback(text: str, values: list[str]) -> str:
    # Only the exception messages: frame lines ("  File …") and their source lines are the
    # code's own text, and a short value must not garble them.
    return "\n".join(
        line if line.startswith(("Traceback ", "  File ", "    ")) else _hide(line, values)
        for line in text.split("\n")
    )


class PrivacyFilter(logging.Filter):
    """Rewrites the record in place; it never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        given = _given_values(record)
        if given and record.args:
            # Only what the call was given: the message template is the code's own text,
            # and a short value ("fee") must not eat into its words.
            record.args = _hide_args(record.args, given)
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _hide_in_traceback(scrub(record.exc_text), given)
        if isinstance(getattr(record, "path", None), str):
            record.path = scrub(record.path)
        return True


class RequestIdFilter(logging.Filter):
    """Stamps every record made while a request runs with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # Django logs a 4xx/5xx response after the middlewares have returned, with the
            # request attached to the record.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            data["request_id"] = record.request_id
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None and isinstance(value, str | int | float | bool):
                data[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)
