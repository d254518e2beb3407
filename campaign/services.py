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
from institutions.models import Region

from .models import Campaign, ChecklistItem, ChecklistTemplate, FeeRule, Phase, PublicityActivity

DATA = Path(__file__).parent / "data"

# 晋教安稳函〔2023〕51号: county screening by 30 Nov, city spot checks by early December,
# province supervision by mid-December, city summaries by 20 Dec.
DEADLINES_2023 = {
    Phase.Kind.COUNTY_SCREENING: dt.date(2023, 11, 30),
    Phase.Kind.CITY_SPOT_CHECK: dt.date(2023, 12, 10),
    Phase.Kind.PROVINCE_SUPERVISION: dt.date(2023, 12, 20),
    Phase.Kind.CITY_SUMMARY: dt.date(2023, 12, 20),
}
# MISSION.md, fee rules: subject > 3 months or > 60 hours; non-subject > 5,000.00 yuan in
# one charge plus the same 3-month / 60-hour cap (2022 national opinion).
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


@transaction.atomic
def checklist_load(*, campaign: Campaign, path: Path) -> ChecklistTemplate:
    """A new template version from a JSON file; earlier versions stay as they were."""
    data = json.loads(path.read_text(encoding="utf-8"))
    latest = campaign.checklists.order_by("-version").first()
    template = ChecklistTemplate.objects.create(
        campaign=campaign, name=data["name"], version=(latest.version + 1) if latest else 1
    )
    campaign.checklists.exclude(pk=template.pk).update(is_active=False)
    fields = {f.name for f in ChecklistItem._meta.concrete_fields}
    items = [
        ChecklistItem(
            template=template, order=index, **{k: v for k, v in item.items() if k in fields}
        )
        for index, item in enumerate(data["items"])
    ]
    for item in items:
        item.full_clean(exclude=["template"])
    ChecklistItem.objects.bulk_create(items)
    return template


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor,
    scope: Scope,
    deadlines: dict[str, dt.date],
    quotas: dict[str, Decimal],
    escalate_days: int,
) -> Campaign:
    """Province admin edits deadlines and quotas; each change is history and an audit event."""
    scope.require("campaign.manage")
    if not scope.covers_region("campaign.manage", campaign.province_id):
        raise ValidationError(_("只能修改本省的专项行动"))
    errors = {}
    for name, value in quotas.items():
        if not (Decimal("0") < value <= Decimal("1")):
            errors[name] = _("比例应在 0 到 100% 之间")
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
    for kind, day in deadlines.items():
        Phase.objects.update_or_create(campaign=campaign, kind=kind, defaults={"deadline": day})
    for name, value in quotas.items():
        setattr(campaign, name, value)
    campaign.escalate_to_city_after_days = escalate_days
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
