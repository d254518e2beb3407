"""Staff lists and public security's check results, through the shared import pipeline.

Same preview, row errors and all-or-nothing write as the institution import
(tabular). ID numbers appear in previews and error reasons only masked; the
uploaded file itself is deleted once the run is finished (personnel/imports.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.scope import scope_for
from core import crypto
from institutions.importers import clean_number_text, parse_credit_code
from institutions.models import Institution
from tabular.bulk import insert_with_history
from tabular.importer import Column, Importer, Plan, PlannedRow, RowError
from tabular.reading import (
    CellError,
    choice_parser,
    clean_code,
    clean_text,
    is_blank,
    parse_bool,
    parse_date,
)

from . import selectors, services
from .models import BackgroundCheck, Category, Post, StaffMember

POST_WORDS = {
    "教师": Post.TEACHER,
    "老师": Post.TEACHER,
    "任课教师": Post.TEACHER,
    "授课教师": Post.TEACHER,
    "助教": Post.TUTOR,
    "辅导人员": Post.TUTOR,
    "辅导员": Post.TUTOR,
    "助教、辅导人员": Post.TUTOR,
    "管理人员": Post.MANAGER,
    "管理": Post.MANAGER,
    "行政人员": Post.ADMINISTRATIVE,
    "行政": Post.ADMINISTRATIVE,
    "安保人员": Post.SECURITY,
    "保安": Post.SECURITY,
    "安保": Post.SECURITY,
    "保洁人员": Post.CLEANER,
    "保洁": Post.CLEANER,
    "驾驶员": Post.DRIVER,
    "司机": Post.DRIVER,
    "炊事人员": Post.COOK,
    "厨师": Post.COOK,
    "其他": Post.OTHER,
}
# Export writes these words, so a ledger re-imports unchanged.
POST_LABELS = {
    Post.TEACHER: "教师",
    Post.TUTOR: "助教",
    Post.MANAGER: "管理人员",
    Post.ADMINISTRATIVE: "行政人员",
    Post.SECURITY: "安保人员",
    Post.CLEANER: "保洁人员",
    Post.DRIVER: "驾驶员",
    Post.COOK: "炊事人员",
    Post.OTHER: "其他",
}


def parse_id_number(value: object) -> str:
    """A resident ID number; the reason for a bad one shows it masked."""
    try:
        return crypto.validate_id(clean_code(value))
    except crypto.IdNumberError as exc:
        raise CellError(str(exc)) from None


STAFF_COLUMNS = [
    Column("name", "姓名", True, ("人员姓名", "从业人员姓名", "教职工姓名")),
    Column(
        "id_number",
        "身份证号",
        True,
        ("身份证号码", "公民身份号码", "身份证", "证件号码"),
        parse_id_number,
        "18 位居民身份证号，请把该列设为文本",
    ),
    Column(
        "institution",
        "所在机构统一社会信用代码",
        True,
        ("机构统一社会信用代码", "统一社会信用代码", "机构信用代码", "所在机构信用代码"),
        parse_credit_code,
        "所在培训机构的 18 位统一社会信用代码",
    ),
    Column(
        "post",
        "岗位",
        False,
        ("职务", "岗位类别", "工作岗位"),
        choice_parser(POST_WORDS, "岗位"),
        "教师 / 助教 / 管理人员 / 行政人员 / 安保人员 / 保洁人员 / 驾驶员 / 炊事人员 / 其他",
    ),
    Column(
        "employed_from", "入职日期", False, ("入职时间", "聘用日期"), parse_date, "如 2023-09-01"
    ),
    Column("employed_until", "离职日期", False, ("离职时间", "解聘日期"), parse_date, "在职的不填"),
    Column(
        "teacher_certificate",
        "教师资格证号",
        False,
        ("教师资格证", "教师资格证书编号", "教师资格证书号"),
        clean_number_text,
        "学科类培训机构的教师必填",
    ),
    Column(
        "platform_complete",
        "平台信息是否完整",
        False,
        ("全国平台信息是否完整", "平台信息完整", "基本信息是否完整"),
        parse_bool,
        "是 / 否：全国校外教育培训监管与服务综合平台上的基本信息",
    ),
]
_STAFF_MAX = {"name": 64, "teacher_certificate": 32}


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Institution):
        return value.name
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return POST_LABELS.get(value, str(value))


class StaffImporter(Importer):
    """Rows keyed by institution and ID number: a person may work at two institutions, and
    a row never reaches (nor speaks of) the person's record at another one."""

    kind = "staff"
    columns = STAFF_COLUMNS
    key = "id_number"

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.scope = scope_for(actor)
        self._institutions: dict[str, Institution | None] = {}

    def _institution(self, code: str) -> Institution | None:
        if code not in self._institutions:
            found = Institution.objects.select_related("county").filter(credit_code=code).first()
            if found is not None and not self.scope.covers_institution(
                "staff.change", county_code=found.county_id, sector=found.sector
            ):
                found = None
            self._institutions[code] = found
        return self._institutions[code]

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        for name, limit in _STAFF_MAX.items():
            if isinstance(values.get(name), str) and len(values[name]) > limit:
                yield RowError(row, self.label(name), _("超过 %(n)d 个字") % {"n": limit})
        institution = self._institution(values["institution"])
        if institution is None:
            # The same words whether it does not exist or lies outside the scope.
            yield RowError(
                row,
                self.label("institution"),
                _("找不到该机构，或它不在您的管辖范围内：请先在机构名录中登记"),
            )
            return
        values["institution"] = institution
        start, end = values.get("employed_from"), values.get("employed_until")
        if start and end and end < start:
            yield RowError(row, self.label("employed_until"), _("离职日期不能早于入职日期"))
        if (
            values.get("post") == Post.TEACHER
            and institution.category == Institution.Category.SUBJECT
            and not values.get("teacher_certificate")
            and not StaffMember.objects.filter(
                institution=institution,
                id_hash=crypto.hash_id(values["id_number"]),
                teacher_certificate__gt="",
            ).exists()
        ):
            yield RowError(
                row,
                self.label("teacher_certificate"),
                _("学科类培训机构的教师必须填写教师资格证号"),
            )

    def key_of(self, values: dict) -> tuple | None:
        # check_row has put the institution (in scope) in place of its credit code.
        institution, number = values.get("institution"), values.get("id_number")
        if not isinstance(institution, Institution) or not number:
            return None
        return (institution.pk, number)

    def find_existing(self, keys: list) -> dict:
        by_hash = {crypto.hash_id(number): number for _pk, number in keys}
        records = StaffMember.objects.select_related("institution").filter(
            institution_id__in={pk for pk, _number in keys}, id_hash__in=by_hash
        )
        found = {(r.institution_id, by_hash[r.id_hash]): r for r in records}
        return {key: found[key] for key in keys if key in found}

    def diff(self, record, values: dict) -> dict:
        changes = {}
        for name in ("name", "post", "employed_from", "employed_until", "teacher_certificate",
                     "platform_complete"):  # fmt: skip
            new, old = values.get(name), getattr(record, name)
            if new is None or new == "":
                continue  # a blank keeps the stored value
            if new != old:
                changes[name] = (old, new)
        return changes

    def describe(self, planned: PlannedRow) -> dict:
        values = planned.values
        described = {
            "row": planned.row,
            "name": values["name"],
            "id_number": crypto.mask_id(values["id_number"]),
            "institution": values["institution"].name,
        }
        if planned.changes:
            labels = {c.key: c.header for c in self.columns}
            labels["institution"] = _("所在机构")
            described["changes"] = [
                {"field": labels.get(name, name), "old": _shown(old), "new": _shown(new)}
                for name, (old, new) in planned.changes.items()
            ]
        return described

    def write(self, plan: Plan) -> None:
        reason = _("表格导入")
        created = []
        for planned in plan.creates:
            values = planned.values
            staff = StaffMember(
                institution=values["institution"],
                name=values["name"],
                post=values.get("post") or "",
                employed_from=values.get("employed_from"),
                employed_until=values.get("employed_until"),
                teacher_certificate=values.get("teacher_certificate") or "",
                platform_complete=values.get("platform_complete"),
            )
            staff.set_id_number(values["id_number"])
            created.append(staff)
        insert_with_history(created, StaffMember, user=self.actor, reason=reason)
        now = timezone.now()
        changed: set[str] = {"updated_at"}
        records = []
        for planned in plan.updates:
            record = planned.existing
            for name, (_old, new) in planned.changes.items():
                setattr(record, name, new)
                changed.add(name)
            record.updated_at = now
            records.append(record)
        if records:
            bulk_update_with_history(
                records,
                StaffMember,
                sorted(changed),
                batch_size=2000,
                default_user=self.actor,
                default_change_reason=reason,
            )


# -- check results ---------------------------------------------------------------------

OUTCOME_WORDS = {
    "无犯罪记录": BackgroundCheck.Outcome.CLEAR,
    "无": BackgroundCheck.Outcome.CLEAR,
    "未发现犯罪记录": BackgroundCheck.Outcome.CLEAR,
    "有犯罪记录": BackgroundCheck.Outcome.RECORD,
    "有": BackgroundCheck.Outcome.RECORD,
}
CATEGORY_WORDS = {str(label): value for value, label in Category.choices} | {
    "性侵": Category.SEXUAL_ASSAULT,
    "淫秽物品": Category.PORNOGRAPHY,
    "卖淫": Category.PROSTITUTION,
    "嫖娼": Category.PROSTITUTION,
    "吸毒": Category.DRUGS,
    "贩毒": Category.DRUGS,
    "剥夺政治权利": Category.POLITICAL_RIGHTS,
    "故意犯罪": Category.INTENTIONAL_CRIME,
}
# The batch spreadsheet's columns; the result import reads the same sheet back filled in.
RESULT_HEADERS = [
    "申请编号", "批次", "姓名", "身份证号", "性别", "所在机构", "所在县区",
    "查询日期", "查询单位", "查询编号", "查询结果", "不得从业情形",
]  # fmt: skip


def parse_check_number(value: object) -> int:
    text = clean_code(value)
    digits = text[1:] if text.startswith("C") else text
    if not digits.isdigit():
        raise CellError(_("“%(value)s”不是申请编号（如 C000123）") % {"value": text[:20]})
    return int(digits)


def _id_as_written(value: object) -> str:
    return crypto.normalize_id(clean_text(value)) if not is_blank(value) else ""


RESULT_COLUMNS = [
    Column(
        "check",
        "申请编号",
        True,
        ("申请序号",),
        parse_check_number,
        "导出的批次表中的编号，如 C000123",
    ),
    Column("name", "姓名", False, ("人员姓名",)),
    Column("id_number", "身份证号", False, ("身份证号码", "公民身份号码"), _id_as_written),
    Column("checked_on", "查询日期", True, ("查询时间", "反馈日期"), parse_date),
    Column("checked_by", "查询单位", False, ("查询人", "查询机关", "查询单位（人）")),
    Column("reference", "查询编号", True, ("回执编号", "文号", "反馈编号"), clean_text),
    Column(
        "outcome",
        "查询结果",
        True,
        ("结果", "是否有犯罪记录"),
        choice_parser(OUTCOME_WORDS, "查询结果"),
        "无犯罪记录 / 有犯罪记录",
    ),
    Column(
        "category",
        "不得从业情形",
        False,
        ("犯罪类型", "情形"),
        choice_parser(CATEGORY_WORDS, "不得从业情形"),
        "有犯罪记录时填写：" + " / ".join(str(label) for label in Category.labels),
    ),
]


class CheckResultImporter(Importer):
    """Results keyed by the request number the batch sheet carries (C000123)."""

    kind = "check_results"
    columns = RESULT_COLUMNS
    key = "check"

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.scope = scope_for(actor)

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        try:
            values["result"] = services.parse_result(
                outcome=values.get("outcome") or "",
                category=values.get("category") or "",
                checked_on=values.get("checked_on"),
                reference=values.get("reference") or "",
                checked_by=values.get("checked_by") or "",
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    yield RowError(row, self.label(name), message)
        if len(values.get("reference") or "") > 64:
            yield RowError(row, self.label("reference"), _("超过 %(n)d 个字") % {"n": 64})

    def find_existing(self, keys: list) -> dict:
        checks = selectors.recordable_checks(scope=self.scope).filter(pk__in=keys)
        return {c.pk: c for c in checks}

    def plan(self, upload) -> Plan:
        plan = super().plan(upload)
        # A number that is not a request the user may answer: never a new record.
        for planned in plan.creates:
            plan.error_rows += 1
            plan.errors.append(
                RowError(
                    planned.row, self.label("check"), _("找不到该申请编号，或它不在您的管辖范围内")
                )
            )
        plan.creates = []
        plan.errors.sort(key=lambda e: e.row)
        return plan

    def check_existing(self, record, values: dict, row: int) -> Iterable[RowError]:
        staff = record.staff
        if values.get("name") and values["name"] != staff.name:
            yield RowError(row, self.label("name"), _("姓名与申请编号对应的人员不符"))
        written = values.get("id_number") or ""
        if written and not (
            written == staff.id_masked
            or (
                len(written) == 18
                and "*" not in written
                and crypto.hash_id(written) == staff.id_hash
            )
        ):
            yield RowError(row, self.label("id_number"), _("身份证号与申请编号对应的人员不符"))
        if record.status == BackgroundCheck.Status.DONE and self._result_of(record) != values.get(
            "result"
        ):
            yield RowError(row, self.label("check"), _("该申请已录入了不同的结果，不能覆盖"))

    @staticmethod
    def _result_of(check: BackgroundCheck) -> dict:
        return {
            "outcome": check.outcome,
            "category": check.category,
            "checked_on": check.checked_on,
            "reference": check.reference,
            "checked_by": check.checked_by,
        }

    def diff(self, record, values: dict) -> dict:
        if record.status == BackgroundCheck.Status.DONE:
            return {}
        result = values["result"]
        return {"outcome": ("", result["outcome"]), "category": ("", result["category"])}

    def describe(self, planned: PlannedRow) -> dict:
        check = planned.existing
        result = planned.values.get("result") or {}
        described = {
            "row": planned.row,
            "name": check.staff.name if check else planned.values.get("name", ""),
            "id_number": check.staff.id_masked if check else "",
            "check": check.number if check else "",
            "institution": check.staff.institution.name if check else "",
        }
        outcomes = dict(BackgroundCheck.Outcome.choices)
        categories = dict(Category.choices)
        described["changes"] = [
            {
                "field": _("查询结果"),
                "old": "",
                "new": str(outcomes.get(result.get("outcome"), ""))
                + (f"（{categories[result['category']]}）" if result.get("category") else ""),
            }
        ]
        return described

    def write(self, plan: Plan) -> None:
        now = timezone.now()
        ids = [p.existing.pk for p in plan.updates]
        locked = {
            c.pk: c
            for c in BackgroundCheck.objects.select_for_update()
            .select_related("staff__institution")
            .filter(pk__in=ids)
        }
        for planned in plan.updates:
            check = locked[planned.existing.pk]
            if check.status != BackgroundCheck.Status.PENDING:
                raise CellError(_("第 %(row)d 行的申请已由他人录入结果") % {"row": planned.row})
            services.apply_result(check, planned.values["result"], actor=self.actor, now=now)
