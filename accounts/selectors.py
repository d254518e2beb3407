"""Reads for accounts: the audit log and what a user's home page shows."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent, RoleGrant
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


def primary_grant(*, user) -> RoleGrant | None:
    grants = list(user.grants.select_related("region"))
    grants.sort(key=lambda g: _HOME_ORDER.index(g.role))
    return grants[0] if grants else None
