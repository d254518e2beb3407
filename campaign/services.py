"""Writes for campaigns: the default 2023 campaign as data, and edits by the province admin."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope
from core.models import Region
from core.text import control_character_message

from .models import (
    QUOTA_MINIMUMS,
    Campaign,
    ChecklistItem,
    ChecklistTemplate,
    FeeRule,
    Phase,
    PublicityActivity,
)

DATA = Path(__file__).parent / "data"

# 晋教安稳函〔2023〕51号: county screening by 30 Nov, city spot checks by early December,
# province supervision by mid-December, city summaries by 20 Dec.
DEADLINES_2023 = {
    Phase.Kind.COUNTY_SCREENING: dt.date(2023, 11, 30),
    Phase.Kind.CITY_SPOT_CHECK: dt.date(2023, 12, 10),
    Phase.Kind.PROVINCE_SUPERVISION: dt.date(2023, 12, 20),
    Phase.Kind.CITY_SUMMARY: dt.date(2023, 12, 20),
}
# Fee rules: subject > 3 months or > 60 hours (the notice, 三(五)); non-subject > 5,000.00
# yuan in one charge (the notice) plus the same 3-month / 60-hour cap, which is not the
# notice's but the 2022 national opinion's (教育部等十三部门《关于规范面向中小学生的
# 非学科类校外培训的意见》); the campaign page's fee table marks that cap ※ with its source
# (templates/campaign/campaign_detail.html, data-testid "fee-sources").
FEE_RULES_2023 = [
    {"category": "subject", "max_months": 3, "max_hours": 60, "max_amount": None},
    {"category": "non_subject", "max_months": 3, "max_hours": 60, "max_amount": Decimal("5000.00")},
]


@transaction.atomic
def campaign_seed_2023(*, province_code: str = "140000", year: int = 2023) -> tuple[Campaign, bool]:
    """The 2023 "安全守护" campaign with its phases, fee rules and checklist. Re-runnable.

    `year` moves its dates (1 Nov – 31 Dec, deadlines 30 Nov … 20 Dec) to another year: the
    demo uses the current season so the campaign clock has deadlines to chase.
    """
    province = Region.objects.filter(code=province_code, level=Region.Level.PROVINCE).first()
    if province is None:
        raise ValidationError(
            _("未找到省级行政区划 %(code)s，请先运行 load_regions") % {"code": province_code}
        )
    campaign, created = Campaign.objects.get_or_create(
        province=province,
        name="中小学生校外培训“安全守护”专项行动",
        starts_on=dt.date(year, 11, 1),
        defaults={"ends_on": dt.date(year, 12, 31), "document_number": "晋教安稳函〔2023〕51号"},
    )
    if not created:
        return campaign, False
    Phase.objects.bulk_create(
        [
            Phase(campaign=campaign, kind=kind, deadline=day.replace(year=year))
            for kind, day in DEADLINES_2023.items()
        ]
    )
    FeeRule.objects.bulk_create([FeeRule(campaign=campaign, **rule) for rule in FEE_RULES_2023])
    checklist_load(campaign=campaign, path=DATA / "checklist_2023.json")
    return campaign, True


# A limit in the JSON file: {"min": 3} (不少于), {"max": 6} (不超过), or both.
LIMIT_KINDS = {"min": "limit_min", "max": "limit_max"}


def _limit_number(raw) -> Decimal | None:
    """A limit the item's column holds exactly (two decimals, under ten digits), or None."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        return None
    if not value.is_finite() or abs(value) >= 10**10 or value.as_tuple().exponent < -2:
        return None
    return value


def _item_limits(item: dict) -> tuple[dict, list[str]]:
    """The limit fields of one item of the JSON file, and what is wrong with them.

    Checked before anything is written: a limit the officer cannot rely on must stop the
    load with the item named, never become a number item that judges nothing."""
    code = str(item.get("code", ""))[:16]
    raw = item.get("limit")
    if raw is None:
        return {}, []
    if not isinstance(raw, dict) or not raw:
        return {}, [
            _(
                '检查项 %(code)s 的限值格式不正确，应写作 {"min": 3}（不少于）或 {"max": 6}（不超过）'
            )
            % {"code": code}
        ]
    errors, fields = [], {}
    for kind, value in raw.items():
        if kind not in LIMIT_KINDS:
            errors.append(
                _("检查项 %(code)s 的限值类型“%(kind)s”无效，只能是 min（不少于）或 max（不超过）")
                % {"code": code, "kind": json.dumps(kind, ensure_ascii=False)[:20]}
            )
            continue
        number = _limit_number(value)
        if number is None:
            errors.append(
                _(
                    "检查项 %(code)s 的限值 %(value)s 不是有效数字（最多两位小数，绝对值小于 100 亿）"
                )
                % {"code": code, "value": json.dumps(value, ensure_ascii=False)[:20]}
            )
            continue
        fields[LIMIT_KINDS[kind]] = number
    low, high = fields.get("limit_min"), fields.get("limit_max")
    if low is not None and high is not None and low > high:
        errors.append(
            _("检查项 %(code)s 的下限 %(low)s 大于上限 %(high)s")
            % {"code": code, "low": low, "high": high}
        )
    if item.get("answer_type") != ChecklistItem.AnswerType.NUMBER:
        errors.append(
            _("检查项 %(code)s 不是数值项，不能设置限值（只有 answer_type 为 number 的检查项可以）")
            % {"code": code}
        )
    if not str(item.get("unit") or "").strip():
        errors.append(_("检查项 %(code)s 设置了限值，须填写单位（unit）") % {"code": code})
    return fields, errors


@transaction.atomic
def checklist_load(*, campaign: Campaign, path: Path) -> ChecklistTemplate:
    """A new template version from a JSON file; earlier versions stay as they were.

    Loading never changes a version in place: inspections keep the items they were
    answered against. Every item's limit is checked before anything is written."""
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = {f.name for f in ChecklistItem._meta.concrete_fields} - {"limit_min", "limit_max"}
    rows, errors = [], []
    for index, item in enumerate(data["items"]):
        limits, wrong = _item_limits(item)
        errors += wrong
        rows.append((index, item, limits))
    if errors:
        raise ValidationError(errors)
    latest = campaign.checklists.order_by("-version").first()
    template = ChecklistTemplate.objects.create(
        campaign=campaign, name=data["name"], version=(latest.version + 1) if latest else 1
    )
    campaign.checklists.exclude(pk=template.pk).update(is_active=False)
    items = [
        ChecklistItem(
            template=template,
            order=index,
            **{k: v for k, v in item.items() if k in fields},
            **limits,
        )
        for index, item, limits in rows
    ]
    for item in items:
        item.full_clean(exclude=["template"])
    ChecklistItem.objects.bulk_create(items)
    return template


# The campaign's own time limits, in days, with the bounds the edit page accepts.
DAY_LIMITS = {
    "dismissal_days": (1, 90),
    "fee_rectify_days": (1, 180),
    "minor_referral_days": (1, 30),
}
QUOTA_REASON_MAX = 1000


def _check_quota_reason(quotas: dict[str, Decimal], reason: str, errors: dict) -> str:
    """The reason kept with the campaign: required when a ratio is below the notice's
    minimum, dropped when none is (nothing left to explain)."""
    reason = (reason or "").strip()
    if message := control_character_message(reason, multiline=True):
        errors["quota_reason"] = message
        return ""
    if len(reason) > QUOTA_REASON_MAX:
        errors["quota_reason"] = _("理由不能超过 %(n)d 字") % {"n": QUOTA_REASON_MAX}
        return ""
    below = [
        name for name, value in quotas.items() if name in QUOTA_MINIMUMS and (
            value < QUOTA_MINIMUMS[name])
    ]  # fmt: skip
    if below and not reason:
        for name in below:
            errors[name] = _(
                "%(what)s低于通知（晋教安稳函〔2023〕51号）要求的 %(minimum)s%%；"
                "确需降低的，请填写理由"
            ) % {
                "what": Campaign._meta.get_field(name).verbose_name,
                "minimum": f"{float(QUOTA_MINIMUMS[name] * 100):g}",
            }
    return reason if below else ""


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor,
    scope: Scope,
    deadlines: dict[str, dt.date],
    quotas: dict[str, Decimal],
    escalate_days: int,
    days: dict[str, int] | None = None,
    quota_reason: str = "",
) -> Campaign:
    """Province admin edits deadlines, quotas and time limits (`days`: DAY_LIMITS' names);
    each change is history and an audit event. A ratio below the notice's minimum needs
    `quota_reason`, which is kept with the campaign and shown on its page."""
    scope.require("campaign.manage")
    if not scope.covers_region("campaign.manage", campaign.province_id):
        raise ValidationError(_("只能修改本省的专项行动"))
    errors = {}
    for name, value in quotas.items():
        if not (Decimal("0") < value <= Decimal("1")):
            errors[name] = _("比例应在 0 到 100% 之间")
    reason = _check_quota_reason(quotas, quota_reason, errors)
    days = days or {}
    for name, value in days.items():
        low, high = DAY_LIMITS[name]
        if not (isinstance(value, int) and low <= value <= high):
            errors[name] = _("%(what)s应为 %(low)d 至 %(high)d 的整数") % {
                "what": Campaign._meta.get_field(name).verbose_name,
                "low": low,
                "high": high,
            }
    ordered = [
        deadlines.get(k)
        for k in (
            Phase.Kind.COUNTY_SCREENING,
            Phase.Kind.CITY_SPOT_CHECK,
            Phase.Kind.PROVINCE_SUPERVISION,
        )
    ]
    if all(ordered) and not (ordered[0] <= ordered[1] <= ordered[2]):
        errors["deadlines"] = _("截止日期应依次为：县级排查 ≤ 市级抽查 ≤ 省级督导")
    if errors:
        raise ValidationError(errors)
    before = {p.kind: p.deadline for p in campaign.phases.all()}
    days_before = {name: getattr(campaign, name) for name in DAY_LIMITS}
    reason_before = campaign.quota_reason
    for kind, day in deadlines.items():
        Phase.objects.update_or_create(campaign=campaign, kind=kind, defaults={"deadline": day})
    for name, value in quotas.items():
        setattr(campaign, name, value)
    for name, value in days.items():
        setattr(campaign, name, value)
    campaign.quota_reason = reason
    campaign.escalate_to_city_after_days = escalate_days
    campaign._history_user = actor
    campaign.save()
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        obj=campaign,
        reason=_("修改专项行动的截止日期和抽查比例"),
        detail={
            "deadlines_before": {k: v.isoformat() for k, v in before.items()},
            "deadlines_after": {k: v.isoformat() for k, v in deadlines.items()},
            "quotas": {k: str(v) for k, v in quotas.items()},
            "days_before": days_before,
            "days_after": {name: getattr(campaign, name) for name in DAY_LIMITS},
            "quota_reason_before": reason_before,
            "quota_reason": reason,
        },
    )
    return campaign


@transaction.atomic
def publicity_create(*, actor, scope: Scope, campaign: Campaign, **fields) -> PublicityActivity:
    """Record one publicity activity in a county inside the actor's scope."""
    from .models import PublicityActivity

    county = fields.get("county")
    if county is None or not scope.covers_region("inspections.change", county.code):
        raise ValidationError({"county": _("所选县区不在您的管辖范围内")})
    if county.code[:2] != campaign.province_id[:2]:
        raise ValidationError({"county": _("县区不属于该专项行动所在的省")})
    activity = PublicityActivity(campaign=campaign, created_by=actor, **fields)
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def fee_rules_update(
    *, campaign: Campaign, actor, scope: Scope, rules: dict[str, dict]
) -> list[FeeRule]:
    """Change the fee limits (the rule table). [complaints-fees] re-evaluates open records."""
    scope.require("campaign.manage")
    if not scope.covers_region("campaign.manage", campaign.province_id):
        raise ValidationError(_("只能修改本省的专项行动"))
    before = {
        r.category: (r.max_months, r.max_hours, r.max_amount) for r in campaign.fee_rules.all()
    }
    saved = []
    for category, limits in rules.items():
        rule, _created = FeeRule.objects.update_or_create(
            campaign=campaign, category=category, defaults=limits
        )
        saved.append(rule)
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        obj=campaign,
        reason=_("修改收费规则"),
        detail={
            "before": {
                k: [str(v) if v is not None else None for v in vals] for k, vals in before.items()
            },
            "after": {
                k: {n: str(v) if v is not None else None for n, v in lim.items()}
                for k, lim in rules.items()
            },
        },
    )
    return saved
