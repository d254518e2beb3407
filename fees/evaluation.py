"""Applying the campaign's rule table to stored charges: violations found, changed, withdrawn.

The same step runs when charges are imported or entered and when the rule table changes
(`fee_records_reevaluate`). The rule for a charge is the active campaign's FeeRule for the
institution's category in the institution's province; without one the charge stays
unchecked (`checked_at` empty) rather than being guessed compliant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from campaign.models import FEE_RECTIFY_DAYS_DEFAULT, Campaign, FeeRule
from core.models import province_of
from tabular.bulk import insert_with_history

from . import rules
from .changes import fees_changed
from .models import FeeRecord, FeeViolation


def current_campaigns():
    """The campaign whose rules apply in each province: its newest active one."""
    seen: set[str] = set()
    for campaign in Campaign.objects.filter(is_active=True).order_by("-starts_on", "-id"):
        if campaign.province_id in seen:
            continue
        seen.add(campaign.province_id)
        yield campaign


class RuleTable:
    """The fee rule per (province, category), fetched once.

    By default the rules of each province's newest active campaign; with `campaign`, that
    campaign's rules only (a re-check after its rule table was edited).
    """

    def __init__(self, campaign: Campaign | None = None):
        self._rules: dict[tuple[str, str], FeeRule] = {}
        # Days to refund or rectify from the day a violation is found: the campaign's setting.
        self._days: dict[str, int] = {}
        campaigns = [campaign] if campaign is not None else current_campaigns()
        for campaign in campaigns:
            self._days[campaign.province_id] = campaign.fee_rectify_days
            for rule in campaign.fee_rules.all():
                self._rules[(campaign.province_id, rule.category)] = rule

    def for_institution(self, institution) -> FeeRule | None:
        return self._rules.get((province_of(institution.county_id), institution.category))

    def deadline_for(self, institution, today: dt.date) -> dt.date:
        days = self._days.get(province_of(institution.county_id), FEE_RECTIFY_DAYS_DEFAULT)
        return today + dt.timedelta(days=days)


@dataclass
class Changes:
    """What an evaluation did, as (record id, rule) pairs."""

    found: list[tuple[int, str]] = field(default_factory=list)
    restored: list[tuple[int, str]] = field(default_factory=list)
    changed: list[tuple[int, str]] = field(default_factory=list)
    withdrawn: list[tuple[int, str]] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)
    checked: int = 0
    unchecked: int = 0

    @property
    def any(self) -> bool:
        return bool(self.found or self.restored or self.changed or self.withdrawn or self.closed)

    def summary(self) -> dict:
        by_rule = {}
        for name in ("found", "restored", "changed", "withdrawn", "closed"):
            counts: dict[str, int] = {}
            for _record, rule in getattr(self, name):
                counts[rule] = counts.get(rule, 0) + 1
            by_rule[name] = counts
        return {"checked": self.checked, "unchecked": self.unchecked, **by_rule}

    def describe(self) -> str:
        """One Chinese line saying what changed."""
        if not self.any:
            return _("共核查 %(n)d 条收费记录，违规情况没有变化") % {"n": self.checked}
        parts = [_("共核查 %(n)d 条收费记录") % {"n": self.checked}]
        labels = dict(FeeViolation.Rule.choices)
        for name, label in (
            ("found", _("新发现违规")),
            ("restored", _("恢复违规")),
            ("changed", _("应退金额变化")),
            ("withdrawn", _("不再违规（撤销）")),
            ("closed", _("退费已足额（销号）")),
        ):
            pairs = getattr(self, name)
            if pairs:
                counts = self.summary()[name]
                detail = "、".join(f"{labels[r]} {n}" for r, n in sorted(counts.items()))
                parts.append(
                    _("%(label)s %(n)d 条（%(detail)s）")
                    % {"label": label, "n": len(pairs), "detail": detail}
                )
        return "；".join(parts)


@transaction.atomic
def evaluate_records(
    records: Iterable[FeeRecord], *, actor, table: RuleTable | None = None, fresh: bool = False
) -> Changes:
    """Bring each record's violations in line with the rule table.

    `fresh` says the records were just created and have no violations or refunds yet,
    which lets a 1,000-row import skip the per-record reads and insert in one COPY.
    Closed violations are settled and never touched; open and reported ones are updated
    or withdrawn; withdrawn ones come back when the charge breaks the rule again.
    """
    table = table or RuleTable()
    changes = Changes()
    now = timezone.now()
    today = timezone.localdate()
    to_create: list[FeeViolation] = []
    checked_ids: list[int] = []
    refunded: list[FeeRecord] = []
    counties: set[str] = set()
    for record in records:
        counties.add(record.institution.county_id)
        rule = table.for_institution(record.institution)
        if rule is None:
            changes.unchecked += 1
            continue
        changes.checked += 1
        checked_ids.append(record.pk)
        breaches = {b.rule: b for b in rules.evaluate(rule, record.charge())}
        deadline = table.deadline_for(record.institution, today)
        existing = {} if fresh else {v.rule: v for v in record.violations.all()}
        for name, breach in breaches.items():
            violation = existing.get(name)
            if violation is None:
                to_create.append(
                    FeeViolation(
                        record_id=record.pk,
                        institution_id=record.institution_id,
                        rule=name,
                        limit=breach.limit,
                        actual=breach.actual,
                        excess=breach.excess,
                        deadline=deadline,
                        status=FeeViolation.Status.OPEN,
                        found_at=now,
                    )
                )
                changes.found.append((record.pk, name))
                continue
            if violation.status == FeeViolation.Status.CLOSED:
                continue
            same = (violation.limit, violation.actual, violation.excess) == (
                breach.limit,
                breach.actual,
                breach.excess,
            )
            if violation.status == FeeViolation.Status.WITHDRAWN:
                violation.status = FeeViolation.Status.OPEN
                violation.deadline = deadline
                changes.restored.append((record.pk, name))
            elif same:
                continue
            else:
                changes.changed.append((record.pk, name))
            violation.limit, violation.actual, violation.excess = (
                breach.limit,
                breach.actual,
                breach.excess,
            )
            violation._history_user = actor
            violation._change_reason = _("收费规则核查")
            violation.save()
        for name, violation in existing.items():
            if name not in breaches and violation.status not in FeeViolation.DONE:
                violation.status = FeeViolation.Status.WITHDRAWN
                violation._history_user = actor
                violation._change_reason = _("收费规则调整后不再违规")
                violation.save()
                changes.withdrawn.append((record.pk, name))
        if not fresh and record.refunds.exists():
            refunded.append(record)
    insert_with_history(to_create, FeeViolation, user=actor, reason=_("收费规则核查"))
    # After the insert: a violation found just now may already be covered by the refunds.
    for record in refunded:
        changes.closed.extend((record.pk, r) for r in close_if_refunded(record, actor=actor))
    if checked_ids:
        FeeRecord.objects.filter(pk__in=checked_ids).update(checked_at=now)
    fees_changed(counties)
    return changes


def close_if_refunded(record: FeeRecord, *, actor) -> list[str]:
    """Close every open violation of the charge whose required refund is now covered.

    The violations are read locked, so a report or close happening at the same moment
    (fees/services.py, which locks them too) is not overwritten with what was read before.
    """
    refunded = sum((r.amount for r in record.refunds.all()), start=rules.FEN * 0)
    closed = []
    pending = record.violations.select_for_update().exclude(status__in=FeeViolation.DONE)
    for violation in pending.order_by("pk"):
        if refunded >= violation.excess:
            violation.status = FeeViolation.Status.CLOSED
            violation.closure = FeeViolation.Closure.REFUNDED
            violation.closed_at = timezone.now()
            violation.closed_by = actor
            violation.close_note = _("累计退费 %(sum)s 元，已覆盖应退金额 %(due)s 元") % {
                "sum": refunded,
                "due": violation.excess,
            }
            violation._history_user = actor
            violation.save()
            closed.append(violation.rule)
    return closed


def open_records(campaign: Campaign):
    """The charges the campaign's rules decide: every charge in its province.

    Settled decisions are kept one violation at a time: evaluate_records never touches a
    closed violation, while the charge's other violations are still updated, withdrawn
    or found.
    """
    return (
        FeeRecord.objects.filter(institution__county__code__startswith=campaign.province_id[:2])
        .select_related("institution")
        .prefetch_related("violations", "refunds")
        .order_by("pk")
    )


@transaction.atomic
def fee_records_reevaluate(*, campaign: Campaign, actor) -> Changes:
    """After the campaign's rule table changed: re-check its charges with its rules and say
    what changed.

    Called by `manage.py reevaluate_fees` and, through the campaign's `fee_rules_changed`
    signal, by the fee-rule page in the transaction that saves the rules.
    """
    changes = evaluate_records(
        open_records(campaign).iterator(chunk_size=2000),
        actor=actor,
        table=RuleTable(campaign),
    )
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        obj=campaign,
        reason=_("收费规则变更后重新核查收费记录"),
        detail=changes.summary(),
    )
    return changes


def on_fee_rules_changed(sender, *, campaign: Campaign, actor, **kwargs) -> Changes:
    """The campaign's fee rule table was saved (campaign.signals): re-check at once."""
    return fee_records_reevaluate(campaign=campaign, actor=actor)
