"""Corrections to a submitted inspection (更正) and what they do to its problem list.

A submitted record is evidence and is never edited silently: an amendment keeps who, when,
why and each old and new value, and every row it touches keeps its history. The problem
list follows the corrected answers:

- a corrected note → the problem's description follows, while the problem is still open;
- an answer corrected to non-compliant → a new problem in its department's task (the task
  is made if the inspection had none for that department), due on a date not in the past;
  due after the county phase's end (a county screening), it needs a written reason as at
  submission (`services.deadline_reason_check`, kept on the problem and audited); one
  joining a task whose late deadline already has a reason may take that reason;
- an answer corrected away from non-compliant → its problem is withdrawn (已撤销) with the
  amendment as the reason, unless it was already verified closed (then it was a real
  problem, fixed, and stays so).

A measured item with a limit (2.08 "不少于 3 平方米/人") is corrected by its number: the
limit judges the corrected number exactly as at submission, and the result carries through
the same way (a number still breaking the limit keeps the problem, its description
showing the corrected value).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from campaign.judging import judged_value, parse_number

from .models import Amendment, Answer, Finding, Inspection, RectificationTask
from .services import (
    _alert_major_hazards,
    _audit_late_deadline,
    _require_institution,
    applicable_items,
    deadline_reason_check,
    finding_description,
    responsible_department,
    task_sync_closed,
)

COMPLIANCE = "compliance"
WORKING = (Finding.Status.OPEN, Finding.Status.REPORTED)


@transaction.atomic
def inspection_amend(
    *,
    inspection: Inspection,
    actor,
    scope: Scope,
    reason: str,
    summary: str | None = None,
    notes: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    numbers: dict[str, object] | None = None,
    result: str | None = None,
    rectify_deadline: dt.date | None = None,
    deadline_reason: str = "",
) -> Amendment:
    """Correct a submitted record and bring its problems in line with the corrected answers.

    `notes` / `values` map item codes to a new problem description / compliance answer,
    `numbers` to a measured item's corrected number (its limit then judges the answer);
    only what is given changes. `result` corrects the conclusion, which must agree with the
    answers afterwards; it and `summary` only by the leading department (403 otherwise).
    `rectify_deadline` is the due date of problems the correction creates: needed when the
    record had no deadline or its deadline has passed. `deadline_reason` explains a
    problem it creates or reinstates that falls due after the county phase's end.
    """
    _require_institution(
        scope, "inspections.change", inspection.institution, round_id=inspection.round_id
    )
    # Locked, so two corrections of one record cannot interleave.
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    # The conclusion and summary are the leading department's (the public disclosure lists
    # suspensions from them); another department corrects only its own sections' answers.
    may_conclude = scope.may_conclude(inspection)
    if not may_conclude and (
        (summary is not None and summary != inspection.summary)
        or (result is not None and result != inspection.result)
    ):
        raise PermissionDenied
    if inspection.status != Inspection.Status.SUBMITTED:
        raise ValidationError(_("只有已提交的检查记录需要更正；草稿可以直接修改"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写更正原因"))
    today = timezone.localdate()
    if rectify_deadline is not None and rectify_deadline < today:
        raise ValidationError(_("整改期限不能早于今天"))
    notes, values, numbers = notes or {}, values or {}, numbers or {}
    changes: list[dict] = []
    if summary is not None and summary != inspection.summary:
        changes.append({"field": "summary", "old": inspection.summary, "new": summary})
        inspection.summary = summary

    touched = []
    codes = sorted(set(notes) | set(values) | set(numbers))
    for answer in _answers_to_amend(inspection, scope, codes):
        code, before = answer.item.code, (answer.value, answer.note, answer.number)
        if code in numbers:
            if not answer.item.has_limit:
                raise ValidationError(
                    _("检查项 %(code)s 不是有标准限值的数值项，不能更正其数值") % {"code": code}
                )
            number = parse_number(answer.item, numbers[code])
            if number is None:
                raise ValidationError(_("%(code)s 的数值不能为空") % {"code": code})
            if number != answer.number:
                changes.append(
                    {"field": f"{code}.number", "old": _num(answer.number), "new": _num(number)}
                )
                answer.number = number
            # The limit judges the corrected number, as it did the submitted one.
            value = judged_value(answer.item, number, answer.value)
            if value != answer.value:
                changes.append({"field": f"{code}.value", "old": answer.value, "new": value})
                answer.value = value
        if code in values:
            value = values[code]
            if answer.item.answer_type != COMPLIANCE:
                raise ValidationError(
                    _("检查项 %(code)s 不是合规判断项，不能更正其结果") % {"code": code}
                )
            if value not in Answer.Value.values:
                raise ValidationError(_("“%(value)s”不是有效的检查结果") % {"value": value})
            if value != answer.value:
                changes.append({"field": f"{code}.value", "old": answer.value, "new": value})
                answer.value = value
        if code in notes:
            note = str(notes[code])[:2000]
            if note != answer.note:
                changes.append({"field": f"{code}.note", "old": answer.note, "new": note})
                answer.note = note
        if (answer.value, answer.note, answer.number) != before:
            answer._history_user = actor
            answer.save(update_fields=["value", "note", "number"])
            touched.append(answer)

    if result is not None and result != inspection.result:
        if result not in Inspection.Result.values:
            raise ValidationError(_("请选择检查结论"))
        changes.append({"field": "result", "old": inspection.result, "new": result})
        inspection.result = result
    if not changes:
        raise ValidationError(_("没有任何改动"))

    has_problems = (
        inspection.answers.filter(
            item__in=applicable_items(inspection=inspection, scope=scope, all_sections=True),
            value=Answer.Value.NON_COMPLIANT,
        )
        .filter(
            Q(item__answer_type=COMPLIANCE)
            | Q(item__limit_min__isnull=False)
            | Q(item__limit_max__isnull=False)
        )
        .exists()
    )
    if not may_conclude and has_problems == (inspection.result == Inspection.Result.COMPLIANT):
        raise ValidationError(
            _("这项更正须一并更正检查结论，检查结论由教育部门更正，请联系教育部门的检查人员")
        )
    if has_problems and inspection.result == Inspection.Result.COMPLIANT:
        raise ValidationError(_("更正后仍有不合规项，检查结论不能为“合格”，请一并更正检查结论"))
    if not has_problems and inspection.result != Inspection.Result.COMPLIANT:
        raise ValidationError(_("更正后已没有不合规项，请把检查结论一并更正为“合格”"))
    # The record's own deadline: set when its first problem appears, cleared with its last.
    record_deadline = inspection.rectify_deadline
    if not has_problems:
        record_deadline = None
    elif record_deadline is None:
        if rectify_deadline is None:
            raise ValidationError(_("更正后有不合规项，请填写整改期限"))
        record_deadline = rectify_deadline
    if record_deadline != inspection.rectify_deadline:
        changes.append(
            {
                "field": "rectify_deadline",
                "old": _iso(inspection.rectify_deadline),
                "new": _iso(record_deadline),
            }
        )
        inspection.rectify_deadline = record_deadline

    plan = _plan(inspection, touched, rectify_deadline, today, deadline_reason)
    inspection.updated_by = actor
    inspection._history_user = actor
    inspection.save(update_fields=["summary", "result", "rectify_deadline", "updated_by"])
    amendment = Amendment(inspection=inspection, made_by=actor, reason=reason, changes=changes)
    amendment._history_user = actor
    amendment.save()
    _apply(inspection, plan, amendment, actor)
    _audit_late_deadlines(inspection, plan, amendment, actor)
    return amendment


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _num(number) -> str:
    return "" if number is None else str(number)


def _answers_to_amend(inspection: Inspection, scope: Scope, codes: list[str]) -> list[Answer]:
    """The answers named, each one asked by this record and in the user's own sections."""
    if not codes:
        return []
    asked = {
        i.code: i for i in applicable_items(inspection=inspection, scope=scope, all_sections=True)
    }
    answers = {
        a.item.code: a
        for a in inspection.answers.select_related("item").filter(item__code__in=codes)
    }
    own = scope.sections("inspections.change")
    for code in codes:
        if code not in asked or code not in answers:
            raise ValidationError(_("检查项 %(code)s 不在这份记录中") % {"code": code[:16]})
        if asked[code].section not in own:
            raise PermissionDenied
    return [answers[code] for code in codes]


def _plan(
    inspection: Inspection, touched: list[Answer], deadline, today, reason: str
) -> list[tuple]:
    """What each corrected answer does to its problem, with every check done before writing.

    Each step is (action, answer, finding or None, own deadline or None, deadline reason or
    None); a problem created or reinstated carries the reason its effective deadline needs
    ("" when it needs none).
    """
    findings = {
        f.answer_id: f for f in Finding.objects.filter(answer__in=touched).select_related("task")
    }
    tasks = {t.department: t for t in inspection.tasks.all()}
    round_ = inspection.round
    plan = []
    for answer in touched:
        finding = findings.get(answer.pk)
        if answer.value == Answer.Value.NON_COMPLIANT:
            if finding is None:
                task = tasks.get(responsible_department(answer.item, inspection.institution))
                due = task.deadline if task else inspection.rectify_deadline
                own = _own_deadline(answer, due, deadline, today)
                # Joining a task on its own deadline: the task's reason for it, if any.
                kept = _task_reason(task) if task is not None and own is None else ""
                step = ("create", answer, None, own)
            elif finding.status == Finding.Status.WITHDRAWN:
                due = finding.effective_deadline
                own = _own_deadline(answer, due, deadline, today)
                kept = ""
                if own is None:  # due as before: the reason it had, or its task's
                    kept = finding.deadline_reason or (
                        _task_reason(finding.task) if finding.deadline is None else ""
                    )
                step = ("reinstate", answer, finding, own)
            elif finding.status in WORKING:
                plan.append(("describe", answer, finding, None, None))
                continue
            else:
                continue  # verified closed stays closed: the correction agrees it existed
            # The rule at submission (排查整改 by the phase's end): a deadline after it needs
            # a reason, the one written with this correction or the one already on record.
            needed = deadline_reason_check(
                campaign=round_.campaign,
                level=round_.level,
                deadline=own or due,
                reason=(reason or "").strip() or kept,
            )
            plan.append((*step, needed))
        elif finding is not None and finding.status in WORKING:
            plan.append(("withdraw", answer, finding, None, None))
    return plan


def _task_reason(task: RectificationTask) -> str:
    """The reason on record for a task's own deadline (kept on its problems that follow it)."""
    return (
        task.findings.filter(deadline__isnull=True)
        .exclude(deadline_reason="")
        .order_by("pk")
        .values_list("deadline_reason", flat=True)
        .first()
        or ""
    )


def _own_deadline(
    answer: Answer, due: dt.date | None, given: dt.date | None, today
) -> dt.date | None:
    """The date a problem made by a correction is due, when it differs from its task's."""
    if given is not None:
        return None if given == due else given
    if due is not None and due >= today:
        return None
    raise ValidationError(
        _("%(code)s 更正为不合规后成为新的问题，原整改期限已过，请填写新的整改期限")
        % {"code": answer.item.code}
    )


def _apply(inspection: Inspection, plan: list[tuple], amendment: Amendment, actor) -> None:
    tasks = {t.department: t for t in inspection.tasks.all()}
    affected: dict[int, RectificationTask] = {}
    majors = []
    for index, (action, answer, finding, own_deadline, reason) in enumerate(plan):
        item = answer.item
        description = finding_description(item, answer)
        if action == "create":
            department = responsible_department(item, inspection.institution)
            task = tasks.get(department)
            if task is None:
                task = RectificationTask(
                    inspection=inspection,
                    institution=inspection.institution,
                    department=department,
                    deadline=own_deadline or inspection.rectify_deadline,
                )
                task._history_user = actor
                task.save()
                tasks[department] = task
                own_deadline = None
            finding = Finding(
                task=task, answer=answer, item=item, section=item.section, severity=item.severity,
                description=description, requirement=item.requirement, deadline=own_deadline,
                deadline_reason=reason,
            )  # fmt: skip
            if item.severity == item.Severity.MAJOR:
                majors.append((item, answer))
        elif action == "reinstate":
            finding.status = Finding.Status.OPEN
            finding.withdrawn_by = None
            finding.description = description
            if own_deadline is not None:
                finding.deadline = own_deadline
            finding.deadline_reason = reason
        elif action == "describe":
            if finding.description == description:
                continue
            finding.description = description
        elif action == "withdraw":
            finding.status = Finding.Status.WITHDRAWN
            finding.withdrawn_by = amendment
        finding._history_user = actor
        finding.save()
        plan[index] = (action, answer, finding, own_deadline, reason)
        affected[finding.task_id] = finding.task
    for task in affected.values():
        task_sync_closed(task)
    _alert_major_hazards(inspection, majors, key=f"major-hazard:amendment:{amendment.pk}")


def _audit_late_deadlines(inspection: Inspection, plan: list[tuple], amendment, actor) -> None:
    """Problems a correction made due after the county phase's end, audited as at submission:
    one event per deadline and reason, naming the problems and the amendment."""
    late: dict[tuple, list[Finding]] = {}
    for action, _answer, finding, _own, reason in plan:
        if action in ("create", "reinstate") and reason:
            late.setdefault((finding.effective_deadline, reason), []).append(finding)
    for (deadline, reason), findings in sorted(late.items()):
        _audit_late_deadline(
            actor=actor,
            obj=inspection,
            reason=reason,
            deadline=deadline,
            findings=findings,
            amendment=amendment,
        )
