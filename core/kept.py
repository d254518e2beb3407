"""Kept copies: figures that take a second or more to add up at national scale (a province's
progress, its fee supervision) are kept in the cache and shown with their age.

A copy is any object with `computed_at` (when it was added up) and `today` (the day it was
added up for: what is overdue changes at midnight). `read` returns the copy while it is
younger than `max_age` and of today. After that, one request at a time adds it up again,
under a lock only its holder removes; meanwhile the others are shown today's copy, however
old. With no copy of today (the first request, or the first after midnight) they wait a
little for the holder's, then add up their own without keeping it. The beat refreshes the
copies before they age (progress.tasks.refresh_kept_figures), so a reader rarely pays.

With the cache unreachable (Redis down) every reader adds up its own figures, as the first
request of a day does, and nothing is kept or counted: slower pages, never an error page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(minutes=10)
LOCK_SECONDS = 120
# Without a copy of today, how long a request waits for another's refresh before it adds up
# the figures itself, and how often it looks.
WAIT = dt.timedelta(seconds=5)
POLL = dt.timedelta(milliseconds=200)

T = TypeVar("T")

# What Django's Redis cache raises when Redis is down or does not answer in time.
CACHE_ERRORS = (RedisError, OSError)
# While the cache is down every page with figures meets the error: one warning a minute per
# process says so without flooding the log.
WARN_EVERY_SECONDS = 60.0
_warned_at: float | None = None


def _cache_unavailable(error: Exception) -> None:
    global _warned_at
    now = time.monotonic()
    if _warned_at is None or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning("kept copies: cache unavailable (%s), figures are added up live", error)


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
    try:
        seen = generation(marker)
    except CACHE_ERRORS as error:
        _cache_unavailable(error)
        return build()  # nowhere to keep it
    value = build()
    try:
        cache.set(name, (seen, value), timeout=None)
    except CACHE_ERRORS as error:
        _cache_unavailable(error)
    return value


def forget(name: str) -> None:
    cache.delete(name)


def mark_changed(marker: str) -> None:
    """The data behind the copies that name this marker changed: their next reader adds them
    up again (others keep seeing the old copy meanwhile), so whoever made the change usually
    sees it on their next page rather than up to `MAX_AGE` later. A counter, not a time: two
    writers, or two hosts' clocks, cannot make it go backwards. With the cache down there is
    nothing to count: readers add the figures up live meanwhile, and a copy that outlived the
    outage is replaced within `MAX_AGE`."""
    try:
        if not cache.add(marker, 1, timeout=None):
            try:
                cache.incr(marker)
            except ValueError:  # expired or evicted between the two calls
                cache.add(marker, 1, timeout=None)
    except CACHE_ERRORS as error:
        _cache_unavailable(error)


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
    `mark_changed`) is refreshed like an aged one. With the cache unreachable, `compute()`."""
    try:
        found = cache.get_many([name, changed_marker] if changed_marker else [name])
    except CACHE_ERRORS as error:
        _cache_unavailable(error)
        return compute()
    seen, value = found.get(name) or (None, None)
    usable = value is not None and value.today == today
    current = seen == found.get(changed_marker, 0) if changed_marker else True
    if usable and current and timezone.now() - value.computed_at < max_age:
        return value
    lock, token = name + ":refreshing", uuid.uuid4().hex
    try:
        locked = cache.add(lock, token, timeout=LOCK_SECONDS)
    except CACHE_ERRORS as error:
        _cache_unavailable(error)
        return value if usable else compute()
    if locked:
        try:
            return refresh()
        finally:
            # Only our own lock: one that outlived its timeout may be another request's now.
            with contextlib.suppress(*CACHE_ERRORS):
                if cache.get(lock) == token:
                    cache.delete(lock)
    if usable:
        return value  # another request is adding it up right now
    waited = dt.timedelta()
    while waited < WAIT:
        time.sleep(POLL.total_seconds())
        waited += POLL
        try:
            _seen, value = cache.get(name) or (None, None)
        except CACHE_ERRORS as error:
            _cache_unavailable(error)
            break
        if value is not None and value.today == today:
            return value
    return compute()
