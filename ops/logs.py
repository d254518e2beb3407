"""Structured logs: one JSON object per line, and a filter that keeps personal data out.

Whatever reaches a handler passes PrivacyFilter first: resident ID numbers, phone
numbers and query strings are replaced in the message and in any traceback, so a
careless `logger.info("… %s", request.get_full_path())` anywhere cannot leak them.
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Fields a log call may add through `extra=`; nothing else from the record is written
# (Django attaches the whole HttpRequest to some records).
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "task", "status_code")

_SCRUBS = [
    # Resident ID numbers: 17 digits and a check digit (X allowed).
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号已隐去]"),
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


class PrivacyFilter(logging.Filter):
    """Rewrites the record in place; it never drops one."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
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
