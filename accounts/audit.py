"""Writing security events. Every write to the audit log goes through `audit_log`."""

from __future__ import annotations

from .models import AuditEvent


def client_ip(request) -> str | None:
    # Behind the load balancer REMOTE_ADDR is the balancer; the deployment sets
    # the real address there (gunicorn --forwarded-allow-ips), so trust only this.
    return request.META.get("REMOTE_ADDR") if request is not None else None


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
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        username=username[:150],
        ip_address=client_ip(request),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=reason,
        detail=detail or {},
    )
