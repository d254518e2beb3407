"""Progress pages: a region's dashboard, the institutions behind a coverage figure, and
every dashboard table as xlsx. Each checks access, calls a selector and renders.

A region outside the scope looks exactly like a region that does not exist: the dashboard
is a 404; the lists say, in Chinese, that there is nothing to show for that code.
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.roles import Sector
from accounts.scope import Scope
from campaign.models import ChecklistItem, Phase
from core.models import Region
from tabular.download import ledger_download

from . import dashboards
from .dashboards import PERMISSION, Board, Figures
from .exporters import TABLES, BoardLedger, ScreeningLedger

TEMPLATES = {
    Region.Level.COUNTY: "progress/county.html",
    Region.Level.CITY: "progress/city.html",
    Region.Level.PROVINCE: "progress/province.html",
}


def region_in_scope(scope: Scope, code: str | None) -> Region | None:
    """The region of this code when the scope covers all of it; None when unknown or not."""
    region = Region.objects.filter(code=(code or "").strip()[:6]).first()
    if region is None or not scope.covers_region(PERMISSION, region.code):
        return None
    return region


def _link(name: str, **params) -> str:
    return reverse(name) + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def flag_link(flag, figures: Figures | None = None) -> str:
    """Where a late region's work is: its unscreened institutions (or, all screened, the
    problems screening found that are overdue), or its sample's round."""
    if flag.phase.kind in dashboards.SCREENING_PHASES:
        if figures is not None and not figures.unscreened and figures.screening_late:
            return _link(
                "inspections:problems", campaign=flag.campaign_id, region=flag.region_id,
                status="overdue",
            )  # fmt: skip
        return _link("progress:unscreened", region=flag.region_id)
    if flag.phase.kind == Phase.Kind.CITY_SUMMARY:
        return reverse("summaries:detail", args=[flag.campaign_id, flag.region_id])
    return reverse("sampling:rounds")


def _chart_rows(rows: list[Figures]) -> list[dict]:
    return [
        {
            "name": f.name,
            "screened": f.screened,
            "unscreened": f.unscreened,
            "overdue": f.overdue,
            "link": _link("progress:unscreened", region=f.code),
        }
        for f in rows
    ]


def board_context(board: Board) -> dict:
    """What the dashboard templates read, beside the board itself."""
    region = board.region
    total = board.total
    # The figures are the campaign's; so is the problem list they open.
    campaign = board.campaign.pk if board.campaign else None
    problem_rows = []
    for section, label in dashboards.section_labels(board.sections):
        cells = [
            (
                total.problems.get((section, severity), 0),
                _link(
                    "inspections:problems", region=region.code, section=section, severity=severity
                ),
            )
            for severity in dashboards.SEVERITIES
        ]
        problem_rows.append(
            {
                "label": label,
                "cells": cells,
                "total": sum(n for n, _ in cells),
                "link": _link(
                    "inspections:problems", campaign=campaign, region=region.code, section=section
                ),
            }
        )
    funnel = [
        (
            _("发现问题"),
            total.found,
            _link("inspections:problems", campaign=campaign, region=region.code),
        ),
        (
            _("待整改"),
            total.open,
            _link("inspections:problems", campaign=campaign, region=region.code, status="open"),
        ),
        (
            _("已报整改"),
            total.reported,
            _link("inspections:problems", campaign=campaign, region=region.code, status="reported"),
        ),
        (
            _("已复查销号"),
            total.closed,
            _link("inspections:problems", campaign=campaign, region=region.code, status="closed"),
        ),
        (
            _("已逾期"),
            total.overdue,
            _link("inspections:problems", campaign=campaign, region=region.code, status="overdue"),
        ),
    ]
    by_code = {f.code: f for f in board.counties}
    flags = [(flag, flag_link(flag, by_code.get(flag.region_id))) for flag in board.flags]
    late_regions = {flag.region_id for flag in board.flags}
    chart = {
        "regions": _chart_rows(board.children),
        "trend": [
            {
                "day": day.day.isoformat(),
                "screened": day.screened,
                "cumulative": day.cumulative,
                "link": _link("progress:screened", region=region.code, day=day.day.isoformat()),
            }
            for day in board.trend
        ],
        "total": total.total,
    }
    return {
        "board": board,
        "board_total": total,
        "self_unchecked": max(total.total - total.self_checked, 0),
        "problem_rows": problem_rows,
        "severities": [ChecklistItem.Severity(s).label for s in dashboards.SEVERITIES],
        "funnel": funnel,
        "flag_rows": flags,
        "late_regions": late_regions,
        "sector_rows": [
            (
                label or _("学科类（无行业）"),
                t,
                s,
                t - s,
                _link("progress:unscreened", region=region.code, sector=sector or "none"),
            )
            for sector, label, t, s in board.sector_rows()
        ],
        "chart_data": chart,
        "screening_deadline": next(
            (d for d in board.deadlines if d["phase"].kind == Phase.Kind.COUNTY_SCREENING), None
        ),
    }


def fee_context(scope: Scope, region: Region) -> dict | None:
    """The fee figures of [complaints-fees] (kept: fees/figures.py), when the user reads
    fees; the card links to the violation ledger behind each number."""
    if not scope.can("fees.view"):
        return None
    try:
        from fees.figures import kept_fee_figures
    except ImportError:  # pragma: no cover - fees is optional to the dashboards
        return None
    figures = kept_fee_figures(scope, region.prefix)
    return {
        "figures": figures,
        "records_link": _link("fees:records", region=region.code),
        "violations_link": _link("fees:ledger", region=region.code),
        "open_link": _link("fees:ledger", region=region.code, status="open"),
        "overdue_link": _link("fees:ledger", region=region.code, status="overdue"),
    }


def dashboard_context(*, scope: Scope, region: Region) -> dict:
    """The progress figures of a region for the home page and the progress page."""
    board = dashboards.region_board(scope=scope, region=region)
    context = board_context(board)
    context["fees"] = fee_context(scope, region)
    context.update(
        institution_total=board.total.institutions,
        risky_total=board.total.risky,
        subject_total=board.total.subject,
        progress=board.total.progress(),
        deadlines=board.deadlines,
    )
    if region.level != Region.Level.COUNTY:
        context["by_child_region"] = [
            {"code": f.code, "name": f.name, "count": f.institutions} for f in board.children
        ]
    return context


class ProgressView(ScopedViewMixin, TemplateView):
    """The dashboard of a region: the user's own, or one below it (a province user opens a
    city); out of scope or unknown is 404."""

    permission = PERMISSION

    def get(self, request, *args, **kwargs):
        code = request.GET.get("region", "").strip()
        region = region_in_scope(self.scope, code) if code else _default_region(request, self.scope)
        if region is None:
            raise Http404
        self.region = region
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        return [TEMPLATES[self.region.level]]

    def get_context_data(self, **kwargs):
        context = dashboard_context(scope=self.scope, region=self.region)
        context.update(region=self.region, drilled=True)
        return super().get_context_data(**context, **kwargs)


def _screening_params(request, scope: Scope, screened: bool) -> dict:
    """The list's filters read from the query; an unknown value becomes an error message."""
    errors = []
    code = request.GET.get("region", "").strip()
    region = region_in_scope(scope, code) if code else None
    if code and region is None:
        errors.append(_("地区代码“%(code)s”不存在或不在您的工作范围内") % {"code": code[:20]})
    sector = request.GET.get("sector", "").strip() or None
    if sector == "none":
        sector = dashboards.NO_SECTOR
    elif sector is not None and sector not in Sector.values:
        errors.append(_("未知的行业“%(value)s”") % {"value": sector[:20]})
        sector = None
    day = None
    if screened and request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"].strip())
        except ValueError:
            errors.append(
                _("日期“%(value)s”无效，应为 2023-11-05 这样的格式")
                % {"value": request.GET["day"][:20]}
            )
    return {"code": code, "region": region, "sector": sector, "day": day, "errors": errors}


def _default_region(request, scope: Scope) -> Region | None:
    from accounts.selectors import primary_grant

    grant = primary_grant(user=request.user)
    if grant is None:
        return None
    return region_in_scope(scope, grant.region_id)


def screening_queryset(request, scope: Scope, screened: bool):
    params = _screening_params(request, scope, screened)
    region = params["region"] if params["code"] else _default_region(request, scope)
    if params["errors"] or region is None:
        return params, region, None
    qs = dashboards.screening_list(
        scope=scope, region=region, screened=screened, sector=params["sector"], day=params["day"]
    )
    return params, region, qs


class ScreeningListView(ScopedViewMixin, TemplateView):
    """The operating institutions behind a coverage figure: not yet screened, or screened."""

    permission = PERMISSION
    template_name = "progress/screening_list.html"
    screened = False

    def get_context_data(self, **kwargs):
        params, region, qs = screening_queryset(self.request, self.scope, self.screened)
        page = Paginator(qs if qs is not None else [], 50).get_page(self.request.GET.get("page"))
        campaign = dashboards.active_campaign(self.scope)
        first = dashboards.first_screened(campaign, [i.pk for i in page]) if qs is not None else {}
        for institution in page:
            institution.first_screened = first.get(institution.pk)
        return super().get_context_data(
            page=page,
            region=region,
            params=params,
            screened=self.screened,
            campaign=campaign,
            sector_label=dict(Sector.choices).get(params["sector"], _("学科类（无行业）"))
            if params["sector"] is not None
            else "",
            export_name="progress:screened_export"
            if self.screened
            else "progress:unscreened_export",
            export_query=self.request.GET.urlencode(),
            **kwargs,
        )


class ScreeningExportView(ScopedViewMixin, View):
    permission = PERMISSION
    screened = False

    def get(self, request):
        params, region, qs = screening_queryset(request, self.scope, self.screened)
        if qs is None:
            raise Http404
        what = _("已排查机构") if self.screened else _("未排查机构")
        ledger = ScreeningLedger(
            qs, campaign=dashboards.active_campaign(self.scope), what=what, region_name=region.name
        )
        key = "progress_screened" if self.screened else "progress_unscreened"
        return ledger_download(request=request, ledger=ledger, key=key, basename=what)


class TableExportView(ScopedViewMixin, View):
    """One dashboard table as xlsx (or csv); the region defaults to the user's own."""

    permission = PERMISSION

    def get(self, request, table: str):
        if table not in TABLES:
            raise Http404
        code = request.GET.get("region", "").strip()
        region = region_in_scope(self.scope, code) if code else _default_region(request, self.scope)
        if region is None:
            raise Http404
        board = dashboards.region_board(scope=self.scope, region=region)
        ledger = BoardLedger(board, table)
        return ledger_download(
            request=request, ledger=ledger, key=f"progress_{table}", basename=ledger.sheet_title
        )
