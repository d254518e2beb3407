"""Reads for the campaign clock: which regions are behind on a phase, and what is missing;
which rectification tasks are overdue; who answers for a region.

The jobs read through the same scope module as pages do, with the campaign province's
scope (what province staff of the lead department would see): no query here bypasses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from django.db.models import Count
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import users_with_role
from accounts.roles import Department, Role
from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem, Phase
from campaign.selectors import Behind
from core.models import Region
from inspections.models import Inspection, RectificationTask, Round
from inspections.selectors import (
    effective_deadline,
    finding_list,
    overdue_q,
    screening_unrectified_q,
    task_list,
)
from institutions.models import Institution
from sampling.selectors import quota_status, sampling_rounds


def _operating(campaign: Campaign, scope: Scope):
    return scope.institutions(
        Institution.objects.filter(
            status=Institution.Status.OPERATING,
            county__code__startswith=campaign.province.prefix,
        ),
        "inspections.view",
    ).order_by()


def screening_behind(
    campaign: Campaign, scope: Scope, *, today: dt.date | None = None
) -> dict[str, Behind]:
    """Counties whose 排查整改 is not done (the notice: 完成全面排查整改): an operating
    institution not yet screened (no submitted inspection in the county round of this
    campaign), or a problem that screening found still open past its deadline. A problem
    whose rectification runs inside the deadline the county set is in hand. Three grouped
    queries for the whole province."""
    today = today or timezone.localdate()
    operating = _operating(campaign, scope)
    totals = dict(
        operating.values("county_id").annotate(n=Count("id")).values_list("county_id", "n")
    )
    screened_ids = Inspection.objects.filter(
        status=Inspection.Status.SUBMITTED,
        round__level=Round.Level.COUNTY,
        round__campaign=campaign,
    ).values("institution_id")
    screened = dict(
        operating.filter(pk__in=screened_ids)
        .values("county_id")
        .annotate(n=Count("id"))
        .values_list("county_id", "n")
    )
    late = {code: total - screened.get(code, 0) for code, total in totals.items()}
    problems = dict(
        finding_list(scope=scope)
        .filter(
            screening_unrectified_q(today),
            task__inspection__round__campaign=campaign,
            task__institution__county__code__startswith=campaign.province.prefix,
        )
        .order_by()
        .values("task__institution__county_id")
        .annotate(n=Count("id"))
        .values_list("task__institution__county_id", "n")
    )
    codes = {c for c, n in late.items() if n > 0} | {c for c, n in problems.items() if n}
    found = {}
    for region in Region.objects.filter(code__in=codes).order_by("code"):
        parts = []
        if late.get(region.code):
            parts.append(
                _("%(region)s：%(total)d 家机构中 %(missing)d 家尚未排查")
                % {
                    "region": region.name,
                    "total": totals[region.code],
                    "missing": late[region.code],
                }
            )
            link = reverse("institutions:list") + "?" + urlencode({"region": region.code})
        if problems.get(region.code):
            text = _("排查发现的问题中 %(n)d 项逾期未销号") % {"n": problems[region.code]}
            parts.append(text if parts else f"{region.name}：{text}")
            if len(parts) == 1:
                link = (
                    reverse("inspections:problems")
                    + "?"
                    + urlencode(
                        {"campaign": campaign.pk, "region": region.code, "status": "overdue"}
                    )
                )
        found[region.code] = Behind(region, "；".join(parts), link)
    return found


def sample_behind(campaign: Campaign, scope: Scope, *, level: str) -> dict[str, Behind]:
    """City (or province) rounds whose random sample is not drawn or below its quota.

    A region with no operating institution has nothing to sample; a round marked complete
    met its quota ([sampling] refuses to complete one below it)."""
    province = campaign.province
    if level == Round.Level.CITY:
        sizes = dict(
            _operating(campaign, scope)
            .annotate(city=Left("county_id", 4))
            .values("city")
            .annotate(n=Count("id"))
            .values_list("city", "n")
        )
        regions = Region.objects.filter(
            level=Region.Level.CITY, code__startswith=province.prefix
        ).order_by("code")
        regions = [r for r in regions if sizes.get(r.prefix)]
    else:
        regions = [province] if _operating(campaign, scope).exists() else []
    rounds = {r.region_id: r for r in sampling_rounds(scope).filter(campaign=campaign, level=level)}
    found = {}
    for region in regions:
        round_ = rounds.get(region.code)
        if round_ is not None and round_.completed_at is not None:
            continue
        status = quota_status(round_) if round_ is not None else None
        if status is None or status["draw"] is None:
            missing = _("%(region)s：尚未确认抽样") % {"region": region.name}
        elif status["met"]:
            continue
        elif status["required_counties"]:
            missing = _(
                "%(region)s：已检查机构 %(i)d/%(ri)d 家、县区 %(c)d/%(rc)d 个，未达到抽查数量要求"
            ) % {
                "region": region.name,
                "i": status["inspected_institutions"],
                "ri": status["required_institutions"],
                "c": status["inspected_counties"],
                "rc": status["required_counties"],
            }
        else:
            missing = _("%(region)s：已检查机构 %(i)d/%(ri)d 家，未达到抽查数量要求") % {
                "region": region.name,
                "i": status["inspected_institutions"],
                "ri": status["required_institutions"],
            }
        link = (
            reverse("sampling:round", args=[round_.pk])
            if round_ is not None
            else reverse("sampling:rounds")
        )
        found[region.code] = Behind(region, missing, link)
    return found


# Which regions are behind on each phase; every job (reminders, overdue flags) covers each.
# The checks in DATED_CHECKS also take the run's day (`today=`): what is overdue moves with it.
# An app above the clock adds the check of its own phase from its AppConfig.ready(): city
# summaries (cities whose summary is not submitted or accepted) come from reporting.
PHASE_CHECKS: dict[str, Callable[[Campaign, Scope], dict[str, Behind]]] = {
    Phase.Kind.COUNTY_SCREENING: screening_behind,
    Phase.Kind.CITY_SPOT_CHECK: partial(sample_behind, level=Round.Level.CITY),
    Phase.Kind.PROVINCE_SUPERVISION: partial(sample_behind, level=Round.Level.PROVINCE),
}
DATED_CHECKS = (Phase.Kind.COUNTY_SCREENING,)
# Phases whose work is a random sample with a quota: the quota watch looks at these.
QUOTA_PHASES = (Phase.Kind.CITY_SPOT_CHECK, Phase.Kind.PROVINCE_SUPERVISION)


@dataclass(frozen=True)
class OverdueProblem:
    """One problem past its effective deadline: what an escalation is claimed for."""

    pk: int
    code: str
    description: str
    deadline: dt.date  # its effective deadline (its own after a send-back, else the task's)
    major: bool


@dataclass(frozen=True)
class OverdueTask:
    """A rectification task with problems past their effective deadline."""

    task: RectificationTask
    problems: list[OverdueProblem]  # in item order


def overdue_tasks(campaign: Campaign, scope: Scope, today: dt.date) -> list[OverdueTask]:
    """Tasks of this campaign with problems overdue on `today` (inspections' own rule)."""
    findings = finding_list(scope=scope).filter(
        overdue_q(today), task__inspection__round__campaign=campaign
    )
    rows = findings.annotate(due=effective_deadline()).order_by("task_id", "item__code", "pk")
    problems: dict[int, list[OverdueProblem]] = {}
    for pk, task_id, code, description, due, severity in rows.values_list(
        "pk", "task_id", "item__code", "description", "due", "severity"
    ):
        problems.setdefault(task_id, []).append(
            OverdueProblem(pk, code, description, due, severity == ChecklistItem.Severity.MAJOR)
        )
    tasks = task_list(scope=scope).filter(pk__in=problems).select_related("institution__county")
    return [OverdueTask(task=task, problems=problems[task.pk]) for task in tasks.order_by("pk")]


class Recipients:
    """Who answers for a region, looked up once per run."""

    def __init__(self):
        self._cache: dict[tuple, list] = {}

    def _role(self, role: str, code: str, department: str | None = None) -> list:
        key = (role, code, department)
        if key not in self._cache:
            self._cache[key] = users_with_role(role=role, region_code=code, department=department)
        return self._cache[key]

    def county_lead(self, code: str) -> list:
        """The county's education officers: education leads the campaign in the county."""
        return self._role(Role.COUNTY_OFFICER, code, Department.EDUCATION)

    def city_staff(self, code: str) -> list:
        return self._role(Role.CITY_STAFF, code)

    def city_education(self, code: str) -> list:
        """The city's education staff: vetting, fees and complaints are education's work."""
        return self._role(Role.CITY_STAFF, code, Department.EDUCATION)

    def province_staff(self, code: str) -> list:
        return self._role(Role.PROVINCE_STAFF, code)

    def responsible(self, region: Region) -> list:
        return {
            Region.Level.COUNTY: self.county_lead,
            Region.Level.CITY: self.city_staff,
            Region.Level.PROVINCE: self.province_staff,
        }[region.level](region.code)

    def above(self, region: Region) -> list:
        """The level above: a county's city staff, a city's province staff; none above a province."""
        if region.level == Region.Level.COUNTY:
            return self.city_staff(region.parent_id)
        if region.level == Region.Level.CITY:
            return self.province_staff(region.parent_id)
        return []
