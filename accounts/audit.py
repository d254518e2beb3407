"""Writing security events. Every write to the audit log goes through `audit_log`."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.text import storable

from .models import AuditEvent


def _networks(entries: tuple[str, ...]) -> list:
    try:
        return [ipaddress.ip_network(e, strict=False) for e in entries]
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


_parsed: dict[tuple[str, ...], list] = {}


def trusted_networks() -> list:
    """settings.TRUSTED_PROXIES as networks; ImproperlyConfigured for a bad entry."""
    entries = tuple(getattr(settings, "TRUSTED_PROXIES", None) or ())
    if entries not in _parsed:
        _parsed[entries] = _networks(entries)
    return _parsed[entries]


def _parse_ip(text: str):
    """An address from a header entry ('1.2.3.4', '1.2.3.4:80', '[::1]:80'), or None."""
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address. REMOTE_ADDR, unless it is one of settings.TRUSTED_PROXIES: then
    the right-most X-Forwarded-For address that is not itself a trusted proxy (everything
    left of it was written by the client and proves nothing). A header from any other peer
    is ignored: anyone can send one."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    peer = _parse_ip(remote) if remote else None
    if peer is None or not networks or not _is_trusted(peer, networks):
        return str(peer) if peer is not None else remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if not hop.strip():
            continue
        address = _parse_ip(hop)
        if address is None:
            break  # garbled: do not guess past it
        if not _is_trusted(address, networks):
            return str(address)
    return str(peer)


def object_label(obj) -> str:
    """The audit log's name for a model: its label, or the one it had when earlier events were
    written (`audit_label` on a model that moved app), so one kind of object keeps one name."""
    return getattr(type(obj), "audit_label", obj._meta.label)


def audit_log(
    *,
    kind: str,
    actor=None,
    username: str = "",
    request=None,
    obj=None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    if actor is not None and getattr(actor, "is_authenticated", False):
        username = username or actor.get_username()
    else:
        actor = None
    # What a request carried is recorded as sent, except what PostgreSQL cannot store (a
    # NUL, a lone surrogate): the event must be written whatever the input was.
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        username=storable(username[:150]),
        ip_address=client_ip(request),
        object_type=object_label(obj) if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=storable(reason),
        detail=storable(detail or {}),
    )
