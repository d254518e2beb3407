"""Reads for institutions and regions. Every function takes the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.scope import Scope
from core.models import Region

from .filters import InstitutionFilterSet
from .models import Institution, InstitutionAccount, Site


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


def site_list(*, scope: Scope, permission: str = "institutions.view") -> QuerySet:
    """Training sites of the institutions the user may see (or change)."""
    return scope.institutions(
        Site.objects.select_related("institution__county"), permission, path="institution"
    )


def county_choices(*, scope: Scope, permission: str = "institutions.change") -> QuerySet:
    """The counties a user may register institutions in, with their city for the label."""
    counties = Region.objects.filter(level=Region.Level.COUNTY).select_related("parent")
    return scope.regions(counties, permission).order_by("code")


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


# -- change history --------------------------------------------------------------------

# Bookkeeping columns that change on every save and say nothing to a reader.
_NOT_SHOWN = {"id", "institution", "created_at", "updated_at"}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str
    subject: str
    changes: list[FieldChange] = field(default_factory=list)


def _shown(value, model_field: models.Field, regions: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.name == "county":
        return regions.get(value, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("是") if value else _("否")
    return str(value)


def _entries(records: list, model: type[models.Model], subject, regions: dict) -> list:
    """History entries from records of one model, newest first, each diffed against the
    previous record of the same object (the next older one in the list)."""
    fields = [f for f in model._meta.concrete_fields if f.name not in _NOT_SHOWN]
    # A context of their own: as buttons the same words read "Edit", "Delete".
    actions = {
        "+": pgettext("history", "新增"),
        "~": pgettext("history", "修改"),
        "-": pgettext("history", "删除"),
    }
    previous: dict[int, object] = {}
    entries = []
    for record in reversed(records):
        before = previous.get(record.id)
        previous[record.id] = record
        changes = []
        if record.history_type == "~" and before is not None:
            for f in fields:
                old, new = getattr(before, f.attname), getattr(record, f.attname)
                if old != new:
                    changes.append(
                        FieldChange(
                            label=str(f.verbose_name),
                            old=_shown(old, f, regions),
                            new=_shown(new, f, regions),
                        )
                    )
            if not changes:
                continue  # a save that changed nothing a person would notice
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=str(record.history_user) if record.history_user else _("系统"),
                action=actions[record.history_type],
                subject=subject(record),
                changes=changes,
            )
        )
    entries.reverse()
    return entries


def institution_history(*, institution: Institution, limit: int = 50) -> list[HistoryEntry]:
    """Who changed what and when, for the institution and its training sites, newest first.

    Three queries whatever the length: the two histories (with their users) and region names.
    """
    order = ("-history_date", "-history_id")
    own = list(institution.history.select_related("history_user").order_by(*order)[: limit + 1])
    sites = list(
        Site.history.filter(institution_id=institution.pk)
        .select_related("history_user")
        .order_by(*order)[: limit + 1]
    )
    codes = {r.county_id for r in own}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    entries = _entries(own, Institution, lambda r: _("机构信息"), regions)
    entries += _entries(sites, Site, lambda r: _("培训场所“%(name)s”") % {"name": r.name}, regions)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


def institution_accounts(*, institution: Institution) -> list:
    """The institution's own accounts (机构账号), for its page's panel; the caller has fetched
    the institution through the scope and checked `accounts.may_manage`."""
    return list(
        InstitutionAccount.objects.filter(institution=institution)
        .select_related("user")
        .order_by("created_at", "pk")
    )
