"""The dashboard facts without PostgreSQL: the same rows, added up in Python.

The two grouped statements in `dashboards.py` (GROUPING SETS, FILTER, AT TIME ZONE) are the
fast path the province needs at 120,000 institutions. The demo runs on SQLite, which has
none of them; there the register is a few thousand rows, so reading them and adding up here
is quick. A test computes both on the same PostgreSQL data and requires identical facts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Min
from django.utils import timezone

from accounts.scope import Scope
from campaign.models import Campaign
from inspections.models import Finding, Inspection
from institutions.models import Institution


def portable_rows(
    scope: Scope,
    campaign: Campaign | None,
    prefix: str,
    today: dt.date,
    *,
    permission: str,
    county_rounds: list[int],
    all_rounds: list[int],
    no_sector: str,
):
    """(screening, days, problems) as `dashboards.live_facts` builds them from SQL."""
    institutions = scope.institutions(
        Institution.objects.filter(county__code__startswith=prefix), permission
    ).values_list("id", "county_id", "sector", "status", "category", "is_risky")
    first = dict(
        Inspection.objects.filter(round_id__in=county_rounds, status=Inspection.Status.SUBMITTED)
        .values("institution_id")
        .annotate(at=Min("submitted_at"))
        .values_list("institution_id", "at")
    )
    operating = Institution.Status.OPERATING
    totals: dict[tuple[str, str], list[int]] = {}
    days: Counter = Counter()
    for pk, county, sector, status, category, risky in institutions:
        key = (county, sector or no_sector)
        row = totals.setdefault(key, [0, 0, 0, 0, 0])
        at = first.get(pk)
        row[0] += 1
        row[1] += category == Institution.Category.SUBJECT
        row[2] += bool(risky)
        row[3] += status == operating
        row[4] += status == operating and at is not None
        if status == operating and at is not None:
            days[(*key, timezone.localtime(at).date())] += 1
    screening = [(county, sector, *counts) for (county, sector), counts in totals.items()]

    ids = scope.institutions(
        Institution.objects.filter(county__code__startswith=prefix), permission
    ).values("id")
    findings = (
        Finding.objects.filter(
            task__inspection__round_id__in=all_rounds,
            task__institution_id__in=ids,
            section__in=sorted(scope.sections(permission)),
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .values_list(
            "task__institution__county_id", "task__institution__sector", "section", "severity",
            "status", "deadline", "task__deadline", "task__inspection__round_id",
        )
    )  # fmt: skip
    problems: Counter = Counter()
    screening_rounds = set(county_rounds)
    for county, sector, section, severity, status, own, task, round_id in findings:
        late = (own or task) < today
        problems[
            (county, sector or no_sector, section, severity, status, late,
             round_id in screening_rounds)
        ] += 1  # fmt: skip
    return (
        screening,
        [(county, sector, day, n) for (county, sector, day), n in days.items()],
        [(*key, n) for key, n in problems.items()],
    )
