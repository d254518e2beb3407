"""Demo counties in each state of the county phase (县级排查整改): the general demo screening
(inspections.py here) leaves every county part-screened, so nobody could see what "done"
looks like, or a county that screened everything and left its problems open.

In 太原市, after the general demo screening:
- 迎泽区 screens every institution and closes every problem: done;
- 杏花岭区 screens every institution, but its open problems ran past their deadline: screened
  and not rectified, flagged by the clock after the phase's end;
- 万柏林区 screens every institution; its open problems are given a deadline after the
  phase's end, with the county's written reason: still rectifying in time, done;
- the other counties stay part-screened.

Idempotent: each step only acts on what is not yet in its state.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.selectors import users_holding
from campaign.models import Campaign
from inspections.models import Finding, Inspection, RectificationTask, Round
from inspections.selectors import screening_phase_deadline
from institutions.models import Institution

DONE, NOT_RECTIFIED, IN_HAND = "140106", "140107", "140109"
DEMO_REASON = "涉及消防设施改造，需具备资质的单位施工，工期约两周，整改期限顺延至阶段截止后"


def _screen_the_rest(campaign: Campaign, county: str, officer, at: dt.datetime) -> int:
    """A submitted, compliant county-round inspection for every operating institution of the
    county that has none yet."""
    checklist = campaign.checklists.filter(is_active=True).first()
    round_ = Round.objects.get_or_create(campaign=campaign, level=Round.Level.COUNTY,
                                         region_id=county)[0]  # fmt: skip
    screened = Inspection.objects.filter(round=round_, status=Inspection.Status.SUBMITTED)
    rest = Institution.objects.filter(
        county_id=county, status=Institution.Status.OPERATING
    ).exclude(pk__in=screened.values("institution_id"))
    made = bulk_create_with_history(
        [
            Inspection(
                round=round_, institution=institution, checklist=checklist,
                status=Inspection.Status.SUBMITTED, submitted_at=at, created_by=officer,
                updated_by=officer, departments=["education", "fire"],
                result=Inspection.Result.COMPLIANT,
            )
            for institution in rest.order_by("pk")
        ],
        Inspection, batch_size=1000, default_user=officer,
    )  # fmt: skip
    return len(made)


def _open(campaign: Campaign, county: str):
    return Finding.objects.filter(
        task__inspection__round__campaign=campaign,
        task__inspection__round__level=Round.Level.COUNTY,
        task__institution__county_id=county,
    ).exclude(status__in=Finding.DONE)


@transaction.atomic
def rectification_demo_states(*, campaign: Campaign) -> int:
    """Put the three counties in their states; returns how many institutions were screened."""
    phase_end = screening_phase_deadline(campaign)
    officer = users_holding(roles=["admin"]).order_by("pk").first()
    if phase_end is None or officer is None or not campaign.checklists.filter(is_active=True):
        return 0
    now = timezone.now()
    today = timezone.localdate()
    # Screening ended by the phase's deadline (or now, while the phase still runs).
    at = min(
        now, dt.datetime.combine(phase_end, dt.time(16), tzinfo=timezone.get_current_timezone())
    )
    screened = sum(
        _screen_the_rest(campaign, c, officer, at) for c in (DONE, NOT_RECTIFIED, IN_HAND)
    )

    for finding in _open(campaign, DONE):
        finding.status = Finding.Status.CLOSED
        finding.reported_at = finding.reported_at or at
        finding.report_note = finding.report_note or "已按要求整改，附整改照片"
        finding.verified_at, finding.verified_by = at, officer
        finding.verify_note = "复查合格，同意销号"
        finding._history_user = officer
        finding.save()
    RectificationTask.objects.filter(
        institution__county_id=DONE, inspection__round__campaign=campaign, closed_at=None
    ).update(closed_at=at)

    # 杏花岭区: its open problems were due before the phase ended, and are still open.
    late = min(phase_end, today) - dt.timedelta(days=2)
    open_late = _open(campaign, NOT_RECTIFIED)
    RectificationTask.objects.filter(pk__in=open_late.values("task_id")).update(deadline=late)
    open_late.update(deadline=None, deadline_reason="")

    # 万柏林区: its open problems got a later deadline, with the county's reason.
    later = max(phase_end + dt.timedelta(days=14), today + dt.timedelta(days=7))
    later = min(later, max(campaign.ends_on, today + dt.timedelta(days=7)))
    for finding in _open(campaign, IN_HAND).filter(deadline_reason=""):
        finding.deadline, finding.deadline_reason = later, DEMO_REASON
        finding._history_user = officer
        finding.save()
    return screened
