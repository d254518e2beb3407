"""Login, logout, failure and lock-out become audit events; and the signal an account's
other credentials listen to."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import Signal, receiver

from .audit import audit_log
from .models import AuditEvent

# Sent (user=, actor=) inside the transaction when an admin resets an account's password or
# switches it off: whatever else signs in as that account must stop too. The API's tokens
# live above accounts, so the api app listens (ApiConfig.ready) rather than being called.
credentials_withdrawn = Signal()


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
