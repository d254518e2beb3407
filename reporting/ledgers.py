"""The registry of ledgers (台账): every download the 台账 page offers, with its filters.

Each entry names the export view, the permission it needs, which of the common filters
(region, period, sector, status) it understands under the query names that view reads, and
the function that builds its exporter from (scope, user, query) with no request: the export
view and a background run (tabular/export_runs.py) call the same one, so a
ledger reads alike however it is fetched. The page shows only the entries the user's role
holds; the builders scope the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.dateparse import parse_date
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Sector
from accounts.scope import Scope
from core.text import small_int


def _institution_statuses():
    from institutions.models import Institution

    return Institution.Status.choices


def _inspection_results():
    from inspections.models import Inspection

    return Inspection.Result.choices


def _finding_statuses():
    from inspections.models import Finding

    return [*Finding.Status.choices, ("overdue", _("已逾期"))]


def _employment():
    return [("current", _("在职")), ("left", _("已离职"))]


def _violation_statuses():
    from fees.filters import VIOLATION_STATUSES

    return VIOLATION_STATUSES


def _case_statuses():
    from complaints.models import Case

    return Case.Status.choices


def _rectification_statuses():
    from .ledger_rectification import rectification_statuses

    return rectification_statuses()


# A ledger's own filters, beyond the common ones: (query name, label, choices), each for
# 我的导出's description of a run. The export views read these names (LIST_FILTERS there).
def _institution_filters():
    from institutions.models import Institution

    yes, no = _("是"), _("否")
    return [
        ("category", _("类别"), Institution.Category.choices),
        ("risky", _("有一定危险性"), [("true", yes), ("1", yes), ("false", no), ("0", no)]),
    ]


def _problem_filters():
    from accounts.roles import Department, Section
    from campaign.models import ChecklistItem

    return [
        ("section", _("检查板块"), Section.choices),
        ("severity", _("严重程度"), ChecklistItem.Severity.choices),
        ("department", _("责任部门"), Department.choices),
        # The dashboards' links name their campaign by id.
        ("campaign", _("专项行动编号"), []),
    ]


def _staff_filters():
    from personnel.models import Post

    return [
        ("post", _("岗位"), Post.choices),
        ("checked", _("是否已查询"), [("yes", _("已查询")), ("no", _("未查询"))]),
        ("institution", _("机构编号"), []),
    ]


def _fee_filters():
    from fees.models import FeeViolation

    return [("rule", _("违反规则"), FeeViolation.Rule.choices)]


def _complaint_filters():
    from complaints.models import Category, Channel

    return [
        ("category", _("类别"), Category.choices),
        ("channel", _("来源渠道"), Channel.choices),
        ("overdue", _("逾期"), [("1", _("已逾期"))]),
    ]


def _enforcement_kinds():
    from .ledger_enforcement import enforcement_kinds

    return enforcement_kinds()


def _enforcement_filters():
    from enforcement.models import EnforcementAction

    return [("trigger", _("处理依据"), EnforcementAction.Trigger.choices)]


@dataclass(frozen=True)
class Ledger:
    key: str
    label: str
    url_name: str
    permission: str
    note: str = ""
    # Query names the export reads; empty when it does not support that filter.
    period_from: str = ""
    period_to: str = ""
    period_label: str = ""
    sector: bool = False
    status_param: str = ""
    status_label: str = ""
    statuses: Callable[[], list] | None = None
    # "module.function" building the exporter: f(*, scope, user, params, request=None).
    builder: str = ""
    basename: str = ""
    # A ledger of one record (the sampling record of a draw): the query names it by id.
    record_param: str = ""
    # Its own filters: () → [(query name, label, choices)]; only described, never checked
    # here (the export's filter set drops what it does not accept).
    extras: Callable[[], list] | None = None

    def status_choices(self) -> list:
        return list(self.statuses()) if self.statuses else []

    def describe(self, query: str, region_names: dict[str, str]) -> str:
        """A run's filters in words, for 我的导出: "地区：小店区；状态：已逾期；格式：CSV"; "" for
        none. A name or value this ledger does not know is shown as it was given."""
        params = QueryDict(query)
        parts: list[tuple[str, str]] = []  # (label, value)

        def given(name: str) -> str:
            return (params.get(name) or "").strip() if name else ""

        if code := given("region"):
            parts.append((gettext("地区"), region_names.get(code, code)))
        start, end = given(self.period_from), given(self.period_to)
        if start or end:
            span = gettext("%(start)s 至 %(end)s") % {"start": start or "…", "end": end or "…"}
            parts.append((str(self.period_label), span))
        if self.sector and (sector := given("sector")):
            parts.append((gettext("行业"), str(dict(Sector.choices).get(sector, sector))))
        filters = [(self.status_param, self.status_label, self.status_choices())]
        filters += self.extras() if self.extras else []
        for name, label, choices in filters:
            if name and (value := given(name)):
                names = {str(v): str(n) for v, n in choices}
                parts.append((str(label), names.get(value, value)))
        if self.record_param and (record := given(self.record_param)):
            parts.append((gettext("记录编号"), record))
        if words := given("q"):
            parts.append((gettext("关键词"), words))
        # A name no entry above reads is shown as given rather than hidden.
        known = {"region", "q", "format", "page", self.record_param}
        known |= {"sector"} if self.sector else set()
        known |= {self.period_from, self.period_to} | {name for name, _l, _c in filters}
        parts += [(k, v) for k, v in params.items() if k not in known and v.strip()]
        if params.get("format") == "csv":
            parts.append((gettext("格式"), "CSV"))
        pair = gettext("%(label)s：%(value)s")
        return gettext("；").join(pair % {"label": k, "value": v} for k, v in parts)

    def build(self, *, scope: Scope, user, params, request=None):
        return import_string(self.builder)(scope=scope, user=user, params=params, request=request)

    def clean(self, *, scope: Scope, query: str) -> QueryDict:
        """The query of a background run, checked: a bad value is refused with a reason
        (the direct download quietly drops it; a run that waits in a queue should not)."""
        params = QueryDict(query)
        errors = []
        if len(query) > 2000:
            errors.append(gettext("筛选条件过长"))
        if params.get("format", "xlsx") not in ("xlsx", "csv"):
            errors.append(gettext("导出格式只能是 xlsx 或 csv"))
        code = (params.get("region") or "").strip()
        if code and not _region_in_scope(scope, self.permission, code):
            errors.append(gettext("未找到该地区或不在您的管辖范围内"))
        for name in (self.period_from, self.period_to):
            if name and (value := (params.get(name) or "").strip()):
                try:
                    valid = parse_date(value) is not None
                except ValueError:
                    valid = False
                if not valid:
                    errors.append(
                        gettext("日期“%(value)s”格式不正确，应为 年-月-日") % {"value": value}
                    )
        sector = (params.get("sector") or "").strip()
        if self.sector and sector and sector not in Sector.values:
            errors.append(gettext("行业选择不正确"))
        status = (params.get(self.status_param) or "").strip() if self.status_param else ""
        if status and status not in {str(v) for v, _label in self.status_choices()}:
            errors.append(gettext("%(label)s选择不正确") % {"label": self.status_label})
        if self.record_param and small_int(params.get(self.record_param)) is None:
            errors.append(gettext("请选择要导出的记录"))
        if errors:
            raise ValidationError(errors)
        if self.record_param:
            # The record must exist in scope now; its builder says so (and reads nothing else).
            self.build(scope=scope, user=None, params=params)
        return params


def _region_in_scope(scope: Scope, permission: str, code: str) -> bool:
    from core.models import Region

    return scope.covers_region(permission, code) and Region.objects.filter(code=code).exists()


LEDGERS: list[Ledger] = [
    Ledger(
        "institutions", _("培训机构台账"), "institutions:export", "institutions.view",
        note=_("辖区内全部校外培训机构的登记信息"), sector=True,
        status_param="status", status_label=_("经营状态"), statuses=_institution_statuses,
        extras=_institution_filters,
        builder="institutions.views_import.institution_ledger", basename="机构台账",
    ),
    Ledger(
        "inspections", _("检查记录台账"), "ledgers:inspections", "inspections.view",
        note=_("每次已提交的检查一行：机构、县区、层级、日期、结论、问题数、检查人数"),
        period_from="from", period_to="to", period_label=_("提交日期"), sector=True,
        status_param="result", status_label=_("检查结论"), statuses=_inspection_results,
        builder="reporting.views_ledgers.inspection_ledger", basename="检查记录台账",
    ),
    Ledger(
        "problems", _("问题清单（整改要求、期限与状态）"), "inspections:problems_export",
        "inspections.view", note=_("问题、整改要求、整改期限、整改与复查销号情况"),
        period_from="deadline_from", period_to="deadline_to", period_label=_("整改期限"),
        status_param="status", status_label=_("状态"), statuses=_finding_statuses,
        extras=_problem_filters,
        builder="inspections.views_problems.problem_ledger", basename="问题清单",
    ),
    Ledger(
        "rectification", _("整改台账"), "ledgers:rectification", "inspections.view",
        note=_("每个整改任务一行：责任部门、整改期限、问题数、已销号与逾期情况"),
        period_from="from", period_to="to", period_label=_("整改期限"), sector=True,
        status_param="status", status_label=_("整改状态"), statuses=_rectification_statuses,
        builder="reporting.ledger_rectification.rectification_ledger", basename="整改台账",
    ),
    Ledger(
        "staff", _("从业人员审查台账"), "personnel:export", "staff.view",
        note=_("身份证号已脱敏"),
        status_param="employment", status_label=_("在职情况"), statuses=_employment,
        extras=_staff_filters,
        builder="personnel.views.vetting_ledger", basename="从业人员审查台账",
    ),
    Ledger(
        "fees", _("收费违规与退费台账"), "fees:ledger_export", "fees.view",
        note=_("违规收费问题及退费情况"),
        status_param="status", status_label=_("状态"), statuses=_violation_statuses,
        extras=_fee_filters,
        builder="fees.views_ledger.fee_ledger", basename="收费违规与退费台账",
    ),
    Ledger(
        "complaints", _("投诉举报与移送台账"), "complaints:export", "complaints.view",
        note=_("联系方式已脱敏"),
        status_param="status", status_label=_("状态"), statuses=_case_statuses,
        extras=_complaint_filters,
        builder="complaints.views.complaint_ledger", basename="投诉举报与移送台账",
    ),
    Ledger(
        "publicity", _("安全教育宣传活动台账"), "ledgers:publicity", "inspections.view",
        note=_("各县区开展的安全教育宣传活动"),
        period_from="from", period_to="to", period_label=_("活动日期"),
        builder="reporting.views_ledgers.publicity_ledger", basename="安全教育宣传活动台账",
    ),
    Ledger(
        "enforcement", _("查处问责台账"), "ledgers:enforcement", "enforcement.view",
        note=_("约谈、责令整改、停业整顿、罚款、移送、问责：依据、文书编号、处理部门"),
        period_from="from", period_to="to", period_label=_("处理日期"), sector=True,
        status_param="status", status_label=_("处理措施"), statuses=_enforcement_kinds,
        extras=_enforcement_filters,
        builder="reporting.ledger_enforcement.enforcement_ledger", basename="查处问责台账",
    ),
]  # fmt: skip

# The sampling record is one per confirmed draw: the page lists the draws, not a form.
SAMPLING = Ledger(
    "sampling", _("抽样记录"), "sampling:draw_export", "sampling.view",
    note=_("每次已确认的抽样一份记录：随机种子、抽样框、配额与抽中机构。"),
    builder="reporting.views_ledgers.sampling_record", basename="抽样记录", record_param="draw",
)  # fmt: skip

BY_KEY = {ledger.key: ledger for ledger in [*LEDGERS, SAMPLING]}

SECTORS = Sector.choices


def ledgers_for(scope: Scope) -> list[Ledger]:
    """The ledgers this user's role may download, in the page's order."""
    return [ledger for ledger in LEDGERS if scope.can(ledger.permission)]


def ledger_by_key(key: str) -> Ledger | None:
    return BY_KEY.get(key)


def region_names(queries) -> dict[str, str]:
    """Code → name of the regions these queries name (public reference data), one query."""
    from core.models import Region

    codes = {QueryDict(q).get("region", "").strip()[:6] for q in queries} - {""}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
