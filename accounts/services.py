"""Writes for accounts. Keyword-only, atomic, and they take the acting user."""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Region
from core.text import ControlCharacterValidator

from .audit import audit_log
from .delegation import (
    PROVINCE_ONLY_ROLES,
    check_grant,
    grant_problems,
    is_province_admin,
    managed_users,
)
from .models import AuditEvent, RoleGrant, User
from .roles import Department, Role
from .scope import Scope
from .signals import credentials_withdrawn


def generate_password(length: int = 14) -> str:
    """A random password that meets the policy (all four character classes)."""
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#%^*-_=+"]
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    # Never a formula's first character: initial passwords go out on spreadsheets, where a
    # leading = + - @ is escaped (tabular.export) and the password would be misread.
    first = next(i for i, c in enumerate(chars) if c not in "=+-@")
    chars[0], chars[first] = chars[first], chars[0]
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
def institution_user_create(
    *,
    username: str,
    full_name: str,
    phone: str,
    county_code: str,
    actor: User,
    password: str = "",
) -> tuple[User, str]:
    """An institution's own account: the `institution` role on its county, a one-time password
    to change at the first sign-in (unless the demo chose one), messages in the bell only. The
    caller links it to its institution and has checked that the actor may (institutions/
    accounts.py: the county)."""
    chosen = bool(password)
    password = password or generate_password()
    user = User(
        username=username,
        full_name=full_name,
        phone=phone,
        region_id=county_code,
        must_change_password=not chosen,
        notify_by_email=False,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleGrant.objects.create(
        user=user, role=Role.INSTITUTION, region_id=county_code, department=Department.EDUCATION
    )
    return user, password


@transaction.atomic
def institution_user_move(*, user: User, county_code: str, actor: User | None) -> None:
    """An institution moved county: its account's grant and 所属地区 follow it, so the new
    county's and city's admins manage it and the old ones no longer do. Audited."""
    grant = RoleGrant.objects.select_for_update().filter(user=user, role=Role.INSTITUTION).first()
    if grant is None or grant.region_id == county_code:
        return
    before = grant.region_id
    grant.region_id = county_code
    grant.save(update_fields=["region"])
    user.region_id = county_code
    user.save(update_fields=["region"])
    audit_log(
        kind=AuditEvent.Kind.GRANT_CHANGED,
        actor=actor,
        obj=user,
        detail={"moved": {"role": Role.INSTITUTION, "from": before, "to": county_code}},
    )


def _require_managed(scope: Scope, user: User) -> None:
    """Refuse an account outside the admin's regions (the pages answer 404 before this)."""
    if not managed_users(scope).filter(pk=user.pk).exists():
        raise ValidationError(_("账号“%(name)s”不在您管理的地区内") % {"name": user.username})


def _refuse_self(user: User, actor: User | None, message: str) -> None:
    """An admin does not act on their own account: their grants are given by the admin above
    them, and their own password is changed on 我的账号 with the old one."""
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(message)


def _check_text(errors: dict[str, list[str]], field: str, value: str, max_length: int) -> None:
    try:
        ControlCharacterValidator()(value)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
    if len(value) > max_length:
        errors.setdefault(field, []).append(
            _("最多 %(limit)d 个字符（现有 %(count)d 个）")
            % {"limit": max_length, "count": len(value)}
        )


@transaction.atomic
def user_update(
    *, user: User, actor: User, full_name: str, phone: str, email: str, region_code: str
) -> User:
    """Change an account's 姓名、手机号、邮箱 and 所属地区 (never its username). The new region
    must lie inside the actor's, so an admin cannot hand an account to a region they do not
    manage. Audited with the fields that changed; nothing is written when none did."""
    scope = Scope.held_by(actor)
    _require_managed(scope, user)
    errors: dict[str, list[str]] = {}
    for field, value in (("full_name", full_name), ("phone", phone), ("email", email)):
        _check_text(errors, field, value, User._meta.get_field(field).max_length)
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        errors.setdefault("region", []).append(
            _("行政区划代码“%(code)s”不存在") % {"code": region_code}
        )
    elif not scope.covers_region("accounts.manage", region.code):
        errors.setdefault("region", []).append(
            _("“%(name)s”不在您管理的地区内：只能在本级及下级地区授权") % {"name": region.name}
        )
    if errors:
        raise ValidationError(errors)

    user = User.objects.select_for_update().get(pk=user.pk)
    new = {"full_name": full_name, "phone": phone, "email": email, "region_id": region.code}
    changed = {field: value for field, value in new.items() if getattr(user, field) != value}
    if not changed:
        return user
    # Names and regions are shown as they were and became; contact details only as changed
    # (their values are in the history, not repeated in the log).
    detail = {
        field: [getattr(user, field), value] if field in ("full_name", "region_id") else True
        for field, value in changed.items()
    }
    for field, value in changed.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password", "username"], validate_unique=False)
    user.save(update_fields=list(changed))
    audit_log(kind=AuditEvent.Kind.USER_CHANGED, actor=actor, obj=user, detail={"changed": detail})
    return user


@transaction.atomic
def user_set_active(*, user: User, actor: User, active: bool) -> User:
    """Switch an account off (it can no longer sign in; its sessions end) or on again.
    An admin cannot switch themselves off (nor on)."""
    _refuse_self(user, actor, _("不能停用自己的账号") if not active else _("不能启用自己的账号"))
    scope = Scope.held_by(actor)
    _require_managed(scope, user)
    if active and RoleGrant.objects.filter(user=user, role=Role.INSTITUTION).exists():
        # Switched on where the per-institution limit is kept (institutions/accounts.py).
        raise ValidationError(
            _("培训机构账号请在该机构的页面上启用（培训机构 → 机构详情 → 机构账号）")
        )
    return active_set(user=user, actor=actor, active=active)


@transaction.atomic
def active_set(*, user: User, actor: User, active: bool) -> User:
    """Switch an account off or on, audited; the caller has checked that the actor may (an
    admin: `user_set_active`; a county for its institutions' accounts: institutions/accounts.py)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        credentials_withdrawn.send(sender=User, user=user, actor=actor)
    audit_log(
        kind=AuditEvent.Kind.USER_CHANGED,
        actor=actor,
        obj=user,
        detail={"changed": {"is_active": [not active, active]}},
    )
    return user


@transaction.atomic
def password_reset(*, user: User, actor: User) -> str:
    """Give an account a new one-time password and return it, to be shown once: it is stored
    only hashed, never logged, and must be changed at the next sign-in. Every session of the
    account ends (its password hash changed). Never the actor's own: that is changed with the
    old password on 我的账号 → 修改密码 (`password_change`)."""
    _refuse_self(
        user, actor, _("不能在这里重置自己的密码：请在“我的账号”→“修改密码”页面用原密码修改")
    )
    scope = Scope.held_by(actor)
    _require_managed(scope, user)
    return password_issue(user=user, actor=actor)


@transaction.atomic
def password_issue(*, user: User, actor: User) -> str:
    """A new one-time password for the account, returned to be shown once, audited, tokens
    withdrawn; the caller has checked that the actor may (an admin: `password_reset`; a county
    for its institutions' accounts: institutions/accounts.py)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    password = generate_password()
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_log(kind=AuditEvent.Kind.PASSWORD_RESET, actor=actor, obj=user)
    # A reset is what follows a password that may have leaked: tokens made with it go too.
    credentials_withdrawn.send(sender=User, user=user, actor=actor)
    return password


def _grant_detail(role: str, region_code: str, department: str) -> dict[str, str]:
    return {"role": role, "region": region_code, "department": department}


@transaction.atomic
def grant_add(
    *,
    user: User,
    role: str,
    region_code: str,
    department: str = Department.EDUCATION,
    actor: User | None = None,
) -> RoleGrant:
    """Give a user one more role on a region node. With an `actor` (an admin on a page) the
    account must be theirs and the grant one they may give (accounts/delegation.py); without
    one it is the server's tooling (bench, load and scale). Leaves its history row like every
    grant change (accounts.selectors.grants_changed_since) and an audit event."""
    if actor is not None:
        _refuse_self(user, actor, _("不能给自己添加授权：请由上级系统管理员办理"))
        scope = Scope.held_by(actor)
        _require_managed(scope, user)
        check_grant(scope, role=role, region_code=region_code, department=department)
    if RoleGrant.objects.filter(user=user, role=Role.INSTITUTION).exists():
        # An institution's own account acts for its institution alone, never as an official.
        raise ValidationError(_("培训机构的账号不能再添加其他授权"))
    if RoleGrant.objects.filter(
        user=user, role=role, region_id=region_code, department=department
    ).exists():
        raise ValidationError(_("该账号已有这一授权（同一地区、角色和部门）"))
    grant = RoleGrant.objects.create(
        user=user, role=role, region_id=region_code, department=department
    )
    if user.region_id is None:  # the account belongs where its first grant is
        user.region_id = region_code
        user.save(update_fields=["region"])
    audit_log(
        kind=AuditEvent.Kind.GRANT_CHANGED,
        actor=actor,
        obj=user,
        detail={"added": _grant_detail(role, region_code, department)},
    )
    return grant


@transaction.atomic
def grant_remove(*, grant: RoleGrant, actor: User) -> int:
    """Take a grant away: only one the actor could give (inside their regions; the admin and
    auditor roles by a province admin), never one of the actor's own grants. Returns how many
    grants the account still holds: none leaves an account that can open nothing."""
    user = grant.user
    _refuse_self(user, actor, _("不能移除自己的授权：请由上级系统管理员办理"))
    scope = Scope.held_by(actor)
    _require_managed(scope, user)
    if grant.role == Role.INSTITUTION:
        # Kept for good: without it the account could be given an official's role, and the
        # county that resets the institution's password would then hold an official's login.
        raise ValidationError(_("培训机构账号的授权不能移除；不再使用请停用该账号"))
    if not scope.covers_region("accounts.manage", grant.region_id):
        raise ValidationError(
            _("“%(name)s”不在您管理的地区内：只能在本级及下级地区授权")
            % {"name": grant.region.name}
        )
    if grant.role in PROVINCE_ONLY_ROLES and not is_province_admin(scope, grant.region_id):
        raise ValidationError(
            _("“%(role)s”角色只能由省级系统管理员授予") % {"role": Role(grant.role).label}
        )
    detail = _grant_detail(grant.role, grant.region_id, grant.department)
    grant.delete()
    audit_log(kind=AuditEvent.Kind.GRANT_CHANGED, actor=actor, obj=user, detail={"removed": detail})
    return RoleGrant.objects.filter(user=user).count()
