"""Institutions' own accounts (机构账号): opened, reset and switched off by their county.

The notice (§三(二)) has the county education bureau make every institution self-inspect
and then screen it; the institution does its part on the system through an account the
county opens for it. The county officer (or an admin) who holds
`institution_accounts.manage` for education over the institution's county opens it: the
user is named after the institution's 统一社会信用代码 (what the institution knows itself
by), gets a one-time password shown once to the officer, must change it at the first
sign-in, and holds the `institution` role on the county (so the county's and the city's
admins see it in 账号管理 too). Each write is audited through the accounts services.
"""

from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent, User
from accounts.roles import Department, Role
from accounts.scope import Scope
from accounts.services import (
    active_set,
    institution_user_create,
    institution_user_move,
    password_issue,
)

from .models import Institution, InstitutionAccount

MANAGE = "institution_accounts.manage"
# A county holds on to a handful of accounts per institution (the head, the safety officer);
# more is a mistake, not a need.
ACCOUNTS_PER_INSTITUTION = 5


def may_manage(scope: Scope, institution: Institution) -> bool:
    """True when the user opens and manages this institution's accounts: an education grant
    with `institution_accounts.manage` over its county (the county officer, an admin)."""
    return scope.covers_region(MANAGE, institution.county_id, departments={Department.EDUCATION})


def _reach(scope: Scope, county_path: str):
    # The rule of `may_manage` as a filter.
    return scope.q(MANAGE, region=county_path, departments={Department.EDUCATION})


def manageable_institutions(*, scope: Scope) -> QuerySet[Institution]:
    """The institutions whose accounts the user manages (`may_manage`)."""
    return Institution.objects.filter(_reach(scope, "county__code"))


def manageable_accounts(*, scope: Scope) -> QuerySet[InstitutionAccount]:
    """The institution accounts the user manages (`may_manage` of their institution)."""
    return InstitutionAccount.objects.filter(_reach(scope, "institution__county__code"))


def _require(scope: Scope, institution: Institution) -> None:
    scope.require(MANAGE)
    if not may_manage(scope, institution):
        raise ValidationError(_("“%(name)s”不在您管理的地区内") % {"name": institution.name})


def _username_for(institution: Institution) -> str:
    base = institution.credit_code or f"jg{institution.pk}"
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    if base.lower() not in taken:
        return base
    free = (f"{base}-{n}" for n in range(2, 1000) if f"{base}-{n}".lower() not in taken)
    name = next(free, None)
    if name is None:
        raise ValidationError(_("该机构的账号名已用尽，请联系系统管理员"))
    return name


def _check_username(username: str) -> None:
    if len(username) > 150:
        raise ValidationError({"username": [_("用户名最多 150 个字符")]})
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("用户名“%(name)s”已存在") % {"name": username}]})


def _require_below_limit(institution: Institution) -> None:
    if institution.accounts.filter(user__is_active=True).count() >= ACCOUNTS_PER_INSTITUTION:
        raise ValidationError(
            _("每个机构最多开通 %(limit)d 个账号，请先停用不再使用的账号")
            % {"limit": ACCOUNTS_PER_INSTITUTION}
        )


@transaction.atomic
def institution_account_open(
    *,
    institution: Institution,
    actor: User,
    scope: Scope,
    full_name: str = "",
    username: str = "",
    password: str = "",
) -> tuple[InstitutionAccount, str]:
    """Open an account for the institution; returns it and its one-time password.

    `username` and `password` are the demo's (ops/demo/), whose logins the README prints: a
    county's page leaves both to the service."""
    _require(scope, institution)
    if username:
        _check_username(username)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    _require_below_limit(institution)
    user, password = institution_user_create(
        username=username or _username_for(institution),
        full_name=(full_name or institution.name)[:64],
        phone=institution.phone[:32],
        county_code=institution.county_id,
        actor=actor,
        password=password,
    )
    account = InstitutionAccount.objects.create(
        user=user, institution=institution, created_by=actor
    )
    audit_log(
        kind=AuditEvent.Kind.USER_CREATED,
        actor=actor,
        obj=user,
        detail={"role": Role.INSTITUTION, "region": institution.county_id,
                "institution": institution.pk},
    )  # fmt: skip
    return account, password


def institution_account_reset(*, account: InstitutionAccount, actor: User, scope: Scope) -> str:
    """A new one-time password for the institution's account, to be shown once."""
    _require(scope, account.institution)
    return password_issue(user=account.user, actor=actor)


def institution_account_set_active(
    *, account: InstitutionAccount, actor: User, scope: Scope, active: bool
) -> User:
    """Switch the institution's account off (it can no longer sign in) or on again, within
    the limit of active accounts per institution."""
    _require(scope, account.institution)
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=account.institution_id)
        account.user.refresh_from_db(fields=["is_active"])
        if active and not account.user.is_active:
            _require_below_limit(institution)
        return active_set(user=account.user, actor=actor, active=active)


def accounts_follow(*, institution_ids: set[int], actor: User | None) -> None:
    """Institutions moved county (a change on the register or an import): their accounts move
    with them (`accounts.services.institution_user_move`)."""
    moved = InstitutionAccount.objects.filter(institution_id__in=institution_ids).select_related(
        "institution", "user"
    )
    for account in moved:
        institution_user_move(
            user=account.user, county_code=account.institution.county_id, actor=actor
        )
