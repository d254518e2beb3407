"""The complaint / referral ledger (投诉举报与移送台账), on the one export base.

Reporters' contacts are always masked; the details of a suspected offence against a minor
appear only for users who may see them on the case page (complaints/access.py).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tabular.export import ListExporter

from .models import Referral

HIDDEN = "（涉未成年人案件，仅承办人、公安和审计员可见）"


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: write the wall-clock time the officer saw.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


class ComplaintLedger(ListExporter):
    sheet_title = "投诉举报与移送台账"
    headers = [
        "编号", "收到时间", "渠道", "类别", "所在县区", "涉及机构", "统一社会信用代码", "反映内容",
        "反映人（已隐藏）", "状态", "处置期限", "是否逾期", "承办人", "移送公安机关", "移送时间",
        "移送人", "公安接收时间", "公安受案编号", "公安反馈时间", "处理结果", "反馈内容",
        "移送是否逾期", "办理结果", "办结时间",
    ]  # fmt: skip
    widths = [16, 17, 12, 16, 12, 30, 22, 50, 16, 10, 17, 8, 16, 24, 17, 10, 17, 16, 17, 12,
              40, 10, 40, 17]  # fmt: skip

    def __init__(self, queryset: QuerySet, *, region_name: str = "", on_write=None):
        """`queryset`: cases from selectors.case_list (annotated `shows_details`), filtered.
        `on_write()` runs when the rows are written (once per file), not when the ledger is
        only built: a large download sent to a background run is read once, by the run."""
        self.queryset = queryset
        self.region_name = region_name
        self.now = timezone.now()
        self.on_write = on_write

    def title_line(self) -> str:
        return _("%(region)s校外培训机构投诉举报与移送公安台账（导出时间：%(time)s）") % {
            "region": self.region_name,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def rows(self):
        if self.on_write is not None:
            self.on_write()
        outcomes = dict(Referral.Outcome.choices)
        qs = self.queryset.prefetch_related("assignees", "referrals__sent_by")
        for case in qs.iterator(chunk_size=500):
            details = case.shows_details
            referral = max(case.referrals.all(), key=lambda r: r.sent_at, default=None)
            late = referral.overdue_at(self.now) if referral else ""
            yield [
                case.number,
                _local(case.received_at),
                case.get_channel_display(),
                case.get_category_display(),
                case.county.name,
                case.institution_label if details else HIDDEN,
                case.institution.credit_code if details and case.institution_id else "",
                case.description if details else HIDDEN,
                case.contact_masked,
                case.get_status_display(),
                _local(case.deadline),
                case.overdue_at(self.now),
                "、".join(str(u) for u in case.assignees.all()),
                referral.police_unit if referral else "",
                _local(referral.sent_at) if referral else None,
                str(referral.sent_by) if referral else "",
                _local(referral.acknowledged_at) if referral else None,
                referral.police_case_number if referral else "",
                _local(referral.feedback_at) if referral else None,
                outcomes.get(referral.outcome, "") if referral else "",
                (referral.feedback if details else HIDDEN)
                if referral and referral.feedback
                else "",
                {"ack": "回执逾期", "feedback": "反馈逾期"}.get(late, "") if referral else "",
                case.result if details else (HIDDEN if case.result else ""),
                _local(case.closed_at),
            ]
