"""The institution register's importer: the template's columns and how a row becomes a record."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from accounts.roles import Sector
from accounts.scope import scope_for
from core.models import Region
from tabular.bulk import insert_with_history
from tabular.importer import Column, Importer, Plan, PlannedRow, RowError
from tabular.reading import (
    CellError,
    choice_parser,
    clean_code,
    clean_text,
    parse_bool,
    parse_decimal,
    parse_int,
)

from .accounts import accounts_follow
from .models import Institution
from .services import institutions_moved

CATEGORY_WORDS = {
    "学科类": Institution.Category.SUBJECT,
    "学科": Institution.Category.SUBJECT,
    "非学科类": Institution.Category.NON_SUBJECT,
    "非学科": Institution.Category.NON_SUBJECT,
}
SECTOR_WORDS = {
    "体育": Sector.SPORTS,
    "体育类": Sector.SPORTS,
    "文化艺术": Sector.CULTURE_ART,
    "文化艺术类": Sector.CULTURE_ART,
    "文艺": Sector.CULTURE_ART,
    "艺术": Sector.CULTURE_ART,
    "科技": Sector.SCIENCE,
    "科技类": Sector.SCIENCE,
    "其他": Sector.OTHER,
    "其它": Sector.OTHER,
}
STATUS_WORDS = {
    "正常": Institution.Status.OPERATING,
    "正常营业": Institution.Status.OPERATING,
    "营业": Institution.Status.OPERATING,
    "在营": Institution.Status.OPERATING,
    "停业": Institution.Status.SUSPENDED,
    "暂停营业": Institution.Status.SUSPENDED,
    "停业整顿": Institution.Status.SUSPENDED,
    "注销": Institution.Status.CLOSED,
    "已注销": Institution.Status.CLOSED,
}
# Export writes these words back, so an exported ledger re-imports unchanged.
CATEGORY_LABELS = {
    Institution.Category.SUBJECT: "学科类",
    Institution.Category.NON_SUBJECT: "非学科类",
}
SECTOR_LABELS = {
    Sector.SPORTS: "体育",
    Sector.CULTURE_ART: "文化艺术",
    Sector.SCIENCE: "科技",
    Sector.OTHER: "其他",
}
STATUS_LABELS = {
    Institution.Status.OPERATING: "正常",
    Institution.Status.SUSPENDED: "停业",
    Institution.Status.CLOSED: "注销",
}


_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def parse_credit_code(value: object) -> str:
    code = clean_code(value)
    # Fast path for the well-formed majority; python-stdnum still computes the check
    # digit, and explains any code that fails.
    if _USCC_SHAPE.fullmatch(code) and uscc.calc_check_digit(code[:17]) == code[17]:
        return code
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise CellError(_("“%(code)s”应为 18 位") % {"code": code}) from None
    except InvalidChecksum:
        raise CellError(_("“%(code)s”校验位不正确") % {"code": code}) from None
    except ValidationError:
        raise CellError(_("“%(code)s”含有不允许的字符") % {"code": code}) from None


def _choice(words: dict, label: str):
    return choice_parser(words, label)


def clean_number_text(value: object) -> str:
    """Phone, permit and platform numbers: half-width, as written (dashes kept, as the form keeps them)."""
    return unicodedata.normalize("NFKC", clean_text(value))


def parse_area(value: object) -> Decimal | None:
    area = parse_decimal(value)
    if area is None:
        return None
    if area < 0:
        raise CellError(_("不能为负数"))
    # Stored with two decimals; rounding here keeps a re-import of the same sheet unchanged.
    area = area.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if area >= Decimal("1e8"):
        raise CellError(_("数值过大"))
    return area


def parse_capacity(value: object) -> int | None:
    number = parse_int(value)
    if number is not None and number > 2_147_483_647:
        raise CellError(_("数值过大"))
    return number


COLUMNS = [
    Column("name", "机构名称", True, ("培训机构名称", "机构全称", "单位名称", "名称")),
    Column(
        "credit_code",
        "统一社会信用代码",
        True,
        ("信用代码", "社会信用代码", "统一代码", "统一社会信用代码证号"),
        parse_credit_code,
        "18 位，含校验位",
    ),
    Column(
        "permit_number",
        "办学许可证号",
        False,
        ("办学许可证", "许可证号", "办学许可证编号"),
        clean_number_text,
    ),
    Column(
        "category",
        "类别",
        True,
        ("机构类别", "培训类别", "类型", "机构类型"),
        _choice(CATEGORY_WORDS, "类别"),
        "学科类 / 非学科类",
    ),
    Column(
        "sector",
        "行业",
        False,
        ("所属行业", "行业类别", "培训行业"),
        _choice(SECTOR_WORDS, "行业"),
        "非学科类填写：体育 / 文化艺术 / 科技 / 其他",
    ),
    Column(
        "county",
        "所在县区",
        True,
        (
            "县区",
            "所属县区",
            "县(市、区)",
            "所在县(市、区)",
            "区县",
            "所在区县",
            "所属区县",
            "行政区划",
        ),
        clean_text,
        "县区名称（如 小店区）或 6 位行政区划代码",
    ),
    Column("address", "地址", False, ("机构地址", "培训地址", "注册地址", "详细地址")),
    Column("legal_representative", "法定代表人", False, ("法人", "法人代表", "法定代表人姓名")),
    Column(
        "phone", "联系电话", False, ("电话", "联系方式", "手机号", "联系人电话"), clean_number_text
    ),
    Column(
        "floor_area",
        "面积（平方米）",
        False,
        ("面积", "场地面积", "建筑面积", "面积(㎡)"),
        parse_area,
    ),
    Column(
        "capacity", "可容纳学生数", False, ("容纳人数", "可容纳人数", "学生容量"), parse_capacity
    ),
    Column(
        "is_risky",
        "是否有一定危险性",
        False,
        ("是否有危险性", "危险性", "有一定危险性", "是否高危"),
        parse_bool,
        "是 / 否（体育、舞蹈、户外、游泳、武术等）",
    ),
    Column(
        "status",
        "经营状态",
        False,
        ("状态", "营业状态", "运营状态"),
        _choice(STATUS_WORDS, "经营状态"),
        "正常 / 停业 / 注销",
    ),
    Column(
        "platform_number", "全国平台编号", False, ("平台编号", "监管平台编号"), clean_number_text
    ),
]


_MAX_LENGTH = {
    f.name: f.max_length for f in Institution._meta.concrete_fields if isinstance(f.max_length, int)
}


class CountyResolver:
    """County names or codes as people write them → county codes, within one province."""

    def __init__(self):
        self.by_code: dict[str, Region] = {}
        self.by_name: dict[str, list[Region]] = {}
        for county in Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"):
            self.by_code[county.code] = county
            for name in (county.name, f"{county.parent.name}{county.name}"):
                self.by_name.setdefault(name, []).append(county)

    def resolve(self, text: str) -> Region:
        compact = "".join(unicodedata.normalize("NFKC", text).split())
        if compact.isdigit():
            county = self.by_code.get(compact)
            if county is None:
                raise CellError(_("行政区划代码“%(code)s”不是县级代码") % {"code": compact})
            return county
        found = self.by_name.get(compact, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(
                _("县区名称“%(name)s”有重名（%(cities)s），请加上市名或填写行政区划代码")
                % {"name": compact, "cities": "、".join(c.parent.name for c in found)}
            )
        raise CellError(_("找不到县区“%(name)s”") % {"name": compact})


class InstitutionImporter(Importer):
    kind = "institutions"
    columns = COLUMNS
    key = "credit_code"

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.scope = scope_for(actor)
        self.counties = CountyResolver()

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        for name, value in values.items():
            limit = _MAX_LENGTH.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                yield RowError(row, self.label(name), _("超过 %(n)d 个字") % {"n": limit})
        try:
            county = self.counties.resolve(values["county"])
        except CellError as exc:
            yield RowError(row, self.label("county"), str(exc))
            return
        values["county"] = county
        if values["category"] == Institution.Category.SUBJECT:
            # Explicitly empty (not None): an update from non-subject clears the sector.
            values["sector"] = ""
        # 行业 is optional in the template: a non-subject row without it is stored without a
        # sector (shown as missing), never guessed; on update a blank keeps the stored one.
        sector = values.get("sector") or ""
        if not self.scope.covers_region("institutions.import", county.code):
            yield RowError(
                row,
                self.label("county"),
                _("“%(name)s”不在您的管辖范围内，不能导入") % {"name": county.name},
            )
        elif not self.scope.covers_institution(
            "institutions.import", county_code=county.code, sector=sector
        ):
            yield RowError(row, self.label("sector"), _("该行业的机构不归您的部门主管，不能导入"))

    def find_existing(self, keys: list) -> dict:
        return {i.credit_code: i for i in Institution.objects.filter(credit_code__in=keys)}

    def check_existing(self, record, values: dict, row: int) -> Iterable[RowError]:
        # A conscious trade-off: the credit code is unique nationwide, so refusing it tells
        # the uploader that it is registered elsewhere, but nothing more about that record.
        if not self.scope.covers_institution(
            "institutions.import", county_code=record.county_id, sector=record.sector
        ):
            # Say only that the code is taken elsewhere: nothing about the other record.
            yield RowError(
                row, self.label("credit_code"), _("该代码已由您管辖范围以外的机构登记，不能修改")
            )

    def diff(self, record, values: dict) -> dict:
        changes = super().diff(
            record, {k: v for k, v in values.items() if k not in ("county", "sector")}
        )
        if values.get("sector") is not None and values["sector"] != record.sector:
            changes["sector"] = (record.sector, values["sector"])
        if values["county"].code != record.county_id:
            changes["county"] = (record.county_id, values["county"].code)
        return changes

    def describe(self, planned: PlannedRow) -> dict:
        values = planned.values
        described = {
            "row": planned.row,
            "name": values["name"],
            "credit_code": values["credit_code"],
            "county": values["county"].name,
        }
        if planned.changes:
            labels = {c.key: c.header for c in self.columns}
            described["changes"] = [
                {"field": labels.get(name, name), "old": _show(old), "new": _show(new)}
                for name, (old, new) in planned.changes.items()
            ]
        return described

    def write(self, plan: Plan) -> None:
        now = timezone.now()
        reason = _("表格导入")
        created = []
        for planned in plan.creates:
            values = dict(planned.values)
            county = values.pop("county")
            values.setdefault("sector", "")
            created.append(
                Institution(county=county, **{k: v for k, v in values.items() if v is not None})
            )
        insert_with_history(created, Institution, user=self.actor, reason=reason)
        changed_fields: set[str] = {"updated_at"}
        # Institutions whose county or sector changed, and the counties they left: the kept
        # fee figures of those counties and of the ones they joined are added up again.
        records, moved, was = [], set(), set()
        for planned in plan.updates:
            record = planned.existing
            if planned.changes.keys() & {"county", "sector"}:
                was.add(record.county_id)
                moved.add(record.pk)
            for name, (_old, new) in planned.changes.items():
                if name == "county":
                    record.county_id = new
                    changed_fields.add("county")
                else:
                    setattr(record, name, new)
                    changed_fields.add(name)
            record.updated_at = now
            records.append(record)
        if records:
            bulk_update_with_history(
                records,
                Institution,
                sorted(changed_fields),
                batch_size=2000,
                default_user=self.actor,
                default_change_reason=reason,
            )
        if moved:
            institutions_moved(was | {r.county_id for r in records if r.pk in moved})
            accounts_follow(institution_ids=set(moved), actor=self.actor)


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    labels = {**CATEGORY_LABELS, **SECTOR_LABELS, **STATUS_LABELS}
    return labels.get(value, str(value))
