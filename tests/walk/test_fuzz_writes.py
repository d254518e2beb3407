"""Every write of the URL walk under hostile input, as every member of the standing cast.

For each URL pattern the walk knows (tests/walk/test_url_walk.py), each cast member POSTs form
data and JSON carrying control characters, NUL, lone surrogates, NaN, huge strings and
deeply nested values into every field name any form or serializer of the project declares
(plus the hidden fields of the page's own form, so a version check does not stop the
request before validation). API resources are also sent PATCH (or PUT).

Nothing may answer 500; a refused request (4xx) must leave every table as it was; and no
stored text may end up carrying a control character.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.db import connection
from django.urls import URLResolver, get_resolver, reverse
from rest_framework import serializers

from tests.inspections.test_problems import seed_campaign
from tests.walk.test_url_walk import CAST, EXPECT

# C0 and C1 controls (NUL apart, it has its own payload), in Chinese text as a user types it.
CONTROL = "博雅\x0b舞蹈\x1f培训\x85学校\x7f"
NUL = "博雅\x00舞蹈"
HUGE = "x" * 4000  # over any field's length (2,000 at most), in every field name at once
HUGE_NUMBER = "9" * 400
# Tables a refused request may still touch: the audit trail of the refusal, lock-out
# counters and sessions of the login itself.
LOG_TABLES = {"accounts_auditevent", "django_session"}
# A page that shows its form again with errors has refused the write too.
FORM_ERRORS = re.compile(rb"errorlist|invalid-feedback|is-invalid|alert-danger")
# One member of each role gets every payload; the others (a second county officer, roles
# without the right) get the first, which is as far as their request goes.
EVERY_PAYLOAD = {"pingcheng", "taiyuan", "province", "admin"}
REFUSED = {400, 401, 403, 404, 405, 409, 413, 415, 422, 429}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_module(cls) -> bool:
    return cls.__module__.split(".")[0] not in {"django", "rest_framework", "django_filters",
                                               "drf_spectacular", "axes", "simple_history",
                                               "django_celery_beat", "tests"}  # fmt: skip


def _field_names() -> list[str]:
    """Every field name a project form or serializer declares."""
    assert get_resolver().url_patterns  # imports every view, so every form and serializer
    names = set()
    for form in _subclasses(forms.BaseForm):
        if _project_module(form):
            names |= set(getattr(form, "base_fields", {}))
    for serializer in _subclasses(serializers.BaseSerializer):
        if _project_module(serializer) and not issubclass(serializer, serializers.ListSerializer):
            try:
                names |= set(serializer().fields)
            except Exception:  # noqa: S112 — a serializer needing context keeps its declared ones
                names |= set(getattr(serializer, "_declared_fields", {}))
    return sorted(names - {"csrfmiddlewaretoken"})


def _tables() -> list[str]:
    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)} - LOG_TABLES
    return sorted(t for t in tables if not t.startswith("axes_"))


def _writes_seen() -> int:
    """Rows this transaction has inserted, updated or deleted so far (a cheap counter: when
    it has not moved, nothing was written; when it has, the md5 below decides, since rows a
    rolled-back savepoint wrote are counted too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
            [_tables()],
        )
        return cursor.fetchone()[0]


def _fingerprint() -> dict[str, str]:
    """An md5 of every table's rows, in one query (the test database is small)."""
    tables = _tables()
    parts = [
        f"SELECT '{t}', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM {t} x"  # noqa: S608
        for t in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def _stored_controls() -> list[tuple[str, str]]:
    """Text columns holding a control character other than tab and line breaks (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')"
        )
        columns = cursor.fetchall()
        checks = " UNION ALL ".join(
            f"SELECT '{t}', '{c}' WHERE EXISTS "  # noqa: S608 - names from the catalogue
            f'(SELECT 1 FROM "{t}" WHERE "{c}" ~ %(controls)s)'
            for t, c in columns
        )
        cursor.execute(checks, {"controls": r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"})
        return cursor.fetchall()


def _write_methods(view) -> list[str]:
    """The write methods a view answers (a function view: POST, to be sure). PUT is left out
    where PATCH is offered: both run the same serializer's validation."""
    if hasattr(view, "actions"):  # a DRF viewset route
        methods = [m for m in ("post", "put", "patch") if m in view.actions]
    elif view_class := getattr(view, "cls", None) or getattr(view, "view_class", None):
        methods = [m for m in ("post", "put", "patch") if hasattr(view_class, m)]
    else:
        methods = ["post"]
    return [m for m in methods if not (m == "put" and "patch" in methods)]


def _writes(patterns=None, namespace="") -> dict[str, list[str]]:
    """Every named URL pattern whose view takes a write, with its write methods."""
    found = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _writes(entry.url_patterns, inner)
        elif entry.name and (methods := _write_methods(entry.callback)):
            found[f"{namespace}{entry.name}"] = methods
    return found


WRITES = _writes()


class _Hidden(HTMLParser):
    """The hidden inputs of a page's forms (versions, tokens of the flow)."""

    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


def _hidden(body: bytes) -> dict[str, str]:
    parser = _Hidden()
    parser.feed(body.decode("utf-8", "replace"))
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


def _nested(depth: int) -> str:
    """JSON nested deeper than Python's own recursion limit."""
    return '{"a": [' * depth + '"x"' + "]}" * depth


def _payloads(names: list[str], hidden: dict[str, str]):
    """(description, kwargs for the test client) of each hostile request."""
    # NUL travels in the JSON payload below: in a form value it meets the same rule as CONTROL.
    for label, text in (("control", CONTROL), ("huge", HUGE)):
        data = {name: text for name in names} | hidden
        yield label, {"data": data}
    yield "huge number", {"data": {name: HUGE_NUMBER for name in names} | hidden}
    # A lone surrogate cannot be form-encoded as UTF-8; its CESU-8 bytes are what a broken
    # client sends.
    raw = "&".join(f"{name}=%ED%A0%80" for name in names)
    yield "surrogate form", {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    body = {name: CONTROL for name in names} | {"answers": {"1.01": {"note": NUL}}}
    yield "json control", {"data": json.dumps(body), "content_type": "application/json"}
    surrogate = "{" + ",".join(f'"{name}": "\\ud800"' for name in names) + "}"
    yield "json surrogate", {"data": surrogate, "content_type": "application/json"}
    yield "json nan", {"data": '{"latitude": NaN, "longitude": Infinity, "version": NaN}',
                       "content_type": "application/json"}  # fmt: skip
    deep = _nested(2000)
    yield "json deep", {"data": deep, "content_type": "application/json"}


@pytest.fixture(scope="module")
def names():
    return _field_names()


def test_the_walk_knows_every_write():
    assert len(WRITES) > 60 and WRITES.keys() <= EXPECT.keys()


@pytest.mark.parametrize("name", sorted(WRITES))
def test_no_write_fails_or_half_writes_under_hostile_input(name, client, cast, places, names):
    seed_campaign()
    make_kwargs, _expected = EXPECT[name]
    url = reverse(name, kwargs=make_kwargs(places) if make_kwargs else None)
    methods = WRITES[name]
    is_api = url.startswith("/api/")
    for member in CAST:
        client.logout()
        if member != "anonymous":
            client.force_login(getattr(cast, member))
        page = client.get(url)
        html = page.status_code == 200 and not is_api and not page.streaming
        hidden = _hidden(page.content) if html else {}
        before, seen = _fingerprint(), _writes_seen()
        for method in methods:
            for label, kwargs in _payloads(names, hidden):
                if member not in EVERY_PAYLOAD and label != "control":
                    break
                response = getattr(client, method)(url, **kwargs)
                where = f"{method.upper()} {url} as {member} with {label}"
                assert response.status_code < 500, where
                if response.status_code == 302 and "/login" in response.get("Location", ""):
                    break  # anonymous: nothing reached a view
                refused = response.status_code in REFUSED or (
                    response.status_code == 200
                    and not response.streaming
                    and FORM_ERRORS.search(response.content)
                )
                if not refused:
                    before, seen = _fingerprint(), _writes_seen()
                    continue
                if _writes_seen() != seen:
                    assert _fingerprint() == before, f"{where}: refused but wrote"
                if response.status_code in (401, 403, 404, 405) and label == "control":
                    break  # not this member's door: the other payloads meet the same
    assert _stored_controls() == [], f"{name}: a control character was stored"
