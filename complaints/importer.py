"""Complaint sheets (a 12345 hotline's transfer list, a county's old phone log) through the
register's import machinery: preview, row errors, all-or-nothing write.

The source number (工单号) identifies a case: a sheet imported twice creates nothing the
second time. Rows are written one by one through the intake service, so each case gets
its number, deadline, history row and the county's notification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from core.models import Region
from institutions.importers import parse_credit_code
from institutions.models import Institution
from tabular.export import ListExporter
from tabular.importer import Column, Importer, Plan, PlannedRow, RowError
from tabular.reading import (
    CellError,
    choice_parser,
    clean_code,
    is_blank,
    parse_date,
)

from . import access, services
from .models import Case, Category, Channel

KIND = "complaints"

CHANNEL_WORDS = {str(label): value for value, label in Channel.choices} | {
    "12345": Channel.HOTLINE, "热线": Channel.HOTLINE, "12345热线": Channel.HOTLINE,
    "电话举报": Channel.PHONE, "信件": Channel.LETTER, "来访": Channel.VISIT,
    "网络": Channel.PATROL, "网上": Channel.WEB, "网络投诉": Channel.WEB,
}  # fmt: skip
CATEGORY_WORDS = {str(label): value for value, label in Category.choices} | {
    "安全": Category.SAFETY, "侵害未成年人": Category.MINOR_OFFENCE,
    "疑似侵害未成年人": Category.MINOR_OFFENCE, "性侵": Category.MINOR_OFFENCE,
    "虐待": Category.MINOR_OFFENCE, "收费": Category.FEES, "退费": Category.FEES,
    "收费退费": Category.FEES, "无证无照": Category.UNLICENSED, "无证": Category.UNLICENSED,
}  # fmt: skip


def parse_county(value: object) -> str:
    code = clean_code(value)
    if not (code.isdigit() and len(code) == 6):
        raise CellError(_("“%(value)s”不是 6 位行政区划代码") % {"value": code[:20]})
    return code


def parse_institution_code(value: object) -> str:
    return "" if is_blank(value) else parse_credit_code(value)


def parse_ref(value: object) -> str:
    text = clean_code(value)
    if len(text) > 64:
        raise CellError(_("超过 64 个字符"))
    return text


COLUMNS = [
    Column("external_ref", "来源编号", True, ("工单号", "工单编号", "来件编号", "编号"), parse_ref,
           "如 12345 热线工单号；同一编号重复导入不会重复登记"),
    Column("channel", "渠道", True, ("来源渠道", "来源", "反映渠道"),
           choice_parser(CHANNEL_WORDS, "渠道"), "电话 / 来信 / 来访 / 网络巡查 / 12345 热线转办 / 其他"),
    Column("category", "类别", True, ("问题类别", "反映类别", "投诉类别"),
           choice_parser(CATEGORY_WORDS, "类别"),
           "安全隐患 / 疑似侵害未成年人 / 收费、退费 / 虚假宣传 / 无证无照培训 / 其他"),
    Column("county", "县区代码", True, ("所在县区代码", "行政区划代码", "县（市、区）代码"),
           parse_county, "6 位代码，如 140105"),
    Column("credit_code", "机构统一社会信用代码", False, ("统一社会信用代码", "信用代码"),
           parse_institution_code, "机构已登记时填写"),
    Column("institution_name", "机构名称", False, ("被投诉机构", "涉及机构")),
    Column("description", "反映内容", True, ("问题描述", "投诉内容", "诉求内容")),
    Column("received_on", "收到日期", True, ("受理日期", "来件日期", "登记日期"), parse_date,
           "如 2023-11-20"),
    Column("reporter_name", "反映人", False, ("投诉人", "举报人", "来电人")),
    Column("reporter_phone", "联系电话", False, ("电话", "手机", "联系方式")),
]  # fmt: skip


class ComplaintImporter(Importer):
    kind = KIND
    columns = COLUMNS
    key = "external_ref"

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.scope = scope_for(actor)

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        county = Region.objects.filter(code=values["county"], level=Region.Level.COUNTY).first()
        if county is None or not self.scope.covers_region(access.CHANGE, county.code):
            yield RowError(row, self.label("county"), _("不是您管辖范围内的县（市、区）代码"))
            return
        if values.get("credit_code"):
            institution = Institution.objects.filter(credit_code=values["credit_code"]).first()
            if institution is None or institution.county_id != county.code:
                yield RowError(
                    row, self.label("credit_code"), _("该县（市、区）没有登记这个统一社会信用代码的机构")
                )  # fmt: skip
                return
            values["institution"] = institution
        if values["received_on"] > timezone.localdate():
            yield RowError(row, self.label("received_on"), _("收到日期不能晚于今天"))
        if len(values["description"]) < 10:
            yield RowError(row, self.label("description"), _("反映内容至少 10 个字"))
        if len(values["description"]) > 5000:
            yield RowError(row, self.label("description"), _("反映内容不能超过 5000 字"))

    def find_existing(self, keys: list) -> dict:
        return {c.external_ref: c for c in Case.objects.filter(external_ref__in=keys)}

    def check_existing(self, record, values: dict, row: int) -> Iterable[RowError]:
        if not self.scope.covers_region(access.CHANGE, record.county_id):
            yield RowError(row, self.label("external_ref"), _("该编号已由其他地区登记"))

    def diff(self, record, values: dict) -> dict:
        return {}  # already registered: a re-import changes nothing

    def describe(self, planned: PlannedRow) -> dict:
        values = planned.values
        institution = values.get("institution")
        return {
            "row": planned.row,
            "external_ref": values["external_ref"],
            "category": str(Category(values["category"]).label),
            "institution": institution.name if institution else values.get("institution_name", ""),
            "contact": services.contact_seal(
                values.get("reporter_name", ""), values.get("reporter_phone", "")
            )[1],
        }

    def write(self, plan: Plan) -> None:
        for planned in plan.creates:
            values = planned.values
            received = timezone.make_aware(dt.datetime.combine(values["received_on"], dt.time(9)))
            case, _code = services.case_intake(
                channel=values["channel"], category=values["category"],
                county=Region.objects.get(code=values["county"]),
                institution=values.get("institution"),
                institution_name=values.get("institution_name", ""),
                description=values["description"], reporter_name=values.get("reporter_name", ""),
                reporter_phone=values.get("reporter_phone", ""),
                received_at=min(received, timezone.now()),
                external_ref=values["external_ref"], actor=self.actor, files=[],
            )  # fmt: skip
            services.notify_new(case)


def template_xlsx() -> bytes:
    class Template(ListExporter):
        sheet_title = "投诉举报"
        headers = [c.template_header for c in COLUMNS]
        widths = [18, 14, 18, 12, 24, 24, 40, 12, 10, 14]

        def rows(self):
            yield ["GD2023112001", "12345 热线转办", "收费、退费", "140105", "",
                   "某某艺术培训中心", "家长反映机构一次性收取一年学费，要求退费未果。",
                   "2023-11-20", "张女士", "13800000000"]  # fmt: skip

    return Template().to_xlsx()
