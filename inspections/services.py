"""Writes for inspections: start, save a draft, submit; report and verify problems.

Every function takes the acting user and their scope and checks both: an officer can only
inspect, submit or close what lies in their own region and sections. Corrections to a
submitted record (and what they do to its problems) live in amendments.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification
from accounts.notifications import notify, users_with_role
from accounts.roles import SECTOR_BY_DEPARTMENT
from accounts.scope import Scope
from campaign.judging import judged, judged_value, parse_number
from campaign.models import Campaign, ChecklistItem
from campaign.selectors import checklist_items_for
from core.text import control_character_message
from institutions.models import Institution

from . import receipt_messages
from .models import Answer, Finding, Inspection, RectificationTask, Round
from .selectors import screening_phase_deadline

DEADLINE_REASON_MAX = 500
NOTE_MAX = 2000  # a report (整改情况) or a re-inspection's note (复查意见)


class EditConflict(ValidationError):
    """Someone else saved the record since this user loaded it."""


def _departments_at(scope: Scope, institution: Institution, round_id: int) -> frozenset[str]:
    """The departments the user takes part for at this institution (Scope.departments_at)."""
    return scope.departments_at(
        "inspections.change",
        county_code=institution.county_id,
        sector=institution.sector,
        institution_id=institution.pk,
        round_id=round_id,
    )


def _require_institution(
    scope: Scope, permission: str, institution: Institution, round_id: int | None = None
) -> None:
    """The institution lies in the user's regions, or is drawn for them in this round."""
    if not scope.covers_institution(
        permission,
        county_code=institution.county_id,
        sector=institution.sector,
        institution_id=institution.pk,
        round_id=round_id,
    ):
        raise PermissionDenied


def active_campaign(*, institution: Institution) -> Campaign:
    campaign = (
        Campaign.objects.filter(province_id=institution.county_id[:2] + "0000", is_active=True)
        .order_by("-starts_on")
        .first()
    )
    if campaign is None:
        raise ValidationError(_("本省尚未设立进行中的专项行动"))
    return campaign


_REGION_CODE = {
    Round.Level.COUNTY: lambda county: county,
    Round.Level.CITY: lambda county: county[:4] + "00",
    Round.Level.PROVINCE: lambda county: county[:2] + "0000",
}


def _start_round(*, institution: Institution, scope: Scope, campaign: Campaign, level) -> Round:
    """The round a new inspection belongs to.

    A spot-check assignment decides first: drawn for this institution, the inspector works
    in that city or province round. Otherwise the level of the user's own post: a county
    officer screens for the county, city staff spot-check for the city, the province
    supervises. An explicit `level` overrides (operators, tests).
    """
    if level is None:
        assigned = sorted(
            r for i, r in scope.assigned_for("inspections.change") if i == institution.pk
        )
        found = Round.objects.filter(pk__in=assigned, campaign=campaign).first()
        if found is not None:
            return found
        levels = scope.levels_covering("inspections.change", institution.county_id)
        level = next(
            (
                lv
                for lv in (Round.Level.COUNTY, Round.Level.CITY, Round.Level.PROVINCE)
                if lv in levels
            ),
            Round.Level.COUNTY,
        )
    round_, _created = Round.objects.get_or_create(
        campaign=campaign, level=level, region_id=_REGION_CODE[level](institution.county_id)
    )
    return round_


@transaction.atomic
def inspection_start(
    *,
    institution: Institution,
    actor,
    scope: Scope,
    level: str | None = None,
    site=None,
    has_dormitory: bool = False,
    has_kitchen: bool = False,
) -> Inspection:
    """Open a draft inspection of an institution in the round it is inspected for."""
    _require_institution(scope, "inspections.change", institution)
    campaign = active_campaign(institution=institution)
    checklist = campaign.checklists.filter(is_active=True).first()
    if checklist is None:
        raise ValidationError(_("专项行动还没有启用的检查表"))
    round_ = _start_round(institution=institution, scope=scope, campaign=campaign, level=level)
    if round_.completed_at is not None:
        raise ValidationError(_("%(round)s已完成，不能再新增检查") % {"round": round_})
    _require_institution(scope, "inspections.change", institution, round_id=round_.pk)
    if site is not None and site.institution_id != institution.pk:
        raise ValidationError(_("培训场所不属于该机构"))
    inspection = Inspection.objects.create(
        round=round_,
        institution=institution,
        site=site,
        checklist=checklist,
        has_dormitory=has_dormitory,
        has_kitchen=has_kitchen,
        created_by=actor,
        departments=sorted(_departments_at(scope, institution, round_.pk)),
    )
    inspection.inspectors.add(actor)
    return inspection


def applicable_items(*, inspection: Inspection, scope: Scope, all_sections: bool = False):
    """The items this inspection asks; by default only those in the user's own sections."""
    return checklist_items_for(
        template=inspection.checklist,
        institution=inspection.institution,
        scope=scope,
        has_dormitory=inspection.has_dormitory,
        has_kitchen=inspection.has_kitchen,
        all_sections=all_sections,
    )


def responsible_department(item: ChecklistItem, institution: Institution) -> str:
    """The department whose task a problem with this item joins. An item a sector department
    owns (1.13–1.15 say "sports" for all risky training) goes to the department supervising
    this institution's sector (a dance school's: culture and tourism), else education.
    Who sees and fills an item follows sections and the sector scope, not this."""
    if item.department in SECTOR_BY_DEPARTMENT:
        return str(institution.supervising_department)
    return item.department


def finding_description(item: ChecklistItem, answer: Answer) -> str:
    """The problem as the list and the notice print it: the officer's note, else the item
    not met; a measured item adds the value against its limit."""
    measured = item.measured_text(answer.number) if item.has_limit else ""
    if answer.note:
        return f"{answer.note}（{measured}）" if measured else answer.note
    if measured:
        return f"{item.text}：{measured}"
    return _("未达到要求：%(text)s") % {"text": item.text}


def _parse_answer(item: ChecklistItem, raw: dict) -> dict:
    value = raw.get("value") or ""
    if value and value not in Answer.Value.values:
        # Shown cut short: a value can be anything a client sends.
        raise ValidationError(
            {item.code: _("“%(value)s”不是有效的检查结果") % {"value": str(value)[:20]}}
        )
    number = parse_number(item, raw.get("number"))
    return {
        "value": judged_value(item, number, value),
        "number": number,
        "text": str(raw.get("text") or "")[:2000],
        "note": str(raw.get("note") or "")[:2000],
    }


@transaction.atomic
def inspection_save_draft(
    *,
    inspection: Inspection,
    actor,
    scope: Scope,
    version: int,
    answers: dict[str, dict],
    has_dormitory: bool | None = None,
    has_kitchen: bool | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Inspection:
    """Save what the officer has typed so far. Refused when another save came in between."""
    _require_institution(
        scope, "inspections.change", inspection.institution, round_id=inspection.round_id
    )
    if inspection.status != Inspection.Status.DRAFT:
        raise ValidationError(_("检查记录已提交，不能直接修改；如需更正，请提交更正说明"))
    claimed = Inspection.objects.filter(pk=inspection.pk, version=version).update(
        version=version + 1
    )
    if not claimed:
        current = Inspection.objects.select_related("updated_by").get(pk=inspection.pk)
        if current.updated_by_id == actor.pk and current.version == version + 1:
            # The officer's own previous save arrived but its reply was lost on a weak
            # network; the phone resends with the old version. Accept it once more.
            version = current.version
            claimed = Inspection.objects.filter(pk=inspection.pk, version=version).update(
                version=version + 1
            )
    if not claimed:
        current = Inspection.objects.select_related("updated_by").get(pk=inspection.pk)
        who = str(current.updated_by) if current.updated_by else _("其他人")
        raise EditConflict(
            _(
                "这份记录已被%(who)s在 %(when)s 保存过，您的修改未保存。请刷新页面，在最新内容上继续填写。"
            )
            % {"who": who, "when": timezone.localtime(current.updated_at).strftime("%H:%M:%S")}
        )
    inspection.version = version + 1
    inspection.updated_by = actor
    if has_dormitory is not None:
        inspection.has_dormitory = has_dormitory
    if has_kitchen is not None:
        inspection.has_kitchen = has_kitchen
    if latitude is not None and longitude is not None:
        inspection.latitude, inspection.longitude = latitude, longitude
    if answers:
        # Who answers takes part: once education does, education leads and concludes.
        taking_part = _departments_at(scope, inspection.institution, inspection.round_id)
        inspection.departments = sorted(set(inspection.departments or ()) | taking_part)
    inspection.save()
    inspection.inspectors.add(actor)
    items = {i.code: i for i in applicable_items(inspection=inspection, scope=scope)}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise ValidationError(
            _("检查项 %(codes)s 不适用于本次检查") % {"codes": "、".join(unknown)}
        )
    now = timezone.now()
    for code, raw in answers.items():
        fields = _parse_answer(items[code], raw)
        Answer.objects.update_or_create(
            inspection=inspection, item=items[code], defaults={**fields, "answered_at": now}
        )
    return inspection


def reason_phase_deadline(campaign: Campaign, level: str) -> dt.date | None:
    """The county phase's deadline a new rectification deadline is measured against, or
    None when no reason can be asked: not a county screening round, no county phase, or a
    campaign already over (its phase figures are history; nothing is tracked against them)."""
    if level != Round.Level.COUNTY or timezone.localdate() > campaign.ends_on:
        return None
    return screening_phase_deadline(campaign)


def deadline_reason_check(
    *, campaign: Campaign, level: str, deadline: dt.date | None, reason: str
) -> str:
    """The written reason a county screening's rectification deadline needs when it falls
    after the county phase's deadline (the notice: 排查整改 done by 30 Nov); "" when none is
    needed. Refused in Chinese when it is needed and missing, or unusable."""
    phase_end = reason_phase_deadline(campaign, level)
    if deadline is None or phase_end is None:
        return ""
    if deadline <= phase_end:
        return ""  # inside the phase: nothing to explain, and nothing kept
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("整改期限晚于县级排查整改截止日期（%(date)s），请写明理由")
            % {"date": phase_end.isoformat()}
        )
    message = control_character_message(reason, multiline=True)
    if message:
        raise ValidationError(message)
    if len(reason) > DEADLINE_REASON_MAX:
        raise ValidationError(_("整改期限的理由不能超过 %(n)d 个字") % {"n": DEADLINE_REASON_MAX})
    return reason


def _audit_late_deadline(
    *, actor, obj, reason: str, deadline: dt.date, findings, amendment=None
) -> None:
    """A deadline past the county phase's end is a decision the city answers for: logged
    (with the amendment when a correction made the problems)."""
    detail = {
        "change": "rectify_deadline_after_phase",
        "deadline": deadline.isoformat(),
        "findings": sorted(f.pk for f in findings),
    }
    if amendment is not None:
        detail["amendment"] = amendment.pk
    audit_log(kind=AuditEvent.Kind.OTHER, actor=actor, obj=obj, reason=reason, detail=detail)


@transaction.atomic
def inspection_submit(
    *,
    inspection: Inspection,
    actor,
    scope: Scope,
    version: int,
    result: str,
    rectify_deadline: dt.date | None,
    summary: str = "",
    deadline_reason: str = "",
) -> Inspection:
    """Lock the record, turn every non-compliant answer into a problem, group them into tasks.

    Only the leading department submits (`Scope.may_conclude`, as for amendments): submitting
    sets the conclusion and summary. Another department's part is its answers, which the
    shared draft already holds; the record waits as a draft for the lead's submission.
    """
    _require_institution(
        scope, "inspections.change", inspection.institution, round_id=inspection.round_id
    )
    if not scope.may_conclude(inspection):
        raise PermissionDenied(_("检查结论由教育部门填写后提交"))
    # Lock first: a photo being stored and this submit must not interleave.
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status != Inspection.Status.DRAFT:
        raise ValidationError(_("这份检查记录已经提交过了"))
    # Every applicable item of every section, whoever submits: sections limit what a user
    # sees and answers, never what a submitted record may leave out (a joint inspection's
    # fire officer cannot submit the education officer's problems away).
    items = list(applicable_items(inspection=inspection, scope=scope, all_sections=True))
    answers = {a.item_id: a for a in inspection.answers.prefetch_related("photos")}
    errors = []
    non_compliant = []
    for item in items:
        answer = answers.get(item.pk)
        if item.has_limit:
            # Measured against a limit: a number is required, and it alone decides.
            if answer is None or answer.number is None:
                errors.append(_("%(code)s 尚未填写数值") % {"code": item.code})
                continue
            value = judged_value(item, answer.number, answer.value)
            if value != answer.value:
                answer.value = value
                answer.save(update_fields=["value"])
        if judged(item):
            if answer is None or not answer.value:
                errors.append(_("%(code)s 尚未填写") % {"code": item.code})
                continue
            if answer.value == Answer.Value.NON_COMPLIANT:
                if item.photo_required and not answer.photos.all():
                    errors.append(_("%(code)s 不合规，须拍照留证") % {"code": item.code})
                non_compliant.append((item, answer))
    if non_compliant and result == Inspection.Result.COMPLIANT:
        errors.append(_("有不合规项，检查结论不能为“合格”"))
    if not non_compliant and result != Inspection.Result.COMPLIANT:
        errors.append(_("没有不合规项，检查结论应为“合格”"))
    if non_compliant and rectify_deadline is None:
        errors.append(_("请填写整改期限"))
    if rectify_deadline is not None and rectify_deadline < timezone.localdate():
        errors.append(_("整改期限不能早于今天"))
    if result not in Inspection.Result.values:
        errors.append(_("请选择检查结论"))
    reason = ""
    if non_compliant:
        try:
            reason = deadline_reason_check(
                campaign=inspection.round.campaign,
                level=inspection.round.level,
                deadline=rectify_deadline,
                reason=deadline_reason,
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    claimed = Inspection.objects.filter(
        pk=inspection.pk, version=version, status=Inspection.Status.DRAFT
    ).update(version=version + 1)
    if not claimed:
        raise EditConflict(_("这份记录在您提交前已被修改或提交，请刷新页面后核对"))
    inspection.refresh_from_db()
    inspection.updated_by = actor
    inspection.status = Inspection.Status.SUBMITTED
    inspection.submitted_at = timezone.now()
    inspection.result = result
    inspection.rectify_deadline = rectify_deadline if non_compliant else None
    inspection.summary = summary
    inspection.save()
    by_department: dict[str, list] = defaultdict(list)
    for item, answer in non_compliant:
        by_department[responsible_department(item, inspection.institution)].append((item, answer))
    created: list[Finding] = []
    for department, rows in sorted(by_department.items()):
        task = RectificationTask.objects.create(
            inspection=inspection,
            institution=inspection.institution,
            department=department,
            deadline=rectify_deadline,
        )
        created += bulk_create_with_history(
            [
                Finding(
                    task=task,
                    answer=answer,
                    item=item,
                    section=item.section,
                    severity=item.severity,
                    description=finding_description(item, answer),
                    requirement=item.requirement,
                    deadline_reason=reason,
                )
                for item, answer in rows
            ],
            Finding,
            default_user=actor,
        )
    if reason:
        _audit_late_deadline(
            actor=actor, obj=inspection, reason=reason, deadline=rectify_deadline, findings=created
        )
    _alert_major_hazards(
        inspection,
        [(i, a) for i, a in non_compliant if i.severity == i.Severity.MAJOR],
    )
    return inspection


def _alert_major_hazards(inspection: Inspection, majors: list, *, key: str = "") -> None:
    """A major hazard goes at once to the county's education officers and the city's staff.

    Once per `key`: the inspection's submission, or later an amendment that found one."""
    if not majors:
        return
    institution = inspection.institution
    county = institution.county
    recipients = users_with_role(
        role="county_officer", region_code=county.code, department="education"
    ) + users_with_role(role="city_staff", region_code=county.parent_id)
    lines = "\n".join(f"{item.code} {item.text}" for item, _answer in majors)
    notify(
        users=recipients,
        kind=Notification.Kind.MAJOR_HAZARD,
        title=_("重大隐患：%(name)s（%(county)s）")
        % {"name": institution.name, "county": county.name},
        body=_("检查发现 %(n)d 项重大隐患：\n%(lines)s") % {"n": len(majors), "lines": lines},
        link=reverse("inspections:detail", args=[inspection.pk]),
        reason=_("您负责%(region)s的校外培训安全工作，辖区内发现重大隐患时立即通知您")
        % {"region": county.name},
        key=key or f"major-hazard:{inspection.pk}",
    )


def _require_finding(scope: Scope, finding: Finding) -> None:
    """The problem lies in the user's region and sections, in a task of their department
    (Scope.covers_task: fire rescue acts on fire rescue's tasks; education on all)."""
    task = finding.task
    if not scope.covers_task(
        "rectification.change",
        county_code=task.institution.county_id,
        sector=task.institution.sector,
        department=task.department,
    ):
        raise PermissionDenied
    if finding.section not in scope.sections("rectification.change"):
        raise PermissionDenied


@transaction.atomic
def finding_report(*, finding: Finding, actor, scope: Scope, note: str) -> Finding:
    """The institution says it has fixed the problem (recorded by the officer)."""
    _require_finding(scope, finding)
    # Lock and re-read: a double click or a second tab waits here, then sees the first's work.
    finding.refresh_from_db(from_queryset=Finding.objects.select_for_update())
    require_not_done(finding)
    report_note_check(note)
    if finding.status == Finding.Status.REPORTED and finding.report_note == note.strip():
        return finding  # the same report again: nothing new to record
    return report_record(finding=finding, actor=actor, note=note)


def report_note_check(note: str) -> None:
    """What a report of a fix (an officer's or an institution's receipt) must say."""
    if not note.strip():
        raise ValidationError(_("请填写整改情况"))
    if message := control_character_message(note, multiline=True):
        raise ValidationError(message)
    if len(note.strip()) > NOTE_MAX:
        raise ValidationError(_("整改情况不能超过 %(n)d 个字") % {"n": NOTE_MAX})


def report_record(*, finding: Finding, actor, note: str) -> Finding:
    """Mark a locked, open problem reported fixed (已报整改); the caller checked who may."""
    finding.status = Finding.Status.REPORTED
    finding.reported_at = timezone.now()
    finding.reported_by = actor
    finding.report_note = note.strip()
    finding.save()
    return finding


def require_not_done(finding: Finding) -> None:
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError(_("该问题已复查销号"))
    if finding.status == Finding.Status.WITHDRAWN:
        raise ValidationError(_("该问题已因更正检查记录而撤销"))


@transaction.atomic
def finding_verify(
    *,
    finding: Finding,
    actor,
    scope: Scope,
    passed: bool,
    note: str = "",
    deadline: dt.date | None = None,
    deadline_reason: str = "",
) -> Finding:
    """Re-inspection: close the problem (复查销号) or send it back with a new deadline.

    A problem sent back gets its own deadline, which replaces its task's: otherwise it
    would be overdue the moment it is reopened.
    """
    _require_finding(scope, finding)
    # Lock and re-read: of two verifications at once, the second sees the first's outcome.
    finding.refresh_from_db(from_queryset=Finding.objects.select_for_update())
    require_not_done(finding)
    if message := control_character_message(note, multiline=True):
        raise ValidationError(message)
    if len(note.strip()) > NOTE_MAX:
        raise ValidationError(_("复查意见不能超过 %(n)d 个字") % {"n": NOTE_MAX})
    if not passed:
        if deadline is None:
            raise ValidationError(_("退回整改时请填写新的整改期限"))
        if deadline < timezone.localdate():
            raise ValidationError(_("新的整改期限不能早于今天"))
        round_ = finding.task.inspection.round
        reason = deadline_reason_check(
            campaign=round_.campaign, level=round_.level, deadline=deadline, reason=deadline_reason
        )
    finding.verified_by = actor
    finding.verified_at = timezone.now()
    finding.verify_note = note.strip()
    if passed:
        finding.status = Finding.Status.CLOSED
    else:
        finding.status = Finding.Status.OPEN
        finding.reopened_count += 1
        finding.deadline = deadline
        # The new deadline's own reason; one inside the phase needs none (and keeps none).
        finding.deadline_reason = reason
    finding._history_user = actor
    finding.save()
    if not passed and reason:
        _audit_late_deadline(
            actor=actor, obj=finding, reason=reason, deadline=deadline, findings=[finding]
        )
    task_sync_closed(finding.task, when=finding.verified_at)
    receipt_messages.tell_the_institution(finding)
    return finding


def task_sync_closed(task: RectificationTask, *, when=None) -> None:
    """A task is closed once none of its problems needs work; reopened when one does again."""
    done = not task.findings.exclude(status__in=Finding.DONE).exists()
    closed_at = (task.closed_at or when or timezone.now()) if done else None
    if closed_at != task.closed_at:
        task.closed_at = closed_at
        task.save(update_fields=["closed_at"])
