"""The fee list importer: the national platform's or an institution's charge sheet → FeeRecords.

It rides the register's machinery (tabular): the same preview, row errors,
all-or-nothing write and exit codes as the institution import. A row's institution is
found by its credit code among the institutions the importing user may import for; one
outside the scope reads exactly like an unknown code.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from accounts.scope import scope_for
from institutions.importers import parse_credit_code
from institutions.models import Institution
from tabular.bulk import insert_with_history
from tabular.importer import Column, Importer, Plan, PlannedRow, RowError
from tabular.reading import (
    CellError,
    parse_bool,
    parse_date,
    parse_decimal,
)

from .evaluation import RuleTable, evaluate_records
from .models import FeeRecord
from .rules import FEN
from .services import check_charge, natural_key

KIND = "fees"
# The permission that lets a role bring spreadsheets in (admins and county officers).
IMPORT_PERMISSION = "institutions.import"
KEY = "_key"


def parse_amount(value: object):
    amount = parse_decimal(value)
    if amount is None:
        return None
    if amount != amount.quantize(FEN):
        raise CellError(_("金额最多两位小数"))
    return amount.quantize(FEN)


def parse_hours(value: object) -> int | None:
    hours = parse_decimal(value)
    if hours is None:
        return None
    if hours != hours.to_integral_value():
        raise CellError(_("课时数应为整数"))
    if hours < 0:
        raise CellError(_("不能为负数"))
    return int(hours)


def parse_supervised(value: object) -> bool | None:
    return parse_bool(value)


COLUMNS = [
    Column(
        "credit_code", "机构统一社会信用代码", True,
        ("统一社会信用代码", "信用代码", "机构信用代码", "社会信用代码"), parse_credit_code,
        "18 位，机构须已在名录中登记",
    ),
    Column("contract_number", "合同编号", False, ("合同号", "协议编号", "订单编号", "订单号")),
    Column("student", "学员", False, ("学员姓名", "学员（化名）", "学生", "学员编号")),
    Column("course", "课程", False, ("课程名称", "培训项目", "课程名")),
    Column("amount", "金额（元）", True, ("金额", "收费金额", "收费金额（元）", "金额(元)"),
           parse_amount, "本次收费金额，如 4999.99"),
    Column("class_hours", "课时数", False, ("课时", "课时数量", "购买课时"), parse_hours),
    Column("period_from", "收费起始日期", True, ("起始日期", "课程起始日期", "服务起始日期"),
           parse_date, "如 2023-09-01"),
    Column("period_to", "收费截止日期", True, ("截止日期", "课程截止日期", "服务截止日期"),
           parse_date, "如 2023-11-30（含当日）"),
    Column("charged_on", "收费日期", True, ("缴费日期", "付款日期", "交费日期"), parse_date),
    Column("supervised", "是否进入监管账户", True,
           ("进入监管账户", "是否纳入监管", "监管账户", "是否进入监管"), parse_supervised, "是 / 否"),
]  # fmt: skip

_MAX_LENGTH = {
    f.name: f.max_length for f in FeeRecord._meta.concrete_fields if isinstance(f.max_length, int)
}


class FeeImporter(Importer):
    kind = KIND
    columns = COLUMNS
    key = KEY

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.scope = scope_for(actor)
        self._institutions: dict[str, Institution | None] = {}
        self._seen: dict[tuple, int] = {}

    def institution(self, code: str) -> Institution | None:
        if code not in self._institutions:
            found = Institution.objects.filter(credit_code=code).first()
            if found is not None and not self.scope.covers_institution(
                IMPORT_PERMISSION, county_code=found.county_id, sector=found.sector
            ):
                found = None
            self._institutions[code] = found
        return self._institutions[code]

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        for name, value in values.items():
            limit = _MAX_LENGTH.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                yield RowError(row, self.label(name), _("超过 %(n)d 个字") % {"n": limit})
        institution = self.institution(values["credit_code"])
        if institution is None:
            yield RowError(
                row,
                self.label("credit_code"),
                _("在您的管辖范围内找不到统一社会信用代码为“%(code)s”的机构，请先在机构名录中登记")
                % {"code": values["credit_code"]},
            )
            return
        values["institution"] = institution
        problems = check_charge(
            amount=values["amount"], class_hours=values.get("class_hours"),
            period_from=values["period_from"], period_to=values["period_to"],
            charged_on=values["charged_on"],
        )  # fmt: skip
        for name, reason in problems.items():
            yield RowError(row, self.label(name), reason)
        if problems:
            return
        values.setdefault("contract_number", "")
        values.setdefault("student", "")
        values.setdefault("course", "")
        key = (
            institution.pk,
            natural_key(
                **{k: values[k] for k in ("contract_number", "student", "course", "amount",
                                          "period_from", "period_to", "charged_on")}
            ),
        )  # fmt: skip
        # The key is made of several columns, so duplicates are caught here, not by the base.
        if key in self._seen:
            yield RowError(
                row,
                self.label("contract_number"),
                _("与第 %(row)d 行重复") % {"row": self._seen[key]},
            )
            return
        self._seen[key] = row
        values[KEY] = key

    def find_existing(self, keys: list) -> dict:
        institution_ids = {i for i, _k in keys}
        natural = {k for _i, k in keys}
        found = FeeRecord.objects.filter(
            institution_id__in=institution_ids, natural_key__in=natural
        ).select_related("institution")
        return {(r.institution_id, r.natural_key): r for r in found}

    def diff(self, record, values: dict) -> dict:
        changes = {}
        for name in ("student", "course", "amount", "class_hours", "period_from", "period_to",
                     "supervised"):  # fmt: skip
            new = values.get(name)
            if new is None or (new == "" and name in ("student", "course")):
                continue
            if getattr(record, name) != new:
                changes[name] = (getattr(record, name), new)
        return changes

    def describe(self, planned: PlannedRow) -> dict:
        values = planned.values
        described = {
            "row": planned.row,
            "institution": values["institution"].name,
            "contract_number": values.get("contract_number", ""),
            "amount": str(values["amount"]),
            "period": f"{values['period_from']:%Y-%m-%d} — {values['period_to']:%Y-%m-%d}",
            "class_hours": values.get("class_hours"),
            "supervised": values["supervised"],
        }
        if planned.changes:
            labels = {c.key: c.header for c in self.columns}
            described["changes"] = [
                {"field": labels.get(n, n), "old": _show(old), "new": _show(new)}
                for n, (old, new) in planned.changes.items()
            ]
        return described

    def write(self, plan: Plan) -> None:
        reason = _("表格导入")
        created = []
        for planned in plan.creates:
            v = planned.values
            created.append(
                FeeRecord(
                    institution=v["institution"],
                    contract_number=v["contract_number"],
                    student=v["student"],
                    course=v["course"],
                    amount=v["amount"],
                    class_hours=v.get("class_hours"),
                    period_from=v["period_from"],
                    period_to=v["period_to"],
                    charged_on=v["charged_on"],
                    supervised=v["supervised"],
                    natural_key=v[KEY][1],
                    source=FeeRecord.Source.IMPORT,
                    created_by=self.actor,
                )  # fmt: skip
            )
        insert_with_history(created, FeeRecord, user=self.actor, reason=reason)
        table = RuleTable()
        evaluate_records(created, actor=self.actor, table=table, fresh=True)
        updated = []
        for planned in plan.updates:
            record = planned.existing
            for name, (_old, new) in planned.changes.items():
                setattr(record, name, new)
            record._history_user = self.actor
            record._change_reason = reason
            record.save()
            updated.append(record)
        evaluate_records(updated, actor=self.actor, table=table)


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def template_xlsx() -> bytes:
    """The import template: the header row and one example row."""
    from tabular.export import ListExporter

    class Template(ListExporter):
        sheet_title = "收费记录"
        headers = [c.template_header for c in COLUMNS]
        widths = [24, 16, 12, 18, 12, 8, 14, 14, 12, 16]

        def rows(self):
            yield ["91140105MA0XXXXXXX", "HT-2023-001", "学员A", "舞蹈基础班", "4800.00",
                   48, "2023-09-01", "2023-11-30", "2023-09-01", "是"]  # fmt: skip

    return Template().to_xlsx()
