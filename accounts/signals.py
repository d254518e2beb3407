"""Login, logout, failure and lock-out become audit events."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_log
from .models import AuditEvent


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    audit_log(kind=AuditEvent.Kind.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_log(kind=AuditEvent.Kind.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    # The password is never recorded; only the name that was tried.
    audit_log(
        kind=AuditEvent.Kind.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        request=request,
    )


@receiver(user_locked_out)
def _on_locked_out(sender, request, username, ip_address, **kwargs):
    audit_log(
        kind=AuditEvent.Kind.LOCKED_OUT,
        username=username or "",
        request=request,
        detail={"cooloff_minutes": 30},
    )
