"""The institution ledger (机构台账) and the import template, with the same Chinese headers."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tabular.export import ListExporter

from .importers import CATEGORY_LABELS, COLUMNS, SECTOR_LABELS, STATUS_LABELS

_WIDTHS = {
    "name": 34,
    "credit_code": 22,
    "permit_number": 20,
    "county": 12,
    "address": 36,
    "phone": 16,
    "legal_representative": 12,
}


class InstitutionLedger(ListExporter):
    sheet_title = "机构台账"
    headers = [c.template_header for c in COLUMNS]
    widths = [_WIDTHS.get(c.key, 14) for c in COLUMNS]

    def __init__(self, queryset: QuerySet, *, region_name: str = ""):
        self.queryset = queryset
        self.region_name = region_name

    def title_line(self) -> str:
        return _("%(region)s校外培训机构台账（导出时间：%(time)s）") % {
            "region": self.region_name,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def rows(self):
        fields = [
            "name", "credit_code", "permit_number", "category", "sector", "county__name",
            "address", "legal_representative", "phone", "floor_area", "capacity", "is_risky",
            "status", "platform_number",
        ]  # fmt: skip
        category_label, sector_label, status_label = (
            CATEGORY_LABELS.get,
            SECTOR_LABELS.get,
            STATUS_LABELS.get,
        )
        for (name, code, permit, category, sector, county, address, legal, phone, area,
             capacity, risky, status, platform) in (
            self.queryset.order_by("county_id", "name", "id")
            .values_list(*fields)
            .iterator(chunk_size=10000)
        ):  # fmt: skip
            yield [
                name, code, permit, category_label(category, ""), sector_label(sector, ""),
                county, address, legal, phone, area, capacity, risky, status_label(status, ""),
                platform,
            ]  # fmt: skip


def import_template_xlsx() -> bytes:
    """The template users fill: the header, drop-downs for the fixed choices, and instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "机构名录"
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.template_header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column.key, 14)
    sheet.freeze_panes = "A2"
    choices = {
        "category": "学科类,非学科类",
        "sector": "体育,文化艺术,科技,其他",
        "is_risky": "是,否",
        "status": "正常,停业,注销",
    }
    for index, column in enumerate(COLUMNS, start=1):
        if column.key in choices:
            rule = DataValidation(
                type="list", formula1=f'"{choices[column.key]}"', allow_blank=True
            )
            rule.error = _("请从下拉列表中选择")
            sheet.add_data_validation(rule)
            letter = get_column_letter(index)
            rule.add(f"{letter}2:{letter}10000")
        # Codes typed into a number cell lose their last digits in Excel: make them text.
        if column.key in {"credit_code", "permit_number", "phone", "platform_number"}:
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append([_("列名"), _("是否必填"), _("填写要求")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append([column.header, _("必填") if column.required else _("选填"), column.note])
    notes.append([])
    notes.append(
        [
            _(
                "说明：带 * 的列必须填写；同一统一社会信用代码再次导入时更新原记录，空白单元格不会清空原有内容。"
            )
        ]
    )
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
