"""Every write of fee supervision: charges entered by hand, refunds, the violation's states.

Imports go through fees/importer.py; rule re-evaluation lives in fees/evaluation.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from institutions.models import Institution

from .changes import fees_changed
from .evaluation import Changes, close_if_refunded, evaluate_records
from .models import FeeRecord, FeeViolation, Refund
from .rules import FEN

MAX_AMOUNT = Decimal("9999999999.99")


def natural_key(*, contract_number: str, student: str, course: str, amount: Decimal,
                period_from: dt.date, period_to: dt.date, charged_on: dt.date) -> str:  # fmt: skip
    """What makes two rows the same charge of one institution.

    With a contract number: the contract and the day it was charged (a contract paid in
    instalments has one row per payment). Without: every fact of the row, so importing
    the same sheet twice changes nothing.
    """
    if contract_number:
        return f"c|{contract_number}|{charged_on.isoformat()}"
    # To the fen: 5000 typed by hand and 5000.00 read from a sheet are the same charge.
    return "r|" + "|".join(
        [student, course, str(to_fen(amount)), period_from.isoformat(), period_to.isoformat(),
         charged_on.isoformat()]
    )[:390]  # fmt: skip


def to_fen(amount: Decimal) -> Decimal:
    """The amount with exactly two decimals (5000 → 5000.00); check_charge refuses finer."""
    return amount.quantize(FEN)


def check_charge(*, amount, class_hours, period_from, period_to, charged_on) -> dict[str, str]:
    """Field → reason for facts no charge can have; shared by the form and the importer."""
    errors = {}
    if amount is not None:
        if amount <= 0:
            errors["amount"] = _("金额应大于 0")
        elif amount > MAX_AMOUNT:
            errors["amount"] = _("金额过大")
        elif amount != to_fen(amount):
            errors["amount"] = _("金额最多两位小数")
    if class_hours is not None and class_hours > 100_000:
        errors["class_hours"] = _("课时数过大")
    if period_from and period_to and period_to < period_from:
        errors["period_to"] = _("收费截止日期早于起始日期")
    if charged_on and charged_on > timezone.localdate():
        errors["charged_on"] = _("收费日期不能晚于今天")
    return errors


def _require_institution(scope: Scope, permission: str, institution: Institution) -> None:
    scope.require(permission)
    if not scope.covers_institution(
        permission, county_code=institution.county_id, sector=institution.sector
    ):
        raise PermissionDenied


@transaction.atomic
def fee_record_create(
    *,
    institution: Institution,
    actor,
    scope: Scope,
    amount: Decimal,
    period_from: dt.date,
    period_to: dt.date,
    charged_on: dt.date,
    supervised: bool,
    class_hours: int | None = None,
    contract_number: str = "",
    student: str = "",
    course: str = "",
) -> tuple[FeeRecord, Changes]:
    """One charge entered by hand (during an inspection, or by the institution itself on its
    own records: Scope.acts_for), checked against the rules at once."""
    if not scope.acts_for("fees.change", institution.pk):
        _require_institution(scope, "fees.change", institution)
    errors = check_charge(
        amount=amount, class_hours=class_hours, period_from=period_from, period_to=period_to,
        charged_on=charged_on,
    )  # fmt: skip
    if errors:
        raise ValidationError(errors)
    amount = to_fen(amount)
    texts = {"contract_number": contract_number.strip(), "student": student.strip(),
             "course": course.strip()}  # fmt: skip
    key = natural_key(amount=amount, period_from=period_from, period_to=period_to,
                      charged_on=charged_on, **texts)  # fmt: skip
    if FeeRecord.objects.filter(institution=institution, natural_key=key).exists():
        raise ValidationError(_("该机构已有同一笔收费记录（合同编号和收费日期相同）"))
    record = FeeRecord(
        institution=institution, amount=amount, class_hours=class_hours, period_from=period_from,
        period_to=period_to, charged_on=charged_on, supervised=supervised, natural_key=key,
        source=FeeRecord.Source.MANUAL, created_by=actor, **texts,
    )  # fmt: skip
    record._history_user = actor
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # The same charge saved a moment ago (a second tap on 保存): the check above raced.
        raise ValidationError(_("该机构已有同一笔收费记录（合同编号和收费日期相同）")) from None
    changes = evaluate_records([record], actor=actor, fresh=True)
    record.refresh_from_db()
    return record, changes


def refunded_total(record: FeeRecord) -> Decimal:
    return record.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@transaction.atomic
def refund_record(
    *,
    record: FeeRecord,
    actor,
    scope: Scope,
    amount: Decimal,
    refunded_on: dt.date,
    payee: str,
    note: str = "",
) -> tuple[Refund, list[str]]:
    """Record money returned for a charge; violations it now covers are closed (销号).

    Returns the refund and the rules whose violations it closed.
    """
    institution = record.institution
    _require_institution(scope, "fees.change", institution)
    # Lock the charge: two officers recording refunds at once must not overshoot it.
    record = FeeRecord.objects.select_for_update().get(pk=record.pk)
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("退费金额应大于 0")
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("金额最多两位小数")
    elif refunded_total(record) + amount > record.amount:
        errors["amount"] = _("累计退费 %(sum)s 元将超过收费金额 %(amount)s 元") % {
            "sum": refunded_total(record) + amount,
            "amount": record.amount,
        }
    if refunded_on is None:
        errors["refunded_on"] = _("请填写退费日期")
    elif refunded_on > timezone.localdate():
        errors["refunded_on"] = _("退费日期不能晚于今天")
    elif refunded_on < record.charged_on:
        errors["refunded_on"] = _("退费日期不能早于收费日期")
    if not (payee or "").strip():
        errors["payee"] = _("请填写退给谁（学员或家长）")
    if errors:
        raise ValidationError(errors)
    refund = Refund(
        record=record, amount=amount, refunded_on=refunded_on, payee=payee.strip(),
        note=(note or "").strip(), recorded_by=actor,
    )  # fmt: skip
    refund._history_user = actor
    refund.save()
    fees_changed([institution.county_id])
    return refund, close_if_refunded(record, actor=actor)


def _require_violation(scope: Scope, violation: FeeViolation) -> None:
    _require_institution(scope, "fees.change", violation.institution)


def _require_not_done(violation: FeeViolation) -> None:
    if violation.status == FeeViolation.Status.CLOSED:
        raise ValidationError(_("该违规已销号"))
    if violation.status == FeeViolation.Status.WITHDRAWN:
        raise ValidationError(_("收费规则调整后该记录已不再违规，无需整改"))


def _lock(violation: FeeViolation) -> None:
    """Lock the violation's row and read it again, in place, before deciding on its state.

    The object the view fetched may already be stale: a refund recorded at the same moment
    can have closed it (close_if_refunded locks the rows it closes, too). Without the lock
    a full save() of the old state would overwrite that.
    """
    violation.refresh_from_db(from_queryset=FeeViolation.objects.select_for_update())


def _save(violation: FeeViolation, actor) -> FeeViolation:
    violation._history_user = actor
    violation.save()
    fees_changed([violation.institution.county_id])
    return violation


@transaction.atomic
def fee_violation_report(
    *, violation: FeeViolation, actor, scope: Scope, note: str
) -> FeeViolation:
    """The institution says it has rectified (recorded by the officer)."""
    _require_violation(scope, violation)
    _lock(violation)
    _require_not_done(violation)
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写整改情况")})
    violation.status = FeeViolation.Status.REPORTED
    violation.reported_at = timezone.now()
    violation.report_note = note.strip()
    return _save(violation, actor)


@transaction.atomic
def fee_violation_close(*, violation: FeeViolation, actor, scope: Scope, note: str) -> FeeViolation:
    """Close without (full) refund: the institution proved compliance; the note says how."""
    _require_violation(scope, violation)
    _lock(violation)
    _require_not_done(violation)
    if not (note or "").strip():
        raise ValidationError(
            {"note": _("请写明机构证明已合规的依据（如资金已转入监管账户的凭证）")}
        )
    violation.status = FeeViolation.Status.CLOSED
    violation.closure = FeeViolation.Closure.COMPLIANCE
    violation.closed_at = timezone.now()
    violation.closed_by = actor
    violation.close_note = note.strip()
    return _save(violation, actor)


@transaction.atomic
def fee_violation_reopen(
    *, violation: FeeViolation, actor, scope: Scope, note: str, deadline: dt.date
) -> FeeViolation:
    """Send a reported or closed violation back with a new deadline."""
    _require_violation(scope, violation)
    _lock(violation)
    if violation.status not in (FeeViolation.Status.REPORTED, FeeViolation.Status.CLOSED):
        raise ValidationError(_("只有已报整改或已销号的违规可以退回"))
    errors = {}
    if not (note or "").strip():
        errors["note"] = _("退回时请写明未整改到位的情况")
    if deadline is None:
        errors["deadline"] = _("退回整改时请填写新的整改期限")
    elif deadline < timezone.localdate():
        errors["deadline"] = _("新的整改期限不能早于今天")
    if errors:
        raise ValidationError(errors)
    violation.status = FeeViolation.Status.OPEN
    violation.reopened_count += 1
    violation.deadline = deadline
    violation.closure = ""
    violation.closed_at = None
    violation.closed_by = None
    violation.close_note = note.strip()
    return _save(violation, actor)
