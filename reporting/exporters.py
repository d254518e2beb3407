"""The ledgers no app exported yet: inspection records and publicity activities.

Both take rows already scoped by their selectors; `ledger_filters` narrows them by the
common filters of the 台账 page. A region outside the user's scope, or one that does not
exist, is ignored: the ledger then covers the user's own scope, never more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.roles import Sector
from accounts.scope import Scope
from accounts.selectors import primary_grant
from campaign.models import Campaign, PublicityActivity
from campaign.selectors import campaign_list, publicity_list
from core.models import Region
from core.text import small_int
from inspections.models import Finding, Inspection, Round
from inspections.selectors import inspection_list
from tabular.export import ListExporter


@dataclass(frozen=True)
class LedgerFilters:
    region: Region | None
    region_name: str
    campaign: Campaign | None
    period_from: dt.date | None
    period_to: dt.date | None
    sector: str
    status: str

    def narrow(
        self, qs: QuerySet, *, county: str, campaign: str, date: str, sector: str = ""
    ) -> QuerySet:
        """The common filters on a ledger's rows, given where each lives in its model (the
        county code, the campaign, the date the period means, the institution's sector)."""
        if self.region is not None:
            qs = qs.filter(**{f"{county}__startswith": self.region.prefix})
        if self.campaign is not None:
            qs = qs.filter(**{campaign: self.campaign})
        if self.period_from:
            qs = qs.filter(**{f"{date}__gte": self.period_from})
        if self.period_to:
            qs = qs.filter(**{f"{date}__lte": self.period_to})
        if sector and self.sector:
            qs = qs.filter(**{sector: self.sector})
        return qs


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


def ledger_filters(*, scope: Scope, user, permission: str, params) -> LedgerFilters:
    """The page's filters read safely: anything unknown or out of scope is dropped."""
    code = (params.get("region") or "").strip()
    region = Region.objects.filter(code=code).first() if code else None
    if region is not None and not scope.covers_region(permission, region.code):
        region = None
    if region is None:
        grant = primary_grant(user=user)
        name = grant.region.name if grant else ""
    else:
        name = region.name
    campaigns = campaign_list(scope=scope).order_by("-is_active", "-starts_on", "-pk")
    wanted = small_int(params.get("campaign"))
    campaign = campaigns.filter(pk=wanted).first() if wanted is not None else None
    sector = (params.get("sector") or "").strip()
    return LedgerFilters(
        region=region,
        region_name=name,
        campaign=campaign or campaigns.first(),
        period_from=_date(params.get("from")),
        period_to=_date(params.get("to")),
        sector=sector if sector in Sector.values else "",
        status=(params.get("status") or params.get("result") or "").strip(),
    )


def _title(kind: str, filters: LedgerFilters) -> str:
    return _("%(region)s%(campaign)s%(kind)s（导出时间：%(time)s）") % {
        "region": filters.region_name,
        "campaign": f"“{filters.campaign.name}”" if filters.campaign else "",
        "kind": kind,
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }


# -- inspection records ------------------------------------------------------------------


def inspection_ledger_rows(*, scope: Scope, filters: LedgerFilters) -> QuerySet:
    """Submitted inspections in scope, narrowed by the filters, with their counts."""
    sections = scope.sections("inspections.view")
    qs = filters.narrow(
        inspection_list(scope=scope).filter(status=Inspection.Status.SUBMITTED),
        county="institution__county__code",
        campaign="round__campaign",
        date="submitted_at__date",
        sector="institution__sector",
    )
    if filters.status in Inspection.Result.values:
        qs = qs.filter(result=filters.status)
    # Problems in the sections this user owns: a fire officer counts fire problems.
    problems = Q(tasks__findings__section__in=sections) & ~Q(
        tasks__findings__status=Finding.Status.WITHDRAWN
    )
    return qs.annotate(
        n_problems=Count("tasks__findings", filter=problems, distinct=True),
        n_inspectors=Count("inspectors", distinct=True),
    ).order_by("institution__county_id", "institution__name", "submitted_at", "pk")


class InspectionLedger(ListExporter):
    sheet_title = "检查记录台账"
    headers = [
        "机构名称", "统一社会信用代码", "所在县区", "检查层级", "提交日期", "检查结论",
        "问题数", "检查人数",
    ]  # fmt: skip
    widths = [34, 22, 12, 14, 12, 12, 10, 10]

    def __init__(self, queryset: QuerySet, *, filters: LedgerFilters):
        """`queryset` comes from `inspection_ledger_rows`."""
        self.queryset = queryset
        self.filters = filters

    def title_line(self) -> str:
        return _title(_("检查记录台账"), self.filters)

    def rows(self):
        levels = dict(Round.Level.choices)
        results = dict(Inspection.Result.choices)
        for inspection in self.queryset.iterator(chunk_size=2000):
            institution = inspection.institution
            submitted = inspection.submitted_at
            yield [
                institution.name,
                institution.credit_code,
                institution.county.name,
                levels.get(inspection.round.level, inspection.round.level),
                timezone.localtime(submitted).date() if submitted else None,
                results.get(inspection.result, inspection.result),
                inspection.n_problems,
                inspection.n_inspectors,
            ]


# -- publicity activities ----------------------------------------------------------------


def publicity_ledger_rows(*, scope: Scope, filters: LedgerFilters) -> QuerySet:
    qs = filters.narrow(
        publicity_list(scope=scope).select_related("campaign"),
        county="county__code",
        campaign="campaign",
        date="held_on",
    )
    return qs.order_by("county_id", "held_on", "pk")


class PublicityLedger(ListExporter):
    sheet_title = "安全教育宣传活动台账"
    headers = [
        "县区", "日期", "形式", "主题", "次数", "覆盖人数", "覆盖机构数", "情况说明",
    ]  # fmt: skip
    widths = [12, 12, 22, 34, 8, 10, 12, 40]

    def __init__(self, queryset: QuerySet, *, filters: LedgerFilters):
        self.queryset = queryset
        self.filters = filters

    def title_line(self) -> str:
        return _title(_("安全教育宣传活动台账"), self.filters)

    def rows(self):
        kinds = dict(PublicityActivity.Kind.choices)
        for activity in self.queryset.iterator(chunk_size=2000):
            yield [
                activity.county.name,
                activity.held_on,
                kinds.get(activity.kind, activity.kind),
                activity.title,
                activity.times,
                activity.reached,
                activity.institutions_reached,
                activity.description,
            ]
