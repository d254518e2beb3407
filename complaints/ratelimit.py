"""Per-IP limits for the public pages, on Django's cache (Redis in production, local memory in
the demo). A fixed window: simple, and good enough to stop a script hammering the form.

The address is the client's as accounts.audit.client_ip finds it behind the TLS proxy
(settings.TRUSTED_PROXIES); an IPv6 client is counted by its /64, since one subscriber
usually holds a whole /64 and could otherwise take a fresh address for every request."""

from __future__ import annotations

import ipaddress
import logging
import time

from django.core.cache import cache

from accounts.audit import client_ip
from accounts.outbox import BROKER_ERRORS

logger = logging.getLogger(__name__)

# name → (requests allowed, window in seconds)
LIMITS: dict[str, tuple[int, int]] = {
    "submit": (5, 3600),
    "lookup": (20, 600),
}
KEY_PREFIX = "complaints:ratelimit"


def client_group(ip: str | None) -> str:
    """What is counted: an IPv4 address, or the /64 network of an IPv6 address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ip or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(name: str, ip: str | None, window: int) -> str:
    return f"{KEY_PREFIX}:{name}:{client_group(ip)}:{int(time.time() // window)}"


def hit(request, name: str) -> bool:
    """Count one request; False once the IP has used up this window's allowance."""
    limit, window = LIMITS[name]
    key = _key(name, client_ip(request), window)
    try:
        if cache.add(key, 1, timeout=window + 1):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            return True
    except BROKER_ERRORS:
        # Redis down: a citizen's complaint matters more than the limit; the captcha stays.
        logger.warning("rate limit unavailable (cache down): %s let through", name)
        return True
    return count <= limit


def reset(ip: str) -> None:
    """Forget an IP's counts (tests; an administrator unblocking a school's shared address)."""
    for name, (_limit, window) in LIMITS.items():
        cache.delete(_key(name, ip, window))
