"""The fee figures of the dashboards and the fee pages, from a kept copy.

`selectors.fee_figures` adds up every charge and violation in scope on each call: at national
scale a province's 2 million charges and 164,000 violations, about 1.5 s, and even the
largest county's 70,000 charges take 0.7 s through the same joins. Here the province is
added up once, grouped by county and sector (the two things a scope narrows fee rows by),
and kept (core/kept.py); each viewer's figures are the rows of their own scope and region
from the copy, summed, with the time they were counted. Exports and the city summary keep
reading `fee_figures` live: a document's summary must agree with the rows below it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.scope import Scope
from core import kept as kept_copies
from institutions.models import Institution

from .changes import changed_key
from .models import FeeRecord, FeeViolation, Refund
from .selectors import UNSETTLED, ZERO

PERMISSION = "fees.view"
COUNTY = "institution__county_id"
SECTOR = "institution__sector"

# Each charge once, at its largest excess: a charge over both the period and the hours limit
# is one sum of money over the limits, not two (as fee_figures counts it).
LARGEST_SQL = """
SELECT i.county_id, i.sector, COUNT(*), SUM(v.largest)
FROM (SELECT record_id, institution_id, MAX(excess) AS largest FROM {violation}
      WHERE status <> %s GROUP BY record_id, institution_id) v
JOIN {institution} i ON i.id = v.institution_id
WHERE i.county_id LIKE %s
GROUP BY i.county_id, i.sector
"""


@dataclass
class FeeFacts:
    """A province's fee rows, grouped by county and sector."""

    computed_at: dt.datetime
    today: dt.date
    records: list[tuple]  # county, sector, charges, checked, charged yuan
    violations: list[tuple]  # county, sector, rule, status, n, overdue n
    charges: list[tuple]  # county, sector, violating charges, yuan over the limits
    refunds: list[tuple]  # county, sector, refunded yuan

    def within(self, scope: Scope, prefix: str) -> FeeFacts:
        """The rows of counties and sectors inside the region and the scope: the rule
        `Scope.institutions` applies to fee rows in SQL (assignments give no fee rows)."""
        seen: dict[tuple[str, str], bool] = {}

        def inside(row: tuple) -> bool:
            county, sector = row[0], row[1]
            if (county, sector) not in seen:
                seen[county, sector] = county.startswith(prefix) and scope.covers_institution(
                    PERMISSION, county_code=county, sector=sector
                )
            return seen[county, sector]

        return FeeFacts(
            computed_at=self.computed_at,
            today=self.today,
            records=[r for r in self.records if inside(r)],
            violations=[r for r in self.violations if inside(r)],
            charges=[r for r in self.charges if inside(r)],
            refunds=[r for r in self.refunds if inside(r)],
        )

    def figures(self) -> dict:
        """The shape `selectors.fee_figures` returns, plus `computed_at`."""
        by_rule = {rule: 0 for rule in FeeViolation.Rule.values}
        open_, closed, overdue = 0, 0, 0
        for _county, _sector, rule, status, n, late in self.violations:
            by_rule[rule] = by_rule.get(rule, 0) + n
            if status not in FeeViolation.DONE:
                open_ += n
            if status == FeeViolation.Status.CLOSED:
                closed += n
            overdue += late
        return {
            "charges": sum(r[2] for r in self.records),
            "checked": sum(r[3] for r in self.records),
            "charged_amount": sum((r[4] for r in self.records), start=ZERO),
            "violations": sum(by_rule.values()),
            "violating_charges": sum(r[2] for r in self.charges),
            "by_rule": by_rule,
            "over_limit_amount": sum((r[3] for r in self.charges), start=ZERO),
            "refunded_amount": sum((r[2] for r in self.refunds), start=ZERO),
            "open": open_,
            "closed": closed,
            "overdue": overdue,
            "open_filter": UNSETTLED,
            "computed_at": self.computed_at,
        }


def _yuan(value) -> Decimal:
    # SQLite (the demo) sums decimals as floats: back to yuan and fen.
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(ZERO)


def live_fee_facts(prefix: str, today: dt.date) -> FeeFacts:
    """Every fee row whose institution's county code starts with `prefix`, grouped, now."""
    computed_at = timezone.now()
    inside = {"institution__county__code__startswith": prefix}
    records = (
        FeeRecord.objects.filter(**inside)
        .order_by()
        .values_list(COUNTY, SECTOR)
        .annotate(
            charges=Count("id"),
            checked=Count("id", filter=Q(checked_at__isnull=False)),
            charged=Sum("amount"),
        )
    )
    late = Q(deadline__lt=today) & ~Q(status__in=FeeViolation.DONE)
    violations = (
        FeeViolation.objects.filter(institution__county__code__startswith=prefix)
        .exclude(status=FeeViolation.Status.WITHDRAWN)
        .order_by()
        .values_list(COUNTY, SECTOR, "rule", "status")
        .annotate(n=Count("id"), overdue=Count("id", filter=late))
    )
    refunds = (
        Refund.objects.filter(**{"record__institution__county__code__startswith": prefix})
        .order_by()
        .values_list(f"record__{COUNTY}", f"record__{SECTOR}")
        .annotate(total=Sum("amount"))
    )
    sql = LARGEST_SQL.format(
        violation=FeeViolation._meta.db_table,
        institution=Institution._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [FeeViolation.Status.WITHDRAWN, prefix + "%"])
        charges = [(c, s, n, _yuan(y)) for c, s, n, y in cursor.fetchall()]
    return FeeFacts(
        computed_at=computed_at,
        today=today,
        records=[(c, s, n, k, _yuan(y)) for c, s, n, k, y in records],
        violations=[tuple(row) for row in violations],
        charges=charges,
        refunds=[(c, s, _yuan(y)) for c, s, y in refunds],
    )


def _copy_key(province: str) -> str:
    return kept_copies.key("fees", "v2", province or "all")


def refresh_fee_figures(province: str, today: dt.date | None = None) -> FeeFacts:
    """Add up a province's fee rows ("" for every province) now and keep them."""
    return kept_copies.refresh(
        _copy_key(province),
        lambda: live_fee_facts(province, today or timezone.localdate()),
        marker=changed_key(province),
    )


def kept_fee_figures(scope: Scope, region_prefix: str = "") -> dict:
    """The figures of one region ("14", "1401", "140105"; "" = the whole scope) as the scope
    shows it, from the copy of its province, with the time they were counted."""
    scope.require(PERMISSION)
    today = timezone.localdate()
    provinces = {code[:2] for code in scope.provinces(PERMISSION)}
    if len(region_prefix) >= 2:
        province = region_prefix[:2]
    else:  # the whole scope: its province's copy, unless the grants span several
        province = provinces.pop() if len(provinces) == 1 else ""
    facts = kept_copies.read(
        _copy_key(province),
        today,
        refresh=lambda: refresh_fee_figures(province, today),
        compute=lambda: live_fee_facts(province, today),
        changed_marker=changed_key(province),
    )
    return facts.within(scope, region_prefix).figures()
