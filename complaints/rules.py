"""How fast each category of case must be handled (处置时限), per province.

A case's deadline, and its referral's receipt and feedback dates, are fixed when they are
set (`services.case_create`, `case_triage`, `referral_create`) from the rule in force then:
a changed rule applies to the cases that come after it, never to the ones already running.
The migration seeds one row per category for every province (province empty); a province's
own row, saved on the rules page by whoever manages its campaigns, takes its place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope
from core.models import Region, province_of

from .models import Category, CategoryRule

# category → (response hours, police receipt hours, police feedback days): the seeded rows,
# and the rule when even those are missing. Suspected offences against minors: 24 hours, as
# the notice asks ("quickly").
DEFAULT_RULES = {
    Category.MINOR_OFFENCE: (24, 24, 15),
    Category.SAFETY: (72, 48, 15),
    Category.FEES: (168, 48, 30),
    Category.ADVERTISING: (168, 48, 30),
    Category.UNLICENSED: (120, 48, 30),
    Category.OTHER: (240, 48, 30),
}

MANAGE = "campaign.manage"


@dataclass(frozen=True)
class Limit:
    field: str
    low: int
    high: int


# Whole numbers within these bounds: a month to answer, a week for the police's receipt,
# a quarter for their feedback.
LIMITS = (
    Limit("response_hours", 1, 720),
    Limit("referral_ack_hours", 1, 168),
    Limit("referral_feedback_days", 1, 90),
)
FIELDS = tuple(limit.field for limit in LIMITS)
_WHOLE = re.compile(r"[0-9]{1,4}")


def rule_for(category: str, county_code: str = "") -> CategoryRule:
    """The rule in force for a case of this category in this county: its province's own
    row, else the common row, else DEFAULT_RULES."""
    here = Q(province__isnull=True)
    if county_code:
        here |= Q(province_id=province_of(county_code))
    rule = (
        CategoryRule.objects.filter(here, category=category)
        .order_by(F("province").asc(nulls_last=True))
        .first()
    )
    return rule or _default(category)


def _default(category: str) -> CategoryRule:
    hours, ack, days = DEFAULT_RULES[category]
    return CategoryRule(category=category, response_hours=hours, referral_ack_hours=ack,
                        referral_feedback_days=days)  # fmt: skip


def managed_provinces(scope: Scope) -> list[Region]:
    """Provinces whose rules this user may change: a grant of MANAGE over the whole
    province (a city-level grant does not reach a province-wide rule)."""
    codes = scope.provinces(MANAGE)
    return [
        region
        for region in Region.objects.filter(code__in=codes, level=Region.Level.PROVINCE)
        if scope.covers_region(MANAGE, region.code)
    ]


def category_rules(province: Region) -> list[CategoryRule]:
    """The rule in force for each category in this province, in the categories' order."""
    rows = CategoryRule.objects.filter(Q(province=province) | Q(province__isnull=True))
    # The province's own row first, then the common one: the first seen wins.
    found: dict[str, CategoryRule] = {}
    for rule in rows.order_by("category", F("province").asc(nulls_last=True)):
        found.setdefault(rule.category, rule)
    return [found.get(category) or _default(category) for category in Category.values]


def _checked(values: dict[str, dict[str, object]]) -> dict[str, dict[str, int]]:
    errors: dict[str, list[str]] = {}
    checked: dict[str, dict[str, int]] = {}
    labels = dict(Category.choices)
    for category in Category.values:
        given = values.get(category)
        if given is None:
            errors.setdefault("__all__", []).append(
                _("缺少“%(category)s”的时限") % {"category": labels[category]}
            )
            continue
        row = {}
        for limit in LIMITS:
            # Full-width digits (a Chinese input method) count; signs, "_" and decimals do not.
            raw = unicodedata.normalize("NFKC", str(given.get(limit.field) or "")).strip()
            number = int(raw) if _WHOLE.fullmatch(raw) else None
            if number is None or not limit.low <= number <= limit.high:
                errors.setdefault(f"{category}-{limit.field}", []).append(
                    _("“%(category)s”的%(what)s应为 %(low)s 至 %(high)s 的整数")
                    % {
                        "category": labels[category],
                        "what": CategoryRule._meta.get_field(limit.field).verbose_name,
                        "low": limit.low,
                        "high": limit.high,
                    }
                )
            else:
                row[limit.field] = number
        checked[category] = row
    if errors:
        raise ValidationError(errors)
    return checked


@transaction.atomic
def category_rules_update(
    *, province: Region, actor, scope: Scope, values: dict[str, dict[str, object]]
) -> list[CategoryRule]:
    """Save this province's time limits for every category (all or nothing). Cases already
    received keep their deadlines. Returns the rules now in force."""
    scope.require(MANAGE)
    if province not in managed_provinces(scope):
        raise PermissionDenied(_("只能修改本省的投诉处置时限"))
    checked = _checked(values)
    # One save of a province's rules at a time: the second reads what the first wrote (its
    # "before" in the log is true) instead of both inserting the same new rows.
    Region.objects.select_for_update().get(pk=province.pk)
    before = {r.category: [getattr(r, f) for f in FIELDS] for r in category_rules(province)}
    for category, row in checked.items():
        if before[category] == [row[f] for f in FIELDS]:
            continue
        rule = CategoryRule.objects.filter(category=category, province=province).first()
        rule = rule or CategoryRule(category=category, province=province)
        for field, number in row.items():
            setattr(rule, field, number)
        rule._history_user = actor
        rule._change_reason = _("修改投诉处置时限")
        rule.save()
    after = {c: [row[f] for f in FIELDS] for c, row in checked.items()}
    if after != before:
        audit_log(
            kind=AuditEvent.Kind.OTHER, actor=actor, obj=province,
            reason=_("修改投诉处置时限"), detail={"before": before, "after": after},
        )  # fmt: skip
    return category_rules(province)
