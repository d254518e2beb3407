"""Demo actions (查处问责): what fire rescue did about a few major fire-safety hazards the
demo screening found (recorded by a county officer or a fire user, taken by fire rescue), in
several kinds of action, and one vetting case.

Recorded through the service, as the officers would, so each has its history and audit
event. Runs once: nothing is added when actions exist already.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.roles import Department, Section
from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem
from enforcement.models import EnforcementAction
from enforcement.selectors import departments_for
from enforcement.services import action_record
from inspections.models import Finding, Inspection
from institutions.models import Institution
from personnel.selectors import institution_compliance

Kind = EnforcementAction.Kind

# (kinds, note) per finding, in the order the findings are taken.
PLANS = [
    ([Kind.ORDER, Kind.FINE], "疏散通道被堆放杂物占用，经约谈后仍未清理"),
    ([Kind.INTERVIEW, Kind.ORDER], "约谈机构法定代表人，现场下达责令改正通知"),
    ([Kind.SUSPENSION], "安全出口数量不足，责令停业整顿至整改完毕"),
    ([Kind.ORDER, Kind.REFERRAL], "拒不整改，移送公安机关依法处理"),
]
PREFIX = {Kind.ORDER: "责改", Kind.FINE: "罚决", Kind.SUSPENSION: "停整", Kind.REFERRAL: "移送"}


# Who records, in order of preference: the institution's own county or fire brigade first,
# the city's fire rescue next, province staff (education) wherever no one else reaches.
ACTORS = ["county_xiaodian", "fire_yingze", "fire_wanbailin", "dept_fire", "fire_datong",
          "county_pingcheng", "province"]  # fmt: skip


def _actor(users: list, institution, sections) -> User | None:
    for user in users:
        if departments_for(Scope.for_user(user), institution, sections):
            return user
    return None


def enforcement_demo_create(*, campaign: Campaign) -> int:
    """Actions on up to four major §二 findings (太原市's first) and one vetting case in
    太原市; returns how many were recorded."""
    if EnforcementAction.objects.exists():
        return 0
    by_name = {u.username: u for u in User.objects.filter(username__in=ACTORS)}
    users = [by_name[n] for n in ACTORS if n in by_name]
    findings = list(
        Finding.objects.filter(
            task__inspection__round__campaign=campaign,
            task__inspection__status=Inspection.Status.SUBMITTED,
            severity=ChecklistItem.Severity.MAJOR, section=Section.FIRE,
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("task__institution", "task__inspection")
        .order_by("task__institution__county_id", "pk")[: len(PLANS)]
    )  # fmt: skip
    made, today = 0, timezone.localdate()
    for n, (finding, (kinds, note)) in enumerate(zip(findings, PLANS, strict=False), start=1):
        institution = finding.task.institution
        actor = _actor(users, institution, {Section.FIRE})
        if actor is None:
            continue
        found_on = timezone.localdate(finding.task.inspection.submitted_at)
        for step, kind in enumerate(kinds):
            taken_on = min(today, found_on + dt.timedelta(days=2 + 3 * step))
            number = f"消{PREFIX[kind]}字〔{taken_on.year}〕第{n:04d}号" if kind in PREFIX else ""
            action_record(
                institution=institution, actor=actor, scope=Scope.for_user(actor),
                trigger=EnforcementAction.Trigger.FINDING, finding=finding, kind=kind,
                # Fire rescue took these (消 numbers), whoever enters them: a county's
                # education officer often keeps the ledger for the joint team.
                department=Department.FIRE, taken_on=taken_on, document_number=number,
                amount=Decimal("5000.00") if kind == Kind.FINE else None, note=note,
            )  # fmt: skip
            made += 1
    return made + _vetting_case(users, today)


def _vetting_case(users: list, today) -> int:
    """约谈 and 问责 of one 太原市 institution whose staff were not all checked in time."""
    candidates = (
        Institution.objects.filter(county__code__startswith="1401", staff__isnull=False)
        .distinct()
        .order_by("county_id", "pk")[:30]
    )
    for institution in candidates:
        actor = _actor(users, institution, {Section.STAFF})
        if actor is None:
            continue
        scope = Scope.for_user(actor)
        if not institution_compliance(scope=scope, institution=institution).accountable:
            continue
        for kind, number in ((Kind.INTERVIEW, ""), (Kind.ACCOUNTABILITY, "教问字〔%d〕第0001号")):
            action_record(
                institution=institution, actor=actor, scope=scope,
                trigger=EnforcementAction.Trigger.PERSONNEL, kind=kind, taken_on=today,
                document_number=number % today.year if number else "",
                note="未按期完成从业人员犯罪记录查询，约谈机构负责人并通报问责",
            )  # fmt: skip
        return 2
    return 0
