"""API tokens: made, used and revoked here, and nowhere else.

A token is 32 random bytes (URL-safe base64) behind a fixed `aq_` marker. Only its SHA-256
digest is stored: with that much entropy a fast hash is enough (nothing to brute-force),
and a lookup by digest needs no per-row salt. Making and revoking a token are audit events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import scope_for

from .models import ApiToken

MARKER = "aq_"
PREFIX_LENGTH = 10  # "aq_" and 7 characters: enough to tell a user's tokens apart
MAX_TOKENS = 20
# A token's use is written at most this often: a busy client must not write on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_role(actor) -> None:
    """Only a user with an official's role may hold a token: it can do nothing more than they
    can. An institution's own account has no API yet (机构端 is pages only)."""
    if not may_hold_tokens(scope_for(actor)):
        raise PermissionDenied


def may_hold_tokens(scope) -> bool:
    return not scope.is_empty and not scope.can("portal.use")


@transaction.atomic
def token_create(
    *, actor, name: str, expires_on: dt.date | None = None, request=None
) -> tuple[ApiToken, str]:
    """Make a token for the actor; returns it and the whole secret, which is never stored."""
    _require_role(actor)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("请填写令牌名称")]
    elif len(name) > 100:
        errors["name"] = [_("令牌名称不能超过 100 个字")]
    if expires_on is not None and expires_on <= timezone.localdate():
        errors["expires_on"] = [_("到期日期须晚于今天")]
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True)
    if live.count() >= MAX_TOKENS:
        errors["name"] = [_("有效令牌已达 %(n)s 个，请先吊销不用的令牌") % {"n": MAX_TOKENS}]
    if errors:
        raise ValidationError(errors)
    raw = MARKER + secrets.token_urlsafe(32)
    expires_at = None
    if expires_on is not None:
        # Valid through the whole of its last day, in the project's time zone.
        expires_at = timezone.make_aware(
            dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min)
        )
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=raw[:PREFIX_LENGTH], digest=digest(raw),
        expires_at=expires_at,
    )  # fmt: skip
    audit_log(
        kind=AuditEvent.Kind.API_TOKEN, actor=actor, request=request, obj=token,
        reason=_("创建 API 令牌"),
        detail={"name": name, "prefix": token.prefix,
                "expires_on": expires_on.isoformat() if expires_on else None},
    )  # fmt: skip
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor, request=None) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking twice changes nothing."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    row = ApiToken.objects.select_for_update().get(pk=token.pk)
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_log(
            kind=AuditEvent.Kind.API_TOKEN, actor=actor, request=request, obj=row,
            reason=_("吊销 API 令牌"), detail={"name": row.name, "prefix": row.prefix},
        )  # fmt: skip
    token.refresh_from_db()
    return token


@transaction.atomic
def tokens_withdraw(*, user, actor) -> int:
    """Revoke every live token of an account whose password an admin reset or that was
    switched off (accounts.signals.credentials_withdrawn); returns how many."""
    live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    now = timezone.now()
    for row in live:
        row.revoked_at = now
        row.save(update_fields=["revoked_at"])
        audit_log(
            kind=AuditEvent.Kind.API_TOKEN, actor=actor, obj=row, reason=_("吊销 API 令牌"),
            detail={"name": row.name, "prefix": row.prefix, "withdrawn_with_account": True},
        )  # fmt: skip
    return len(live)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token with this secret (its user loaded), or None; notes when it was used."""
    if not raw.startswith(MARKER) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # A conditional UPDATE: two calls at once write once, and no save() races a revoke.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
