"""Per-IP limits for the public pages, on Django's cache (Redis in production, local memory in
the demo). A fixed window: simple, and good enough to stop a script hammering the form."""

from __future__ import annotations

import time

from django.core.cache import cache

from accounts.audit import client_ip

# name → (requests allowed, window in seconds)
LIMITS: dict[str, tuple[int, int]] = {
    "submit": (5, 3600),
    "lookup": (20, 600),
}
KEY_PREFIX = "complaints:ratelimit"


def _key(name: str, ip: str, window: int) -> str:
    return f"{KEY_PREFIX}:{name}:{ip}:{int(time.time() // window)}"


def hit(request, name: str) -> bool:
    """Count one request; False once the IP has used up this window's allowance."""
    limit, window = LIMITS[name]
    key = _key(name, client_ip(request) or "unknown", window)
    if cache.add(key, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return True
    return count <= limit


def reset(ip: str) -> None:
    """Forget an IP's counts (tests; an administrator unblocking a school's shared address)."""
    for name, (_limit, window) in LIMITS.items():
        cache.delete(_key(name, ip, window))
