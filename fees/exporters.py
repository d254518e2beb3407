"""The fee-violation and refund ledger (收费违规与退费台账), on the one export base."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.models import Finding
from tabular.export import ListExporter

from .models import FeeViolation, Refund


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


class FeeLedger(ListExporter):
    """One row per violation, with its charge and the refunds recorded for that charge.

    The summary above the table carries the region's figures (fees.selectors.fee_figures),
    the same numbers the page shows; when the list is narrowed by status, rule or words,
    the figures of the rows listed instead (fees.selectors.violation_figures).
    """

    sheet_title = "收费违规与退费台账"
    headers = [
        "机构名称", "统一社会信用代码", "所在县区", "合同编号", "学员", "课程", "收费金额（元）",
        "课时数", "收费起始日期", "收费截止日期", "收费日期", "是否进入监管账户", "违反规则",
        "规定限额", "实际", "超出金额（元）", "应退金额（元）", "已退金额（元）", "退费明细",
        "整改期限", "状态", "是否逾期", "销号方式", "销号时间", "说明",
    ]  # fmt: skip
    widths = [30, 22, 10, 16, 10, 16, 12, 8, 12, 12, 12, 10, 20, 10, 10, 12, 12, 12, 40, 12,
              10, 8, 12, 18, 40]  # fmt: skip

    def __init__(
        self,
        queryset: QuerySet,
        *,
        figures: dict | None = None,
        region_name: str = "",
        findings: QuerySet | None = None,
    ):
        """`queryset`: an already scoped and filtered violation list; `findings`: the §五
        problems found at inspections (fees.selectors.fee_findings), listed after them."""
        self.queryset = queryset
        self.findings = findings
        self.figures = figures
        self.region_name = region_name
        self.today = timezone.localdate()

    def title_line(self) -> str:
        return _("%(region)s校外培训机构收费违规与退费台账（导出时间：%(time)s）") % {
            "region": self.region_name,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def summary(self) -> list[tuple[str, object]]:
        if not self.figures:
            return []
        f = self.figures
        found = [(_("检查发现的收费问题（第五项）"), f["findings"])] if "findings" in f else []
        if "conditions" in f:
            # A filtered ledger (fees.selectors.violation_figures): the rows listed below.
            return [
                (_("筛选条件"), f["conditions"]),
                (_("违规条数"), f["violations"]),
                (_("涉及收费笔数"), f["violating_charges"]),
                (_("超出限额金额（元）"), f["over_limit_amount"]),
                (_("所列收费已退费金额（元）"), f["refunded_amount"]),
                *found,
            ]
        return [
            (_("核查收费笔数"), f["checked"]),
            (_("违规条数"), f["violations"]),
            (_("超出限额金额（元）"), f["over_limit_amount"]),
            (_("已退费金额（元）"), f["refunded_amount"]),
            *found,
        ]

    def rows(self):
        rules = dict(FeeViolation.Rule.choices)
        statuses = dict(FeeViolation.Status.choices)
        closures = dict(FeeViolation.Closure.choices)
        qs = self.queryset.select_related("record", "institution__county").order_by(
            "institution__county_id", "institution__name", "record_id", "rule"
        )
        violations = list(qs)
        refunds = defaultdict(list)
        record_ids = {v.record_id for v in violations}
        for refund in Refund.objects.filter(record_id__in=record_ids).order_by("refunded_on", "id"):
            refunds[refund.record_id].append(refund)
        for v in violations:
            record, institution = v.record, v.institution
            paid = refunds[record.pk]
            yield [
                institution.name,
                institution.credit_code,
                institution.county.name,
                record.contract_number,
                record.student,
                record.course,
                record.amount,
                record.class_hours,
                record.period_from,
                record.period_to,
                record.charged_on,
                record.supervised,
                rules.get(v.rule, v.rule),
                v.limit,
                v.actual,
                v.excess,
                v.required_refund,
                sum((r.amount for r in paid), start=v.excess * 0),
                "；".join(f"{r.refunded_on:%Y-%m-%d} {r.amount} 元 退给{r.payee}" for r in paid),
                v.deadline,
                statuses.get(v.status, v.status),
                v.overdue_on(self.today),
                closures.get(v.closure, ""),
                _local(v.closed_at),
                v.close_note or v.report_note,
            ]
        yield from self._finding_rows()

    def _finding_rows(self):
        """§五 problems (明码标价, 体外循环, 价格欺诈、虚假宣传…) in the same columns: no
        charge, the checklist item as the rule, the problem's own deadline and state."""
        if self.findings is None:
            return
        statuses = dict(Finding.Status.choices)
        for f in self.findings.iterator(chunk_size=2000):
            institution = f.task.institution
            closed = f.status == Finding.Status.CLOSED
            yield [
                institution.name, institution.credit_code, institution.county.name,
                "", "", "", None, None, None, None, None, None,
                _("检查发现 %(code)s：%(text)s") % {"code": f.item.code, "text": f.item.text},
                "", f.description, None, None, None, "",
                f.effective_deadline, statuses.get(f.status, f.status), f.overdue_on(self.today),
                _("复查销号") if closed else "", _local(f.verified_at), f.requirement,
            ]  # fmt: skip
