"""Every read of fee supervision, through the scope: charges, violations, refunds, figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from accounts.scope import Scope
from inspections.models import Finding
from inspections.selectors import finding_list
from inspections.selectors import overdue_q as finding_overdue_q

from .models import FeeRecord, FeeViolation, Refund

ZERO = Decimal("0.00")
# Ledger status filters beyond the stored states (fees/filters.py): not yet closed (open or
# reported), and past the deadline while not closed.
UNSETTLED, OVERDUE = "unsettled", "overdue"


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
        FeeViolation.objects.select_related("record", "institution__county"),
        permission,
        path="institution",
    )


def with_refunded(violations: QuerySet) -> QuerySet:
    """Each violation with what has been refunded on its charge so far (yuan).

    A subquery per row shown, not Sum() over a join: the aggregate grouped every violation
    in scope (164,000 at national scale, sorted on disk) before the page's LIMIT."""
    refunded = (
        Refund.objects.filter(record_id=OuterRef("record_id"))
        .order_by()
        .values("record_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return violations.annotate(
        refunded=Subquery(refunded, output_field=DecimalField(max_digits=12, decimal_places=2))
    )


def refund_list(*, scope: Scope, permission: str = "fees.view") -> QuerySet:
    scope.require(permission)
    return scope.institutions(
        Refund.objects.select_related("record__institution", "recorded_by"),
        permission,
        path="record__institution",
    )


def overdue_q() -> Q:
    return Q(deadline__lt=timezone.localdate()) & ~Q(status__in=FeeViolation.DONE)


def violation_figures(violations: QuerySet) -> dict:
    """The figures of exactly these violations (a filtered ledger): how many, on how many
    charges, the yuan above the limits (each charge once, at its largest excess) and the yuan
    refunded on those charges."""
    plain = violations.order_by()
    per_record = plain.values("record_id").annotate(largest=Max("excess"))
    refunded = Refund.objects.filter(record_id__in=plain.values("record_id")).aggregate(
        total=Sum("amount")
    )["total"]
    return {
        "violations": plain.count(),
        "violating_charges": len(per_record),
        "over_limit_amount": sum((row["largest"] for row in per_record), start=ZERO),
        "refunded_amount": refunded or ZERO,
    }


def fee_figures(scope: Scope, region_prefix: str = "") -> dict:
    """The dashboard figures for one region (a code prefix: "14", "1401", "140105"; "" = all).

    charges: charges in scope; checked: those the rule table has been applied to;
    violations and by_rule: live violations (withdrawn ones never were); over_limit: yuan
    above the limits, each charge counted once at its largest excess (a charge over both the
    period and the hours limit is one sum of money, not two); refunded: yuan refunded.
    open: violations not yet closed (open or reported), the ledger's list with
    `status=<open_filter>`; overdue: those past their deadline, `status=overdue`.
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
        .filter(institution__county__code__startswith=prefix)
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
        "open_filter": UNSETTLED,
    }


# The checklist's §五 items (明码标价, 体外循环, 价格欺诈、虚假宣传…) are found on site by
# inspections; they belong on the fee ledger beside the charges the rule table flagged.
FEE_SECTION = "五"


def fee_findings(*, scope: Scope, region_prefix: str, params=None) -> QuerySet:
    """Section-五 problems found at inspections, in scope and region, for the fee ledger.

    Narrowed like the ledger: words match the institution's name; 未销号 / the shared
    status names select by status. A rule filter (the rule table's own) lists none.
    """
    params = params or {}
    qs = (
        finding_list(scope=scope)
        .filter(section=FEE_SECTION, task__institution__county__code__startswith=region_prefix)
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("item", "task__institution__county")
        .order_by("task__institution__county_id", "task__institution__name", "id")
    )
    if params.get("rule"):
        return qs.none()
    if words := (params.get("q") or "").strip():
        qs = qs.filter(task__institution__name__icontains=words)
    status = params.get("status") or ""
    if status == "unsettled":
        qs = qs.filter(status__in=[Finding.Status.OPEN, Finding.Status.REPORTED])
    elif status == "overdue":
        qs = qs.filter(finding_overdue_q())
    elif status in Finding.Status.values:
        qs = qs.filter(status=status)
    return qs
