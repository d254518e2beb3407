"""A user's own settings on 我的账号: their e-mail address and how they are notified."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core.text import control_character_message

from .audit import audit_log
from .models import AuditEvent, User

EMAIL_MAX_LENGTH = 254  # RFC 5321's limit, and the column's


def _email_problem(email: str) -> str | None:
    if len(email) > EMAIL_MAX_LENGTH:
        return _("邮件地址最多 %(n)d 个字符。") % {"n": EMAIL_MAX_LENGTH}
    if message := control_character_message(email):
        return message
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return _("请输入有效的邮件地址，例如 name@example.cn。")
    return None


@transaction.atomic
def profile_update(*, user: User, email: str, notify_by_email: bool, request=None) -> bool:
    """Set the user's own e-mail address and notification choice; audit what changed.
    Returns whether anything changed. E-mail as well needs an address to send to."""
    email = (email or "").strip()
    if problem := _email_problem(email):
        raise ValidationError({"email": [problem]})
    if notify_by_email and not email:
        raise ValidationError({"email": [_("选择同时发送邮件时，请填写邮件地址。")]})
    changed = [
        name
        for name, value in (("email", email), ("notify_by_email", notify_by_email))
        if getattr(user, name) != value
    ]
    if not changed:
        return False
    user.email = email
    user.notify_by_email = notify_by_email
    user.save(update_fields=changed)
    # The address itself is personal data: the log says that it changed, not to what.
    audit_log(
        kind=AuditEvent.Kind.USER_CHANGED,
        actor=user,
        obj=user,
        request=request,
        detail={"fields": changed, "notify_by_email": notify_by_email},
    )
    return True
