"""The problem list as a ledger (问题清单), on the one export base."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Department, Section
from campaign.models import ChecklistItem
from tabular.export import ListExporter

from .models import Finding
from .selectors import effective_deadline


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: write the wall-clock time the officer saw.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


class ProblemLedger(ListExporter):
    sheet_title = "问题清单"
    headers = [
        "机构名称", "统一社会信用代码", "所在县区", "检查日期", "检查项编号", "检查内容", "板块",
        "严重程度", "问题描述", "整改要求", "责任部门", "整改期限", "状态", "是否逾期", "复查时间",
        "复查意见", "撤销原因",
    ]  # fmt: skip
    widths = [34, 22, 12, 12, 10, 48, 18, 10, 40, 40, 12, 12, 12, 10, 18, 30, 30]

    def __init__(self, queryset: QuerySet, *, region_name: str = "", today: dt.date | None = None):
        """`queryset` is an already scoped and filtered finding list."""
        self.queryset = queryset
        self.region_name = region_name
        self.today = today or timezone.localdate()

    def title_line(self) -> str:
        return _("%(region)s校外培训机构安全检查问题清单（导出时间：%(time)s）") % {
            "region": self.region_name,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def rows(self):
        sections = dict(Section.choices)
        severities = dict(ChecklistItem.Severity.choices)
        departments = dict(Department.choices)
        statuses = dict(Finding.Status.choices)
        qs = self.queryset.select_related("task__inspection", "withdrawn_by").order_by(
            "task__institution__county_id", "task__institution__name", effective_deadline(), "id"
        )
        for finding in qs.iterator(chunk_size=2000):
            task, institution = finding.task, finding.task.institution
            submitted = task.inspection.submitted_at
            withdrawn = finding.withdrawn_by.reason if finding.withdrawn_by else ""
            yield [
                institution.name,
                institution.credit_code,
                institution.county.name,
                timezone.localtime(submitted).date() if submitted else None,
                finding.item.code,
                finding.item.text,
                sections.get(finding.section, finding.section),
                severities.get(finding.severity, finding.severity),
                finding.description,
                finding.requirement,
                departments.get(task.department, task.department),
                finding.effective_deadline,
                statuses.get(finding.status, finding.status),
                finding.overdue_on(self.today),
                _local(finding.verified_at),
                finding.verify_note,
                withdrawn,
            ]
