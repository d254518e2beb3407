"""The staff-vetting ledger, the check batch sheet and the import templates.

ID numbers are masked in every sheet but one: the batch sheet public security downloads to
run the checks, which only `staff.reveal` holders get, with a stated reason, and which is
audited as a reveal of every number in it (views_checks.BatchFullExportView).
"""

from __future__ import annotations

import io

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.scope import Scope
from tabular.export import ListExporter

from . import selectors
from .importers import POST_LABELS, RESULT_COLUMNS, RESULT_HEADERS, STAFF_COLUMNS
from .models import BackgroundCheck, Category, CheckBatch, Dismissal

OUTCOME_LABELS = {
    BackgroundCheck.Outcome.CLEAR: "无犯罪记录",
    BackgroundCheck.Outcome.RECORD: "有犯罪记录",
}


class VettingLedger(ListExporter):
    """从业人员审查台账: one row per staff member, ID masked; results only for those who may
    read them (others get 已查询 / 未查询)."""

    sheet_title = "从业人员审查台账"
    headers = [
        "所在机构", "统一社会信用代码", "所在县区", "姓名", "身份证号", "性别", "岗位", "入职日期",
        "离职日期", "教师资格证号", "平台信息是否完整", "是否已查询", "最近查询日期", "查询编号",
        "查询结果", "不得从业情形", "清退状态",
    ]  # fmt: skip
    widths = [30, 22, 12, 10, 22, 6, 12, 12, 12, 22, 10, 10, 12, 18, 12, 20, 10]

    def __init__(self, queryset: QuerySet, *, scope: Scope, region_name: str = ""):
        self.queryset = queryset
        self.scope = scope
        self.region_name = region_name

    def title_line(self) -> str:
        return _("%(region)s校外培训机构从业人员审查台账（导出时间：%(time)s）") % {
            "region": self.region_name,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def rows(self):
        done = BackgroundCheck.objects.filter(status="done").order_by("-checked_on", "-id")
        qs = self.queryset.order_by("institution__county_id", "institution__name", "name", "id")
        qs = qs.prefetch_related(
            Prefetch("checks", queryset=done, to_attr="done_checks"),
            Prefetch("dismissals", queryset=Dismissal.objects.order_by("-id"), to_attr="all_dis"),
        )
        categories = dict(Category.choices)
        statuses = dict(Dismissal.Status.choices)
        for staff in qs.iterator(chunk_size=1000):
            institution = staff.institution
            last = staff.done_checks[0] if staff.done_checks else None
            row = [
                institution.name, institution.credit_code, institution.county.name, staff.name,
                staff.id_masked, staff.get_sex_display(), POST_LABELS.get(staff.post, ""),
                staff.employed_from, staff.employed_until, staff.teacher_certificate,
                staff.platform_complete, "已查询" if last else "未查询",
            ]  # fmt: skip
            if last and selectors.can_see_results(self.scope, institution):
                dismissal = staff.all_dis[0] if staff.all_dis else None
                row += [
                    last.checked_on, last.reference, OUTCOME_LABELS.get(last.outcome, ""),
                    categories.get(last.category, ""),
                    statuses.get(dismissal.status, "") if dismissal else "",
                ]  # fmt: skip
            else:
                row += ["", "", "", "", ""]
            yield row


class BatchSheet(ListExporter):
    """The batch as public security expects it; they fill the result columns and send it
    back, and the result import reads it as is."""

    sheet_title = "犯罪记录查询"
    headers = RESULT_HEADERS
    widths = [10, 10, 10, 22, 6, 30, 12, 12, 18, 18, 12, 24]

    def __init__(self, batch: CheckBatch, checks: QuerySet, *, full_numbers: bool = False):
        self.batch = batch
        self.checks = checks
        self.full_numbers = full_numbers

    def title_line(self) -> str:
        return _("校外培训机构从业人员犯罪记录查询申请表（批次 %(number)s，%(date)s）") % {
            "number": self.batch.number,
            "date": timezone.localtime(self.batch.created_at).strftime("%Y-%m-%d"),
        }

    def rows(self):
        for check in self.checks.order_by("id"):
            staff = check.staff
            number = staff.reveal_id_number() if self.full_numbers else staff.id_masked
            yield [
                check.number, self.batch.number, staff.name, number, staff.get_sex_display(),
                staff.institution.name, staff.institution.county.name, "", "", "", "", "",
            ]  # fmt: skip


def _template(sheet_title: str, columns, choices: dict[str, str], text_keys: set[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.template_header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 22 if column.key in text_keys else 14
        if column.key in choices:
            rule = DataValidation(
                type="list", formula1=f'"{choices[column.key]}"', allow_blank=True
            )
            rule.error = _("请从下拉列表中选择")
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}10000")
        if column.key in text_keys:
            # An ID number typed into a number cell loses its last digits: make it text.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append([_("列名"), _("是否必填"), _("填写要求")])
    for column in columns:
        notes.append([column.header, _("必填") if column.required else _("选填"), column.note])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["C"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def staff_template_xlsx() -> bytes:
    return _template(
        "从业人员名录",
        STAFF_COLUMNS,
        {"post": ",".join(dict.fromkeys(POST_LABELS.values())), "platform_complete": "是,否"},
        {"id_number", "institution", "teacher_certificate"},
    )


def result_template_xlsx() -> bytes:
    return _template(
        "查询结果",
        RESULT_COLUMNS,
        {"outcome": "无犯罪记录,有犯罪记录"},
        {"check", "id_number", "reference"},
    )
