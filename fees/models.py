"""Fee supervision (§五): charges, the violations the campaign's rule table finds in them, refunds.

A `FeeRecord` is one charge an institution collected. Evaluating it against the campaign's
`FeeRule` for the institution's category (fees/rules.py) gives one `FeeViolation` per rule
broken: a refund / rectify task with the states of inspections.Finding and a deadline.
`Refund`s are recorded against the charge (the money goes back to whoever paid it); a
violation closes when the refunds cover what it requires, or the institution proves
compliance. Money is Decimal throughout.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import rules


class FeeRecord(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", _("表格导入")
        MANUAL = "manual", _("手工录入")

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="fee_records",
        verbose_name=_("机构"),
    )
    contract_number = models.CharField(_("合同编号"), max_length=64, blank=True)
    student = models.CharField(_("学员"), max_length=64, blank=True)
    course = models.CharField(_("课程"), max_length=200, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    class_hours = models.PositiveIntegerField(_("课时数"), null=True, blank=True)
    period_from = models.DateField(_("收费起始日期"))
    period_to = models.DateField(_("收费截止日期"))
    charged_on = models.DateField(_("收费日期"), db_index=True)
    supervised = models.BooleanField(_("进入监管账户"))
    # Identifies the charge within its institution, so a re-imported sheet updates or
    # leaves rows unchanged instead of doubling them (fees/services.py, natural_key).
    natural_key = models.CharField(max_length=400)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    checked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收费记录")
        verbose_name_plural = _("收费记录")
        ordering = ["-charged_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "natural_key"], name="unique_fee_record_per_institution"
            ),
            models.CheckConstraint(
                condition=models.Q(period_to__gte=models.F("period_from")),
                name="fee_period_in_order",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fee_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.amount} · {self.charged_on}"

    def charge(self) -> rules.Charge:
        return rules.Charge(
            amount=self.amount,
            class_hours=self.class_hours,
            period_from=self.period_from,
            period_to=self.period_to,
            supervised=self.supervised,
        )


class FeeViolation(models.Model):
    """One rule one charge broke: a refund / rectify task, closed on its own."""

    class Rule(models.TextChoices):
        PERIOD = rules.PERIOD, _("收费周期超过规定")
        HOURS = rules.HOURS, _("收费课时超过规定")
        AMOUNT = rules.AMOUNT, _("单次收费金额超过规定")
        OFF_PLATFORM = rules.OFF_PLATFORM, _("未进入监管账户")

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        REPORTED = "reported", _("已报整改")
        CLOSED = "closed", _("已销号")
        # The rule table changed and the charge no longer breaks this rule: kept, not a problem.
        WITHDRAWN = "withdrawn", _("已撤销")

    class Closure(models.TextChoices):
        REFUNDED = "refunded", _("退费到位")
        COMPLIANCE = "compliance", _("证明已合规")

    DONE = (Status.CLOSED, Status.WITHDRAWN)

    record = models.ForeignKey(
        FeeRecord, on_delete=models.PROTECT, related_name="violations", verbose_name=_("收费记录")
    )
    # The charge's institution, copied (a charge never changes institution): the ledger and
    # its counts are scoped by institution, and reaching it through the charges joined 2
    # million rows for every province-wide count.
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="fee_violations",
        verbose_name=_("机构"),
        editable=False,
    )
    rule = models.CharField(_("违反规则"), max_length=32, choices=Rule.choices)
    limit = models.CharField(_("规定限额"), max_length=32, blank=True)
    actual = models.CharField(_("实际"), max_length=32, blank=True)
    excess = models.DecimalField(_("超出金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    deadline = models.DateField(_("整改期限"))
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    reported_at = models.DateTimeField(_("报整改时间"), null=True, blank=True)
    report_note = models.TextField(_("整改情况"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closure = models.CharField(_("销号方式"), max_length=16, choices=Closure.choices, blank=True)
    close_note = models.TextField(_("销号说明"), blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收费违规")
        verbose_name_plural = _("收费违规与退费台账")
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "rule"], name="unique_fee_violation_rule")
        ]
        indexes = [
            # The ledger's order: its first page is read off the index, not a sort of every
            # violation in the province.
            models.Index(fields=["deadline", "record", "rule", "id"], name="fee_violation_ledger"),
        ]

    def __str__(self) -> str:
        return f"{self.record} · {self.get_rule_display()}"

    def save(self, *args, **kwargs):
        if self.institution_id is None:  # bulk_create callers set it themselves
            self.institution_id = self.record.institution_id
        super().save(*args, **kwargs)

    @property
    def required_refund(self) -> Decimal:
        return self.excess

    def overdue_on(self, today) -> bool:
        return self.status not in self.DONE and self.deadline < today


class Refund(models.Model):
    """Money returned to a payer for one charge."""

    record = models.ForeignKey(
        FeeRecord, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("收费记录")
    )
    amount = models.DecimalField(_("退费金额（元）"), max_digits=12, decimal_places=2)
    refunded_on = models.DateField(_("退费日期"))
    payee = models.CharField(_("退给"), max_length=100)
    note = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("退费")
        verbose_name_plural = _("退费")
        ordering = ["refunded_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.record} · {self.amount}"
