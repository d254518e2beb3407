"""A demo problem for a department user to close: `fire_xiaodian` (消防救援, 小店区) signs in
and finds an open §二 fire-safety problem of its own department's rectification task.

The general demo screening (inspections.py here) draws its problems at random, so 小店区
may have no open fire problem; this adds one to a 小店区 screening record that has no fire
task yet (screening one institution first when none is screened). Idempotent: nothing is
added while an open one is there.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.roles import Department, Section
from accounts.selectors import users_holding
from campaign.models import Campaign
from inspections.models import Answer, Finding, Inspection, RectificationTask, Round
from inspections.services import finding_description
from institutions.models import Institution

COUNTY = "140105"  # 小店区
ITEM = "2.03"
DAYS = 15


def _open_fire_problems(campaign: Campaign):
    return Finding.objects.filter(
        task__inspection__round__campaign=campaign,
        task__institution__county_id=COUNTY,
        task__department=Department.FIRE,
        section=Section.FIRE,
        status=Finding.Status.OPEN,
    )


def _record_without_fire_task(campaign: Campaign, checklist, officer, now) -> Inspection | None:
    """A submitted 小店区 county-round record with no fire task, one with problems first;
    a new one for an operating institution when none is there."""
    round_ = Round.objects.get_or_create(
        campaign=campaign, level=Round.Level.COUNTY, region_id=COUNTY
    )[0]
    found = (
        Inspection.objects.filter(round=round_, status=Inspection.Status.SUBMITTED)
        .exclude(tasks__department=Department.FIRE)
        .order_by("-result", "pk")  # with problems ("suspend", "rectify") before "compliant"
        .first()
    )
    if found is not None:
        return found
    institution = (
        Institution.objects.filter(county_id=COUNTY, status=Institution.Status.OPERATING)
        .exclude(inspections__round=round_)
        .order_by("pk")
        .first()
    )
    if institution is None:
        return None
    return bulk_create_with_history(
        [
            Inspection(
                round=round_, institution=institution, checklist=checklist,
                status=Inspection.Status.SUBMITTED, submitted_at=now, created_by=officer,
                updated_by=officer, departments=["education", "fire"],
                result=Inspection.Result.COMPLIANT,
            )
        ],
        Inspection, default_user=officer,
    )[0]  # fmt: skip


@transaction.atomic
def fire_problem_demo_create(*, campaign: Campaign) -> int:
    """One open fire-safety problem in 小店区 for fire rescue to close; returns 1 or 0."""
    if _open_fire_problems(campaign).exists():
        return 0
    checklist = campaign.checklists.filter(is_active=True).first()
    officer = (
        users_holding(roles=["county_officer"], region_code=COUNTY).order_by("pk").first()
        or users_holding(roles=["admin"]).order_by("pk").first()
    )
    item = checklist.items.filter(code=ITEM).first() if checklist is not None else None
    if item is None or officer is None:
        return 0
    now = timezone.now()
    inspection = _record_without_fire_task(campaign, checklist, officer, now)
    if inspection is None:
        return 0
    deadline = timezone.localdate() + dt.timedelta(days=DAYS)
    if inspection.result == Inspection.Result.COMPLIANT or inspection.rectify_deadline is None:
        if inspection.result == Inspection.Result.COMPLIANT:
            inspection.result = Inspection.Result.RECTIFY
        inspection.rectify_deadline = deadline
        inspection._history_user = officer
        inspection.save(update_fields=["result", "rectify_deadline"])
    answer, _created = Answer.objects.update_or_create(
        inspection=inspection,
        item=item,
        defaults={"value": Answer.Value.NON_COMPLIANT, "note": "灭火器压力不足，未按期检验",
                  "answered_at": now},
    )  # fmt: skip
    task = RectificationTask.objects.create(
        inspection=inspection,
        institution_id=inspection.institution_id,
        department=Department.FIRE,
        # Not overdue the moment the demo opens: a fresh deadline if the record's has passed.
        deadline=max(inspection.rectify_deadline, deadline),
    )
    bulk_create_with_history(
        [
            Finding(
                task=task, answer=answer, item=item, section=item.section,
                severity=item.severity, description=finding_description(item, answer),
                requirement=item.requirement,
            )
        ],
        Finding, default_user=officer,
    )  # fmt: skip
    return 1
