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


def generation(marker: str) -> int:
    """How many changes `marker` has counted (0 for none, or after Redis lost it)."""
    return (cache.get(marker) or 0) if marker else 0


def refresh(name: str, build: Callable[[], T], *, marker: str = "") -> T:
    """Add the copy up now and keep it, with the marker's count read *before* adding up: a
    change committed meanwhile leaves the copy behind the marker, so it is added up again."""
    seen = generation(marker)
    value = build()
    cache.set(name, (seen, value), timeout=None)
    return value


def forget(name: str) -> None:
    cache.delete(name)


def mark_changed(marker: str) -> None:
    """The data behind the copies that name this marker changed: their next reader adds them
    up again (others keep seeing the old copy meanwhile), so whoever made the change usually
    sees it on their next page rather than up to `MAX_AGE` later. A counter, not a time: two
    writers, or two hosts' clocks, cannot make it go backwards."""
    if not cache.add(marker, 1, timeout=None):
        try:
            cache.incr(marker)
        except ValueError:  # expired or evicted between the two calls
            cache.add(marker, 1, timeout=None)


def read(
    name: str,
    today: dt.date,
    *,
    refresh: Callable[[], T],
    compute: Callable[[], T],
    max_age: dt.timedelta = MAX_AGE,
    changed_marker: str = "",
) -> T:
    """The copy kept under `name`; `refresh()` adds it up and keeps it (with `refresh`
    above), `compute()` adds it up without keeping it (for a request that could not take
    the lock). A copy kept before the last change counted by `changed_marker` (see
    `mark_changed`) is refreshed like an aged one."""
    found = cache.get_many([name, changed_marker] if changed_marker else [name])
    seen, value = found.get(name) or (None, None)
    usable = value is not None and value.today == today
    current = seen == found.get(changed_marker, 0) if changed_marker else True
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
        _seen, value = cache.get(name) or (None, None)
        if value is not None and value.today == today:
            return value
    return compute()
