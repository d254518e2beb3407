"""Who manages which accounts, and which grants they may give (账号管理的分级授权).

An admin holds the `accounts.manage` permission on a province or a city. They manage the
accounts that belong to a region inside theirs (`User.region`) and hold grants only inside
it (an admin's or auditor's grant only under a province's admin), and give or take away grants
only on regions inside theirs: a city's admin manages its city and counties and can grant
nothing on the province. The admin and auditor roles are given by a province's admin alone,
since they open the whole log and every account of a region.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from core.models import Region

from .models import RoleGrant, User
from .roles import LEVEL_BY_ROLE, Department, Role
from .scope import Scope

# The levels an admin grant sits on: the province's admin and each city's.
ADMIN_LEVELS = ("province", "city")
# Roles only a province's admin may give.
PROVINCE_ONLY_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


def managed_users(scope: Scope) -> QuerySet[User]:
    """The accounts this admin manages: those belonging to a region inside theirs whose every
    grant lies inside theirs too, and which hold no admin or auditor grant unless the admin's
    province-level grant covers it. A city's admin can so never reset, switch off or edit an
    account that reaches beyond the city (and sign in as it), nor a peer admin."""
    scope.require("accounts.manage")
    reach = scope.q("accounts.manage", region="region__code")
    province_prefixes = {
        code[:2] for code in scope.region_codes("accounts.manage") if code.endswith("0000")
    }
    province_reach = (
        reduce(or_, [Q(region__code__startswith=p) for p in sorted(province_prefixes)])
        if province_prefixes
        else Q(pk__in=[])
    )
    grants = RoleGrant.objects.filter(user=OuterRef("pk"))
    beyond = grants.exclude(reach)
    privileged = grants.filter(role__in=PROVINCE_ONLY_ROLES).exclude(province_reach)
    return User.objects.filter(reach).exclude(Exists(beyond)).exclude(Exists(privileged))


def is_province_admin(scope: Scope, region_code: str) -> bool:
    """True when the user manages accounts from a province-level grant covering the region."""
    return "province" in scope.levels_covering("accounts.manage", region_code)


def levels_for_role(role: str) -> tuple[str, ...]:
    """The levels of the region tree a role may be granted on."""
    if role == Role.ADMIN:
        return ADMIN_LEVELS
    if role in LEVEL_BY_ROLE:
        return (LEVEL_BY_ROLE[role],)
    return ("county", "city", "province")


def grant_problems(scope: Scope | None, *, role: str, region: Region | None, region_code: str,
                   department: str) -> dict[str, list[str]]:  # fmt: skip
    """Why this grant may not be given (or taken away) by this admin, by field; empty when
    it may. `scope` None is the server's shell (create_user, the demo): no delegation rule."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if role not in Role.values:
        add("role", _("未知角色“%(role)s”") % {"role": role})
    if department not in Department.values:
        add("department", _("未知部门“%(dept)s”") % {"dept": department})
    if region is None:
        add("region", _("行政区划代码“%(code)s”不存在") % {"code": region_code})
    if role == Role.INSTITUTION:
        # An institution's account acts for one institution, which only the register's page
        # names (institutions/accounts.py): a bare grant would be an account of no institution.
        add("role", _("培训机构的账号请在该机构的页面上开通（培训机构 → 机构详情 → 机构账号）"))
    if role == Role.DEPARTMENT_USER and department == Department.EDUCATION:
        # Education leads the campaign through its own roles; a department user of education
        # would close every department's rectification problems (Scope.covers_task).
        add("department", _("部门用户须选择教育以外的部门（消防、公安、体育、文旅、科技）"))
    if errors:
        return errors
    levels = levels_for_role(role)
    if region.level not in levels:
        add(
            "region",
            _("“%(role)s”只能授予在%(levels)s级地区上，“%(name)s”是%(actual)s级")
            % {
                "role": Role(role).label,
                "levels": "、".join(str(Region.Level(level).label) for level in levels),
                "name": region.name,
                "actual": region.get_level_display(),
            },
        )
    if scope is None:
        return errors
    if not scope.covers_region("accounts.manage", region.code):
        add(
            "region",
            _("“%(name)s”不在您管理的地区内：只能在本级及下级地区授权") % {"name": region.name},
        )
    elif role in PROVINCE_ONLY_ROLES and not is_province_admin(scope, region.code):
        add("role", _("“%(role)s”角色只能由省级系统管理员授予") % {"role": Role(role).label})
    return errors


def check_grant(scope: Scope | None, *, role: str, region_code: str, department: str) -> Region:
    """The grant's region when this admin may give or take away the grant; else a
    ValidationError naming the reason in Chinese."""
    region = Region.objects.filter(code=region_code).first()
    errors = grant_problems(
        scope, role=role, region=region, region_code=region_code, department=department
    )
    if errors:
        raise ValidationError(errors)
    return region
