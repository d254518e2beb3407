"""Reads for inspections and the problem list, always through the scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.scope import Scope
from institutions.models import Institution

from .models import Finding, Inspection, RectificationTask, Round


def inspection_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    return scope.institutions(
        Inspection.objects.select_related("institution__county", "round", "created_by"),
        permission,
        path="institution",
        round_path="round",
    )


RECTIFY = "rectification.change"


def finding_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    """The problem list: findings in the user's regions and in the sections they own.

    For `rectification.change` (report, re-inspect), only those of the tasks the user acts
    on (Scope.covers_task): their own department's, or every department's for education.
    """
    qs = scope.institutions(
        Finding.objects.select_related("task__institution__county", "item", "answer"),
        permission,
        path="task__institution",
        round_path="task__inspection__round",
    )
    qs = qs.filter(section__in=scope.sections(permission))
    if permission == RECTIFY:
        qs = qs.filter(
            scope.task_q(
                permission,
                region="task__institution__county__code",
                sector="task__institution__sector",
                department="task__department",
            )
        )
    return qs


def deadline_q(lookup: str, day) -> Q:
    """Problems whose effective deadline (their own after a send-back, else the task's)
    satisfies `lookup` ("lt", "gte", "lte") against `day`."""
    return Q(**{f"deadline__{lookup}": day}) | Q(
        **{"deadline__isnull": True, f"task__deadline__{lookup}": day}
    )


def effective_deadline() -> Coalesce:
    """The effective deadline as an expression over findings, for ordering."""
    return Coalesce("deadline", "task__deadline")


def overdue_q(today=None) -> Q:
    """A problem is overdue when its effective deadline has passed and it needs work still
    (not verified closed, not withdrawn by an amendment)."""
    today = today or timezone.localdate()
    return deadline_q("lt", today) & ~Q(status__in=Finding.DONE)


def screening_phase_deadline(campaign) -> dt.date | None:
    """The deadline of the campaign's county phase (县级排查整改, 30 Nov in 2023), if set."""
    from campaign.models import Phase

    return (
        Phase.objects.filter(campaign=campaign, kind=Phase.Kind.COUNTY_SCREENING)
        .values_list("deadline", flat=True)
        .first()
    )


def screening_unrectified_q(today=None) -> Q:
    """County screening problems that keep their county's 排查整改 from being done: not
    closed or withdrawn and past their effective deadline. One still inside the deadline
    the county set (recorded on the problem, which the city reads) is in hand; a deadline
    after the phase's end needs a written reason (services.deadline_reason_check)."""
    return overdue_q(today) & Q(task__inspection__round__level=Round.Level.COUNTY)


def task_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    return scope.institutions(
        RectificationTask.objects.select_related("institution__county"),
        permission,
        path="institution",
        round_path="inspection__round",
    )


def county_progress(*, scope: Scope, region_prefix: str) -> dict:
    """Screened / total institutions and the problem funnel for one region, in scope."""
    institutions = scope.institutions(Institution.objects.all(), "inspections.view").filter(
        county__code__startswith=region_prefix, status=Institution.Status.OPERATING
    )
    screened = (
        inspection_list(scope=scope)
        .filter(
            status=Inspection.Status.SUBMITTED, round__level="county", institution__in=institutions
        )
        .values("institution")
        .distinct()
        .count()
    )
    # A problem withdrawn by an amendment was never one: it counts nowhere.
    findings = (
        finding_list(scope=scope)
        .filter(task__institution__county__code__startswith=region_prefix)
        .exclude(status=Finding.Status.WITHDRAWN)
    )
    funnel = findings.aggregate(
        found=Count("id"),
        reported=Count("id", filter=Q(status=Finding.Status.REPORTED)),
        closed=Count("id", filter=Q(status=Finding.Status.CLOSED)),
        overdue=Count("id", filter=overdue_q()),
        major=Count("id", filter=Q(severity="major")),
    )
    return {"total": institutions.count(), "screened": screened, **funnel}
