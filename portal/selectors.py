"""The institution side's reads: only ever the one institution of the signed-in account
(`Scope.own_institution`), and only what an institution may read of the officials' records —
the problem, its requirement and deadline, the re-inspection's opinion (复查意见, which
tells it why a problem came back); never the inspection record's remarks."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.scope import Scope
from fees.models import FeeRecord
from inspections.models import Finding
from institutions.models import Institution
from personnel.models import StaffMember


def own_institution(*, scope: Scope) -> Institution | None:
    """The account's institution, or None when the account acts for none (its link removed)."""
    own = scope.own_institution()
    if own is None:
        return None
    return Institution.objects.select_related("county__parent").filter(pk=own).first()


def own_problems(*, scope: Scope) -> QuerySet[Finding]:
    """The problems found at the institution's premises, newest inspection first; a problem
    an amendment corrected away (已撤销) was never one and is left out."""
    own = scope.own_institution()
    if own is None:
        return Finding.objects.none()
    return (
        Finding.objects.filter(task__institution_id=own)
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("item", "task", "task__inspection")
        .order_by("-task__inspection__submitted_at", "item__code", "pk")
    )


def own_staff(*, scope: Scope) -> QuerySet[StaffMember]:
    own = scope.own_institution()
    if own is None:
        return StaffMember.objects.none()
    return StaffMember.objects.filter(institution_id=own)


def own_fee_records(*, scope: Scope) -> QuerySet[FeeRecord]:
    own = scope.own_institution()
    if own is None:
        return FeeRecord.objects.none()
    return FeeRecord.objects.filter(institution_id=own).prefetch_related("violations")
