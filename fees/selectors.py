"""Every read of fee supervision, through the scope: charges, violations, refunds, figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.scope import Scope
from institutions.models import ImportRun

from .importer import IMPORT_PERMISSION, KIND
from .models import FeeRecord, FeeViolation, Refund

ZERO = Decimal("0.00")


def fee_record_list(*, scope: Scope, permission: str = "fees.view") -> QuerySet:
    scope.require(permission)
    live = FeeViolation.objects.exclude(status=FeeViolation.Status.WITHDRAWN).order_by("rule")
    return scope.institutions(
        FeeRecord.objects.select_related("institution__county").prefetch_related(
            Prefetch("violations", queryset=live, to_attr="live_violations")
        ),
        permission,
        path="institution",
    )


def fee_violation_list(*, scope: Scope, permission: str = "fees.view") -> QuerySet:
    scope.require(permission)
    return scope.institutions(
        FeeViolation.objects.select_related("record__institution__county"),
        permission,
        path="record__institution",
    )


def with_refunded(violations: QuerySet) -> QuerySet:
    """Each violation with what has been refunded on its charge so far (yuan)."""
    return violations.annotate(refunded=Sum("record__refunds__amount"))


def refund_list(*, scope: Scope, permission: str = "fees.view") -> QuerySet:
    scope.require(permission)
    return scope.institutions(
        Refund.objects.select_related("record__institution", "recorded_by"),
        permission,
        path="record__institution",
    )


def overdue_q() -> Q:
    return Q(deadline__lt=timezone.localdate()) & ~Q(status__in=FeeViolation.DONE)


def import_run_list(*, scope: Scope, user) -> QuerySet:
    """A fee import run is its uploader's own, as the register's runs are."""
    scope.require(IMPORT_PERMISSION)
    scope.require("fees.view")
    return ImportRun.objects.filter(created_by=user, kind=KIND).select_related("created_by")


def fee_figures(scope: Scope, region_prefix: str = "") -> dict:
    """The dashboard figures for one region (a code prefix: "14", "1401", "140105"; "" = all).

    charges: charges in scope; checked: those the rule table has been applied to;
    violations and by_rule: live violations (withdrawn ones never were); over_limit: yuan
    above the limits, each charge counted once at its largest excess (a charge over both the
    period and the hours limit is one sum of money, not two); refunded: yuan refunded.
    """
    prefix = region_prefix or ""
    records = fee_record_list(scope=scope).filter(institution__county__code__startswith=prefix)
    counts = records.aggregate(
        charges=Count("id"),
        checked=Count("id", filter=Q(checked_at__isnull=False)),
        charged=Sum("amount"),
    )
    violations = (
        fee_violation_list(scope=scope)
        .filter(record__institution__county__code__startswith=prefix)
        .exclude(status=FeeViolation.Status.WITHDRAWN)
    )
    plain = violations
    by_rule = {rule: 0 for rule in FeeViolation.Rule.values}
    for row in plain.order_by().values("rule").annotate(n=Count("id")):
        by_rule[row["rule"]] = row["n"]
    per_record = plain.order_by().values("record_id").annotate(largest=Max("excess"))
    over_limit = sum((row["largest"] for row in per_record), start=ZERO)
    status_counts = plain.aggregate(
        open=Count("id", filter=~Q(status__in=FeeViolation.DONE)),
        closed=Count("id", filter=Q(status=FeeViolation.Status.CLOSED)),
        overdue=Count("id", filter=overdue_q()),
    )
    refunded = (
        refund_list(scope=scope)
        .filter(record__institution__county__code__startswith=prefix)
        .aggregate(total=Sum("amount"))["total"]
    )
    return {
        "charges": counts["charges"],
        "checked": counts["checked"],
        "charged_amount": counts["charged"] or ZERO,
        "violations": sum(by_rule.values()),
        "violating_charges": len(per_record),
        "by_rule": by_rule,
        "over_limit_amount": over_limit,
        "refunded_amount": refunded or ZERO,
        **status_counts,
    }
