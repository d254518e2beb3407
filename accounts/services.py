"""Writes for accounts. Keyword-only, atomic, and they take the acting user."""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Region

from .audit import audit_log
from .delegation import grant_problems
from .models import AuditEvent, RoleGrant, User
from .roles import Department
from .scope import Scope


def generate_password(length: int = 14) -> str:
    """A random password that meets the policy (all four character classes)."""
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#%^*-_=+"]
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    region_code: str,
    department: str = Department.EDUCATION,
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
    email: str = "",
    actor: User | None = None,
    must_change_password: bool = True,
) -> tuple[User, str]:
    """Create a user with one role grant. Returns the user and the password it was given.

    With an `actor` (an admin on a page or an import) the grant must be one they may give
    (accounts/delegation.py); without one it is the server's shell or the demo. The password
    was chosen by someone else, so by default it must be changed at the first sign-in.
    """
    scope = Scope.held_by(actor) if actor is not None else None
    errors = grant_problems(
        scope,
        role=role,
        region=Region.objects.filter(code=region_code).first(),
        region_code=region_code,
        department=department,
    )
    if User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(_("用户名“%(name)s”已存在") % {"name": username})
    if errors:
        raise ValidationError(errors)

    password = password or generate_password()
    user = User(
        username=username,
        full_name=full_name,
        phone=phone,
        email=email,
        region_id=region_code,
        must_change_password=must_change_password,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleGrant.objects.create(user=user, role=role, region_id=region_code, department=department)
    audit_log(
        kind=AuditEvent.Kind.USER_CREATED,
        actor=actor,
        obj=user,
        detail={"role": role, "region": region_code, "department": department},
    )
    return user, password


@transaction.atomic
def grant_add(
    *, user: User, role: str, region_code: str, department: str = Department.EDUCATION
) -> None:
    """Give a user one more role on a region node, e.g. for bench, load and scale tooling.
    Leaves its history row like every grant change (accounts.selectors.grants_changed_since)."""
    RoleGrant.objects.create(user=user, role=role, region_id=region_code, department=department)
