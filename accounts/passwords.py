"""A user changing their own password (first sign-in, after an admin's reset, or at will)."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_log
from .models import AuditEvent, User


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, request=None) -> None:
    """Check the current password and the policy, set the new one, clear
    `must_change_password` and audit. With a request the session stays signed in (every
    other session of the user ends: the password hash changed)."""
    if not user.check_password(old_password or ""):
        raise ValidationError({"old_password": [_("原密码不正确，请重新输入。")]})
    if new_password == old_password:
        raise ValidationError({"new_password": [_("新密码不能与原密码相同。")]})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    forced = user.must_change_password
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_log(
        kind=AuditEvent.Kind.PASSWORD_CHANGED,
        actor=user,
        obj=user,
        request=request,
        detail={"forced": forced},
    )
    if request is not None:
        update_session_auth_hash(request, user)
