"""Reads for inspections and the problem list, always through the scope."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.scope import Scope
from institutions.models import Institution

from .models import Finding, Inspection, RectificationTask


def inspection_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    return scope.institutions(
        Inspection.objects.select_related("institution__county", "round", "created_by"),
        permission,
        path="institution",
    )


def finding_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    """The problem list: findings in the user's regions and in the sections they own."""
    qs = scope.institutions(
        Finding.objects.select_related("task__institution__county", "item"),
        permission,
        path="task__institution",
    )
    return qs.filter(section__in=scope.sections(permission))


def overdue_q(today=None) -> Q:
    """A problem is overdue when its task's deadline has passed and it is not closed."""
    today = today or timezone.localdate()
    return Q(task__deadline__lt=today) & ~Q(status=Finding.Status.CLOSED)


def task_list(*, scope: Scope, permission: str = "inspections.view") -> QuerySet:
    return scope.institutions(
        RectificationTask.objects.select_related("institution__county"),
        permission,
        path="institution",
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
    findings = finding_list(scope=scope).filter(
        task__institution__county__code__startswith=region_prefix
    )
    funnel = findings.aggregate(
        found=Count("id"),
        reported=Count("id", filter=Q(status=Finding.Status.REPORTED)),
        closed=Count("id", filter=Q(status=Finding.Status.CLOSED)),
        overdue=Count("id", filter=overdue_q()),
        major=Count("id", filter=Q(severity="major")),
    )
    return {"total": institutions.count(), "screened": screened, **funnel}
