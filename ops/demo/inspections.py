"""Demo screening: part of the province already inspected, some problems found and fixed.

A demo where nothing has been screened shows every city at 0 %: nobody can see who is
behind or click through to a problem. This writes submitted county-round inspections for
a share of each county's institutions (cities and districts further along than rural
counties, as in a real campaign), dated over the campaign so far, and for some of them a
problem in its department's rectification task, open, reported or verified closed, some
past their deadline. Seeded, so every demo looks the same; runs once per campaign.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.selectors import users_holding
from campaign.models import Campaign
from core.models import Region
from inspections.models import Answer, Finding, Inspection, RectificationTask, Round
from inspections.services import finding_description
from institutions.models import Institution

# Items a demo problem is drawn from: fire exits, extinguishers, staff checks, price lists…
# and 2.08, a classroom measured below its limit (不少于 3 平方米/人).
DEMO_ITEMS = ["1.01", "1.05", "2.01", "2.03", "2.05", "2.08", "2.22", "3.01", "5.01", "5.05"]
# What a demo officer measured where a measured item failed: just under the minimum or
# just over the maximum, as found on site.
DEMO_SHORTFALL = [Decimal("0.4"), Decimal("0.8"), Decimal("1.2")]


@transaction.atomic
def inspection_demo_create(*, campaign: Campaign, seed: int = 2023) -> int:
    """Submitted screening for part of every county; returns how many inspections were made."""
    if Inspection.objects.filter(round__campaign=campaign).exists():
        return 0
    checklist = campaign.checklists.filter(is_active=True).first()
    officer = users_holding(roles=["admin"]).order_by("pk").first()
    if checklist is None or officer is None:
        return 0
    items = {i.code: i for i in checklist.items.filter(code__in=DEMO_ITEMS)}
    rng = random.Random(seed)
    now = timezone.now()
    start = dt.datetime.combine(
        campaign.starts_on, dt.time(9), tzinfo=timezone.get_current_timezone()
    )
    days = max(1, min((now - start).days, 29))
    rounds = {}
    inspections, plans = [], []
    for county in Region.objects.filter(level="county", code__startswith=campaign.province_id[:2]):
        share = rng.uniform(0.5, 0.95) if county.name.endswith("区") else rng.uniform(0.0, 0.7)
        ids = list(
            Institution.objects.filter(county=county, status=Institution.Status.OPERATING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = rng.sample(ids, int(len(ids) * share))
        if not chosen:
            continue
        rounds[county.code] = Round.objects.get_or_create(
            campaign=campaign, level=Round.Level.COUNTY, region=county
        )[0]
        for pk in chosen:
            at = min(now, start + dt.timedelta(days=rng.randrange(days), hours=rng.randrange(8)))
            problem = rng.random() < 0.25 and items
            inspections.append(
                Inspection(
                    round=rounds[county.code], institution_id=pk, checklist=checklist,
                    status=Inspection.Status.SUBMITTED, submitted_at=at, created_by=officer,
                    updated_by=officer, departments=["education", "fire"],
                    result=Inspection.Result.RECTIFY if problem else Inspection.Result.COMPLIANT,
                    rectify_deadline=(at + dt.timedelta(days=rng.choice([7, 15]))).date()
                    if problem else None,
                )
            )  # fmt: skip
            plans.append(rng.choice(sorted(items)) if problem else None)
    made = bulk_create_with_history(inspections, Inspection, batch_size=1000, default_user=officer)
    _problems(made, plans, items, rng, officer, now)
    return len(made)


def _measured(item, rng) -> Decimal | None:
    """A measured item's value that breaks its limit; None for the yes/no items."""
    if not item.has_limit:
        return None
    shortfall = rng.choice(DEMO_SHORTFALL)
    if item.limit_min is not None:
        return item.limit_min - shortfall
    return item.limit_max + 1


def _problems(inspections, plans, items, rng, officer, now) -> None:
    """For each inspection with a planned problem: the answer, its task and the finding."""
    pairs = [(i, items[code]) for i, code in zip(inspections, plans, strict=True) if code]
    answers = bulk_create_with_history(
        [
            Answer(inspection=i, item=item, value=Answer.Value.NON_COMPLIANT,
                   note="" if item.has_limit else f"{item.text[:20]}……现场检查不符合要求",
                   number=_measured(item, rng), answered_at=i.submitted_at)
            for i, item in pairs
        ],
        Answer, batch_size=1000, default_user=officer,
    )  # fmt: skip
    tasks = bulk_create_with_history(
        [
            RectificationTask(inspection=i, institution_id=i.institution_id,
                              department=item.department, deadline=i.rectify_deadline)
            for i, item in pairs
        ],
        RectificationTask, batch_size=1000, default_user=officer,
    )  # fmt: skip
    findings = []
    for (_inspection, item), answer, task in zip(pairs, answers, tasks, strict=True):
        roll = rng.random()
        status = (
            Finding.Status.CLOSED if roll < 0.35 else
            Finding.Status.REPORTED if roll < 0.6 else Finding.Status.OPEN
        )  # fmt: skip
        closed = status == Finding.Status.CLOSED
        findings.append(
            Finding(
                task=task, answer=answer, item=item, section=item.section,
                severity=item.severity, description=finding_description(item, answer),
                requirement=item.requirement,
                status=status,
                reported_at=now if status != Finding.Status.OPEN else None,
                report_note="已按要求整改，附整改照片" if status != Finding.Status.OPEN else "",
                verified_at=now if closed else None, verified_by=officer if closed else None,
                verify_note="复查合格，同意销号" if closed else "",
            )
        )  # fmt: skip
        if closed:
            task.closed_at = now
    bulk_create_with_history(findings, Finding, batch_size=1000, default_user=officer)
    RectificationTask.objects.bulk_update([t for t in tasks if t.closed_at], ["closed_at"])
