"""The one place that decides what a user may see and change.

A user holds grants: a role on a node of the region tree, for a department. From them
the Scope answers three questions, and nothing else in the project answers them:

- may this user do X at all?                      `scope.can("fees.view")`
- which rows may they do X to?                    `scope.filter(queryset, "fees.view", ...)`
- which checklist sections are theirs?            `scope.sections("inspections.view")`

Pages, API views, exports and background jobs all ask here. Selectors filter their
querysets through `Scope.filter`; views fetch single objects with `get_in_scope_or_404`,
so an object outside the scope looks exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .roles import (
    EXTRA_PERMISSIONS_BY_DEPARTMENT,
    PERMISSIONS,
    PERMISSIONS_BY_ROLE,
    SECTIONS_BY_DEPARTMENT,
    SECTOR_BY_DEPARTMENT,
)

_PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6}


@dataclass(frozen=True)
class Grant:
    role: str
    region_code: str
    region_level: str
    department: str

    @property
    def prefix(self) -> str:
        return self.region_code[: _PREFIX_LENGTH[self.region_level]]

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS_BY_ROLE[self.role] | EXTRA_PERMISSIONS_BY_DEPARTMENT.get(
            self.department, frozenset()
        )

    @property
    def sections(self) -> frozenset[str]:
        return SECTIONS_BY_DEPARTMENT[self.department]

    @property
    def sector(self) -> str | None:
        return SECTOR_BY_DEPARTMENT.get(self.department)


def _check_known(permission: str) -> None:
    if permission not in PERMISSIONS:
        raise ValueError(f"Unknown permission string {permission!r}; add it to accounts.roles")


class Scope:
    """What one user may do, resolved once per request from their grants."""

    def __init__(self, grants: list[Grant]):
        self.grants = grants

    @classmethod
    def for_user(cls, user) -> Scope:
        if user is None or not user.is_authenticated or not user.is_active:
            return cls([])
        rows = user.grants.select_related("region")
        return cls([Grant(g.role, g.region.code, g.region.level, g.department) for g in rows])

    # -- may they at all? ---------------------------------------------------------------

    def grants_for(self, permission: str) -> list[Grant]:
        _check_known(permission)
        return [g for g in self.grants if permission in g.permissions]

    def can(self, permission: str) -> bool:
        return bool(self.grants_for(permission))

    def require(self, permission: str) -> None:
        """403 when the role lacks the permission anywhere."""
        if not self.can(permission):
            raise PermissionDenied

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    # -- which rows? --------------------------------------------------------------------

    def q(self, permission: str, *, region: str, sector: str | None = None) -> Q:
        """A filter matching rows inside the user's regions for this permission.

        `region` is the path to a Region code column (e.g. "county" or
        "institution__county"); `sector` the path to an institution's sector, which
        sector departments (sports, culture & tourism, science) are limited to.
        """
        parts = []
        for grant in self.grants_for(permission):
            part = Q(**{f"{region}__startswith": grant.prefix})
            if sector is not None and grant.sector is not None:
                part &= Q(**{sector: grant.sector})
            parts.append(part)
        if not parts:
            # Matches nothing: Q(pk__in=[]) lets Django skip the query entirely.
            return Q(pk__in=[])
        return reduce(or_, parts)

    def filter(
        self, queryset: QuerySet, permission: str, *, region: str, sector: str | None = None
    ) -> QuerySet:
        return queryset.filter(self.q(permission, region=region, sector=sector))

    def institutions(self, queryset: QuerySet, permission: str, *, path: str = "") -> QuerySet:
        """Filter rows that belong to an institution (or are one) by its county and sector."""
        prefix = f"{path}__" if path else ""
        return self.filter(
            queryset, permission, region=f"{prefix}county__code", sector=f"{prefix}sector"
        )

    def regions(self, queryset: QuerySet, permission: str) -> QuerySet:
        """Regions inside the user's subtrees, plus the ancestors that lead to them."""
        grants = self.grants_for(permission)
        if not grants:
            return queryset.none()
        inside = reduce(or_, [Q(code__startswith=g.prefix) for g in grants])
        ancestors = {
            g.region_code[:n].ljust(6, "0") for g in grants for n in (2, 4) if n < len(g.prefix)
        }
        return queryset.filter(inside | Q(code__in=ancestors))

    def covers_region(self, permission: str, region_code: str) -> bool:
        """True when a region code lies inside one of the user's regions for this permission."""
        return any(region_code.startswith(g.prefix) for g in self.grants_for(permission))

    def covers_institution(self, permission: str, *, county_code: str, sector: str) -> bool:
        """True when an institution in this county and sector lies inside the scope.

        The same rule as `institutions()`, asked of values not yet saved: a write must
        not create or move a row to where its own author could no longer see it.
        """
        return any(
            county_code.startswith(g.prefix) and (g.sector is None or g.sector == sector)
            for g in self.grants_for(permission)
        )

    # -- which sections? ----------------------------------------------------------------

    def sections(self, permission: str) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for grant in self.grants_for(permission):
            found |= grant.sections
        return found


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    cached = getattr(user, "_anquan_scope", None)
    if cached is None:
        cached = Scope.for_user(user)
        if user is not None and user.is_authenticated:
            user._anquan_scope = cached
    return cached


def get_in_scope_or_404(queryset: QuerySet, **lookup):
    """Fetch one object from an already scoped queryset; out of scope is a plain 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
