"""Writes for 查处问责: recording an action taken on an institution.

Who may record what: the action's trigger lies in checklist sections (a finding in its own,
a suspension in §一 and §二, the vetting flags in §三); the recorder must act at the
institution, with `enforcement.record`, for a department that owns one of those sections —
fire rescue for fire-safety violations, public security and education for vetting, the
sector departments for their trades, education (which leads) for all. Every action is a
history row and an audit event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.roles import Section
from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem
from core.text import control_character_message
from inspections.models import Finding, Inspection
from institutions.models import Institution
from personnel.selectors import institution_compliance

from .models import EnforcementAction
from .selectors import (
    PERMISSION,
    SUSPENSION_SECTIONS,
    TRIGGER_SECTIONS,
    action_sections,
    departments_for,
    owners,
)

Kind, Trigger = EnforcementAction.Kind, EnforcementAction.Trigger

# These come with a written decision whose number the record must carry.
NEEDS_DOCUMENT = frozenset({Kind.ORDER, Kind.SUSPENSION, Kind.FINE})
# A cap to catch a slipped key, far above any fine the fire or education laws allow.
MAX_FINE = Decimal("10000000.00")
MAX_NOTE = 2000
MAX_DOCUMENT = 64
MAX_REASON = 500


def active_campaign(institution: Institution) -> Campaign | None:
    return (
        Campaign.objects.filter(province_id=institution.county_id[:2] + "0000", is_active=True)
        .order_by("-starts_on", "-pk")
        .first()
    )


def _text(errors: dict, name: str, value, *, limit: int, multiline: bool, label: str) -> str:
    value = value if isinstance(value, str) else ""
    # Checked before stripping: a trailing vertical tab is whitespace to strip() but never
    # meant, and the rule refuses it wherever it stands.
    if message := control_character_message(value, multiline=multiline):
        errors[name] = message
    elif len(value.strip()) > limit:
        errors[name] = _("%(label)s不能超过 %(n)d 个字符") % {"label": label, "n": limit}
    return value.strip()


def _amount(errors: dict, kind: str, amount) -> Decimal | None:
    if kind != Kind.FINE:
        if amount not in (None, ""):
            errors["amount"] = _("只有罚款需要填写金额")
        return None
    if amount in (None, ""):
        errors["amount"] = _("请填写罚款金额")
        return None
    try:
        amount = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        errors["amount"] = _("罚款金额应为数字")
        return None
    if not amount.is_finite():
        errors["amount"] = _("罚款金额应为数字")
    elif amount <= 0:
        errors["amount"] = _("罚款金额应大于 0")
    elif amount > MAX_FINE:
        errors["amount"] = _("罚款金额过大（不超过 1000 万元），请核对")
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("金额最多两位小数")
    else:
        return amount
    return None


def _trigger(
    *, scope: Scope, institution: Institution, trigger: str, finding, inspection
) -> tuple[frozenset[str], str, str, Campaign | None, dt.date | None]:
    """(sections, section, basis, campaign, earliest day) of a trigger, checked against
    the institution: a ValidationError when it does not belong to it."""
    if trigger == Trigger.FINDING:
        if finding is None:
            raise ValidationError({"basis": _("请选择检查发现的重大隐患")})
        finding = (
            Finding.objects.select_related("item", "task__inspection__round__campaign")
            .filter(pk=finding.pk, task__institution=institution)
            .first()
        )
        inspection_ = finding.task.inspection if finding else None
        if (
            finding is None
            or finding.severity != ChecklistItem.Severity.MAJOR
            or finding.status == Finding.Status.WITHDRAWN
            or inspection_.status != Inspection.Status.SUBMITTED
        ):
            raise ValidationError({"basis": _("所选问题不是该机构已提交检查中的重大隐患")})
        basis = f"{finding.item.code} {finding.item.text}"
        day = timezone.localdate(inspection_.submitted_at) if inspection_.submitted_at else None
        return (
            frozenset({finding.section}), finding.section, basis,
            inspection_.round.campaign, day,
        )  # fmt: skip
    if trigger == Trigger.SUSPENSION:
        found = (
            Inspection.objects.select_related("round__campaign")
            .filter(
                pk=getattr(inspection, "pk", None), institution=institution,
                status=Inspection.Status.SUBMITTED, result=Inspection.Result.SUSPEND,
            )
            .first()
        )  # fmt: skip
        if found is None:
            raise ValidationError({"basis": _("所选检查记录的结论不是停业整改")})
        day = timezone.localdate(found.submitted_at) if found.submitted_at else None
        basis = _("%(day)s %(level)s结论：停业整改") % {
            "day": day.isoformat() if day else "", "level": found.round.get_level_display(),
        }  # fmt: skip
        return SUSPENSION_SECTIONS, "", basis, found.round.campaign, day
    if trigger == Trigger.PERSONNEL:
        compliance = institution_compliance(scope=scope, institution=institution)
        if not compliance.accountable:
            raise ValidationError({"basis": _("该机构目前没有需要问责的从业人员管理情形")})
        basis = _("；").join(compliance.reasons)
        return frozenset({Section.STAFF}), Section.STAFF, basis, active_campaign(institution), None
    raise ValidationError({"basis": _("请选择处理依据")})


@transaction.atomic
def action_record(
    *,
    institution: Institution,
    actor,
    scope: Scope,
    trigger: str,
    kind: str,
    taken_on: dt.date | None,
    department: str = "",
    finding: Finding | None = None,
    inspection: Inspection | None = None,
    document_number: str = "",
    amount: Decimal | str | None = None,
    note: str = "",
    request=None,
) -> EnforcementAction:
    """Record one action taken on an institution; refused (403) unless the actor acts there
    for a department owning the trigger's sections."""
    scope.require(PERMISSION)
    if not scope.covers_institution(
        PERMISSION, county_code=institution.county_id, sector=institution.sector
    ):
        raise PermissionDenied
    # The department is asked before the trigger's details: a fire officer is refused a
    # vetting case whether or not the institution has one (and learns nothing of it).
    if trigger in TRIGGER_SECTIONS and not departments_for(
        scope, institution, TRIGGER_SECTIONS[trigger]
    ):
        raise PermissionDenied
    sections, section, basis, campaign, earliest = _trigger(
        scope=scope, institution=institution, trigger=trigger, finding=finding,
        inspection=inspection,
    )  # fmt: skip
    acting = departments_for(scope, institution, sections)
    if not acting:
        raise PermissionDenied
    # 处理部门 is who took the action, not who records it: a county education officer
    # enters the fire brigade's fine under fire rescue. Any department owning the trigger's
    # section may have taken it; the recorder stays in recorded_by.
    if not department and len(acting) == 1:
        department = next(iter(acting))
    if department not in owners(institution, sections):
        raise ValidationError({"department": _("请选择负责该问题所在板块的处理部门")})

    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("请选择处理措施")
    today = timezone.localdate()
    if not isinstance(taken_on, dt.date):
        errors["taken_on"] = _("请填写处理日期")
    elif taken_on > today:
        errors["taken_on"] = _("处理日期不能晚于今天")
    elif earliest and taken_on < earliest:
        errors["taken_on"] = _("处理日期不能早于发现问题的检查日期（%(day)s）") % {
            "day": earliest.isoformat()
        }
    document_number = _text(
        errors, "document_number", document_number, limit=MAX_DOCUMENT, multiline=False,
        label=_("文书编号"),
    )  # fmt: skip
    if kind in NEEDS_DOCUMENT and not document_number and "document_number" not in errors:
        errors["document_number"] = _(
            "请填写文书编号（责令整改通知书、停业整顿或处罚决定书的文号）"
        )
    note = _text(errors, "note", note, limit=MAX_NOTE, multiline=True, label=_("说明"))
    amount = _amount(errors, kind, amount)
    if errors:
        raise ValidationError(errors)
    twice = ValidationError({"document_number": _("该机构已登记过这个文书编号的同类措施")})
    if (
        document_number
        and EnforcementAction.objects.filter(
            institution=institution, kind=kind, document_number=document_number
        ).exists()
    ):
        raise twice

    action = EnforcementAction(
        institution=institution, campaign=campaign, trigger=trigger,
        finding=finding if trigger == Trigger.FINDING else None,
        inspection=inspection if trigger == Trigger.SUSPENSION else None,
        section=section, basis=basis[:300], kind=kind, department=department, taken_on=taken_on,
        document_number=document_number, amount=amount, note=note, recorded_by=actor,
    )  # fmt: skip
    action._history_user = actor
    action._change_reason = _("登记处理措施")
    try:
        # A savepoint: a double submit racing past the check above meets the unique
        # constraint, and is refused in words rather than a 500.
        with transaction.atomic():
            action.save()
    except IntegrityError:
        raise twice from None
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        request=request,
        obj=action,
        reason=_("登记处理措施：%(kind)s") % {"kind": action.get_kind_display()},
        detail={
            "event": "enforcement_record",
            "institution": institution.pk,
            "trigger": trigger,
            "finding": action.finding_id,
            "inspection": action.inspection_id,
            "kind": kind,
            "department": department,
            "taken_on": taken_on.isoformat(),
            "document_number": document_number,
            "amount": str(amount) if amount is not None else None,
        },
    )
    return action


@transaction.atomic
def action_withdraw(
    *, action: EnforcementAction, actor, scope: Scope, reason: str, request=None
) -> EnforcementAction:
    """Withdraw an action recorded in error (撤销): the row stays, struck through, with who,
    when and why, and leaves the counts and the public page. Refused (403) unless the actor
    may record on the action's trigger at its institution."""
    scope.require(PERMISSION)
    action = (
        EnforcementAction.objects.select_for_update()
        .select_related("institution")
        .get(pk=action.pk)
    )
    institution = action.institution
    if not scope.covers_institution(
        PERMISSION, county_code=institution.county_id, sector=institution.sector
    ) or not departments_for(scope, institution, action_sections(action)):
        raise PermissionDenied
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, limit=MAX_REASON, multiline=True, label=_("撤销原因"))
    if not reason and "reason" not in errors:
        errors["reason"] = _("请填写撤销原因")
    if action.withdrawn_at is not None:
        errors["reason"] = _("该处理措施已撤销")
    if errors:
        raise ValidationError(errors)
    action.withdrawn_at = timezone.now()
    action.withdrawn_by = actor
    action.withdrawn_reason = reason
    action._history_user = actor
    action._change_reason = _("撤销处理措施：%(reason)s") % {"reason": reason[:80]}
    action.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        request=request,
        obj=action,
        reason=_("撤销处理措施：%(kind)s") % {"kind": action.get_kind_display()},
        detail={
            "event": "enforcement_withdraw",
            "institution": institution.pk,
            "kind": action.kind,
            "document_number": action.document_number,
            "reason": reason,
        },
    )
    return action
