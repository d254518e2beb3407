"""Reads for accounts: the audit log and what a user's home page shows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from .delegation import managed_users
from .models import AuditEvent, RoleGrant, User
from .roles import Role
from .scope import Scope

# When a user holds several grants, the home page follows the most senior one.
_HOME_ORDER = [
    Role.ADMIN,
    Role.PROVINCE_STAFF,
    Role.CITY_STAFF,
    Role.COUNTY_OFFICER,
    Role.VETTING_OFFICER,
    Role.DEPARTMENT_USER,
    Role.AUDITOR,
]


def audit_event_list(*, scope: Scope, kind: str = "", username: str = "") -> QuerySet:
    scope.require("audit.view")
    qs = AuditEvent.objects.select_related("actor")
    if kind:
        qs = qs.filter(kind=kind)
    if username:
        qs = qs.filter(username=username)
    return qs


def grants_changed_since(*, user, when) -> bool:
    """True when any of the user's grants was added, changed or removed at or after `when`
    (the admin site's edits and deletions leave history rows): a file built for the grants
    held then may hold more than they may see now."""
    return RoleGrant.history.filter(user_id=user.pk, history_date__gte=when).exists()


def users_holding(
    *, roles: Iterable[str], region_code: str | None = None, within: str | None = None
) -> QuerySet:
    """Active users with a grant of one of `roles` (exactly on `region_code`, or anywhere
    under the code prefix `within`, or anywhere), each once; for the caller to order."""
    grants = RoleGrant.objects.filter(role__in=list(roles), user__is_active=True)
    if region_code is not None:
        grants = grants.filter(region_id=region_code)
    if within is not None:
        grants = grants.filter(region__code__startswith=within)
    return User.objects.filter(pk__in=grants.values("user_id"))


def primary_grant(*, user) -> RoleGrant | None:
    grants = list(user.grants.select_related("region"))
    grants.sort(key=lambda g: _HOME_ORDER.index(g.role))
    return grants[0] if grants else None


def account_list(*, scope: Scope) -> QuerySet[User]:
    """The accounts an admin manages (accounts/delegation.py), each with its grants as
    `grant_list` (region loaded), for the 账号管理 pages."""
    grants = RoleGrant.objects.select_related("region").order_by("pk")
    return (
        managed_users(scope)
        .select_related("region")
        .prefetch_related(Prefetch("grants", queryset=grants, to_attr="grant_list"))
        .order_by("region_id", "username")
    )
