"""Kept copies: figures that take a second or more to add up at national scale (a province's
progress, its fee supervision) are kept in the cache and shown with their age.

A copy is any object with `computed_at` (when it was added up) and `today` (the day it was
added up for: what is overdue changes at midnight). `read` returns the copy while it is
younger than `max_age` and of today. After that, one request at a time adds it up again,
under a lock only its holder removes; meanwhile the others are shown today's copy, however
old. With no copy of today (the first request, or the first after midnight) they wait a
little for the holder's, then add up their own without keeping it. The beat refreshes the
copies before they age (clock.tasks.refresh_kept_figures), so a reader rarely pays.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

MAX_AGE = dt.timedelta(minutes=10)
LOCK_SECONDS = 120
# Without a copy of today, how long a request waits for another's refresh before it adds up
# the figures itself, and how often it looks.
WAIT = dt.timedelta(seconds=5)
POLL = dt.timedelta(milliseconds=200)

T = TypeVar("T")


def key(*parts: object) -> str:
    """A cache key of the database's name and the parts: two databases sharing one Redis
    (a test run beside the demo) never read each other's copy."""
    name = connection.settings_dict["NAME"]
    return ":".join(["kept", str(name), *(str(p) for p in parts)])


def store(name: str, value: T) -> T:
    cache.set(name, value, timeout=None)
    return value


def forget(name: str) -> None:
    cache.delete(name)


def mark_changed(marker: str) -> None:
    """The data behind the copies that name this marker changed now: the next reader adds
    them up again (the others keep seeing the old copy meanwhile), so whoever made the
    change sees it at once rather than up to `MAX_AGE` later."""
    cache.set(marker, timezone.now(), timeout=int(MAX_AGE.total_seconds()) * 2)


def read(
    name: str,
    today: dt.date,
    *,
    refresh: Callable[[], T],
    compute: Callable[[], T],
    max_age: dt.timedelta = MAX_AGE,
    changed_marker: str = "",
) -> T:
    """The copy kept under `name`; `refresh()` adds it up and stores it, `compute()` adds it
    up without storing it (for a request that could not take the lock). A copy older than
    the time under `changed_marker` (see `mark_changed`) is refreshed like an aged one."""
    found = cache.get_many([name, changed_marker] if changed_marker else [name])
    value, changed_at = found.get(name), found.get(changed_marker)
    usable = value is not None and value.today == today
    current = changed_at is None or (usable and changed_at < value.computed_at)
    if usable and current and timezone.now() - value.computed_at < max_age:
        return value
    lock, token = name + ":refreshing", uuid.uuid4().hex
    if cache.add(lock, token, timeout=LOCK_SECONDS):
        try:
            return refresh()
        finally:
            # Only our own lock: one that outlived its timeout may be another request's now.
            if cache.get(lock) == token:
                cache.delete(lock)
    if usable:
        return value  # another request is adding it up right now
    waited = dt.timedelta()
    while waited < WAIT:
        time.sleep(POLL.total_seconds())
        waited += POLL
        value = cache.get(name)
        if value is not None and value.today == today:
            return value
    return compute()
