"""Reads for institutions and regions. Every function takes the acting user's scope."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.scope import Scope

from .models import Institution, Region


def institution_list(
    *, scope: Scope, region: str | None = None, search: str | None = None
) -> QuerySet:
    """Institutions the user may view, optionally inside one region and matching a search."""
    qs = scope.institutions(
        Institution.objects.select_related("county__parent"), "institutions.view"
    )
    if region:
        found = Region.objects.filter(code=region).first()
        qs = qs.filter(county__code__startswith=found.prefix) if found else qs.none()
    if search:
        search = search.strip()
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code=search.upper()))
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
