"""Reads for institutions and regions. Every function takes the acting user's scope."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from accounts.scope import Scope

from .filters import InstitutionFilterSet
from .models import Institution, Region


def institution_list(
    *, scope: Scope, permission: str = "institutions.view", filters: dict | None = None
) -> QuerySet:
    """Institutions the user may see (or, with another permission, change), filtered.

    `filters` takes the list page's query parameters (InstitutionFilterSet); they can only
    narrow what the scope allows.
    """
    qs = scope.institutions(Institution.objects.select_related("county__parent"), permission)
    if filters:
        qs = InstitutionFilterSet(data=filters, queryset=qs).qs
    return qs


def region_list(*, scope: Scope) -> QuerySet:
    return scope.regions(Region.objects.select_related("parent"), "institutions.view")


def institution_counts_by_child_region(*, scope: Scope, region: Region) -> list[dict]:
    """Institutions in scope per child of `region` (per city of a province, per county of a city)."""
    qs = scope.institutions(Institution.objects.all(), "dashboard.view").filter(
        county__code__startswith=region.prefix
    )
    width = {"province": 4, "city": 6}[region.level]
    counts: dict[str, int] = {}
    for row in qs.order_by().values("county_id").annotate(n=Count("id")):
        key = row["county_id"][:width].ljust(6, "0")
        counts[key] = counts.get(key, 0) + row["n"]
    children = Region.objects.filter(parent=region).order_by("code")
    return [{"code": c.code, "name": c.name, "count": counts.get(c.code, 0)} for c in children]
