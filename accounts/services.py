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
from .models import AuditEvent, RoleGrant, User
from .roles import LEVEL_BY_ROLE, Department, Role


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
    actor: User | None = None,
) -> tuple[User, str]:
    """Create a user with one role grant. Returns the user and the password it was given."""
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors.setdefault("role", []).append(
            _("未知角色“%(role)s”，可选：%(choices)s")
            % {"role": role, "choices": " ".join(Role.values)}
        )
    if department not in Department.values:
        errors.setdefault("department", []).append(
            _("未知部门“%(dept)s”，可选：%(choices)s")
            % {"dept": department, "choices": " ".join(Department.values)}
        )
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        errors.setdefault("region", []).append(
            _("行政区划代码“%(code)s”不存在（请先运行 load_regions）") % {"code": region_code}
        )
    elif role in LEVEL_BY_ROLE and region.level != LEVEL_BY_ROLE[role]:
        errors.setdefault("region", []).append(
            _("角色“%(role)s”应授予在%(level)s级地区上，“%(name)s”是%(actual)s级")
            % {
                "role": Role(role).label,
                "level": Region.Level(LEVEL_BY_ROLE[role]).label,
                "name": region.name,
                "actual": region.get_level_display(),
            }
        )
    if User.objects.filter(username=username).exists():
        errors.setdefault("username", []).append(_("用户名“%(name)s”已存在") % {"name": username})
    if errors:
        raise ValidationError(errors)

    password = password or generate_password()
    user = User(username=username, full_name=full_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleGrant.objects.create(user=user, role=role, region=region, department=department)
    audit_log(
        kind=AuditEvent.Kind.USER_CREATED,
        actor=actor,
        obj=user,
        detail={"role": role, "region": region.code, "department": department},
    )
    return user, password


@transaction.atomic
def grant_add(
    *, user: User, role: str, region_code: str, department: str = Department.EDUCATION
) -> None:
    """Give a user one more role on a region node, e.g. for bench, load and scale tooling.
    Leaves its history row like every grant change (accounts.selectors.grants_changed_since)."""
    RoleGrant.objects.create(user=user, role=role, region_id=region_code, department=department)
