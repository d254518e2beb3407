"""Every write method of every URL pattern × the standing cast (issue #19 step 5).

The GET walk (test_url_walk.py) never sees the scope check of a write: a POST-only view
answers its GET with 405. Here each cast member sends each state-changing method a pattern's
view accepts a plain request (an empty form, or `{}` JSON for the API) and must get:

- anonymous: 302 to the login page (pages) or 401 (the API);
- a role without the permission: 403; a role with it whose reach misses the object: 404;
  after either, no table has changed (test_fuzz_writes' counter and checksum decide);
- a user who may write: anything but 403, 404 or a 500 (a form with errors, 400, 302 …).

The expectation of a write is derived from the GET's (302 → login, 401, 403 and 404 stay,
200 → may write) unless WRITE_EXPECT beside the pattern's EXPECT states it, as it must where
writing needs more than reading or the GET answers 405. A write without a known expectation
fails the suite, as a pattern missing from EXPECT does.
"""

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.walk.test_fuzz_writes import _fingerprint, _writes_seen
from tests.walk.test_url_walk import CAST, EXPECT, WRITE_EXPECT

WRITE_METHODS = ("post", "put", "patch", "delete")
OK = "ok"  # may write: anything but 403, 404 and 5xx
LOGIN = "login"  # 302 to the login page
REFUSED = {LOGIN, 401, 403, 404}
DERIVED = {302: LOGIN, 401: 401, 403: 403, 404: 404, 200: OK}


def _declared_methods(view) -> list[str] | None:
    """The write methods a class-based view or viewset route accepts; None for a function
    view, whose methods are found by trying."""
    if hasattr(view, "actions"):
        allowed = getattr(view.cls, "http_method_names", WRITE_METHODS)
        return [m for m in WRITE_METHODS if m in view.actions and m in allowed]
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if view_class is None:
        return None
    return [
        m for m in WRITE_METHODS if m in view_class.http_method_names and hasattr(view_class, m)
    ]


def _writes(patterns=None, namespace="") -> dict[str, list[str] | None]:
    """Every named URL pattern whose view may take a write: its write methods, or None for a
    function view (tried with all four)."""
    found = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _writes(entry.url_patterns, inner)
        elif (methods := _declared_methods(entry.callback)) is None or methods:
            found[f"{namespace}{entry.name}"] = methods
    return found


WRITES = _writes()


def _expected(name: str) -> dict | None:
    """Each cast member's expected answer to a write, or None when nobody said."""
    if name in WRITE_EXPECT:
        return WRITE_EXPECT[name]
    _kwargs, read = EXPECT[name]
    expected = {}
    for member, status in read.items():
        if status == 302 and member != "anonymous":
            status = 200  # a page that sends a logged-in user elsewhere lets a write through too
        if status not in DERIVED:
            return None  # 405: the GET says nothing about who may write
        expected[member] = DERIVED[status]
    return expected


def _answer(response) -> int | str:
    if response.status_code == 302:
        login = resolve_url(settings.LOGIN_URL)
        if response["Location"].split("?")[0] == login:
            return LOGIN
    return response.status_code


def _matches(got, expected) -> bool:
    if expected == OK:
        return got not in REFUSED and isinstance(got, int) and got < 500
    return got == expected


@pytest.fixture
def clients(cast):
    """One client per cast member, logged in once (a login writes last_login)."""
    found = {"anonymous": Client()}
    for member in CAST[1:]:
        found[member] = Client()
        found[member].force_login(getattr(cast, member))
    return found


def test_every_write_has_an_expectation():
    declared = {name for name, methods in WRITES.items() if methods}
    assert len(declared) > 60 and WRITES.keys() <= EXPECT.keys()
    assert {name for name in declared if _expected(name) is None} == set(), "add to WRITE_EXPECT"
    assert WRITE_EXPECT.keys() <= WRITES.keys(), "WRITE_EXPECT names a pattern taking no write"
    for name, expected in WRITE_EXPECT.items():
        assert list(expected) == CAST, name


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writes_answer_each_cast_member_as_expected(name, clients, places):
    make_kwargs, _read = EXPECT[name]
    url = reverse(name, kwargs=make_kwargs(places) if make_kwargs else None)
    declared = WRITES[name]
    body = {"data": "{}", "content_type": "application/json"} if url.startswith("/api/") else {}
    expected = _expected(name)
    before = None  # every request runs in a savepoint rolled back after it: one state for all
    for method in WRITE_METHODS if declared is None else declared:
        got = {}
        for member in CAST:
            with transaction.atomic():
                seen = _writes_seen()
                got[member] = _answer(getattr(clients[member], method)(url, **body))
                moved = got[member] in REFUSED and _writes_seen() != seen
                after = _fingerprint() if moved else None
                transaction.set_rollback(True)
            if after is not None:  # the counter moved: the checksums decide
                before = before or _fingerprint()
                assert after == before, f"{method.upper()} {url} as {member}: refused but wrote"
        if declared is None and all(got[member] == 405 for member in CAST[1:]):
            continue  # a function view that does not take this method
        assert expected is not None, f"{method.upper()} {name}: add it to WRITE_EXPECT ({got})"
        wrong = {m: (got[m], expected[m]) for m in CAST if not _matches(got[m], expected[m])}
        assert wrong == {}, f"{method.upper()} {url} (got, expected): {got}"
