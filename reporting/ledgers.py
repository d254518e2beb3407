"""The registry of ledgers (台账): every download the 台账 page offers, with its filters.

Each entry names the export view, the permission it needs and which of the common filters
(region, period, sector, status) it understands, under the query names that view reads.
The page shows only the entries the user's role holds; the export views scope the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.roles import Sector
from accounts.scope import Scope


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

    def status_choices(self) -> list:
        return list(self.statuses()) if self.statuses else []


LEDGERS: list[Ledger] = [
    Ledger(
        "institutions", _("培训机构台账"), "institutions:export", "institutions.view",
        note=_("辖区内全部校外培训机构的登记信息"), sector=True,
        status_param="status", status_label=_("经营状态"), statuses=_institution_statuses,
    ),
    Ledger(
        "inspections", _("检查记录台账"), "ledgers:inspections", "inspections.view",
        note=_("每次已提交的检查一行：机构、县区、层级、日期、结论、问题数、检查人数"),
        period_from="from", period_to="to", period_label=_("提交日期"), sector=True,
        status_param="result", status_label=_("检查结论"), statuses=_inspection_results,
    ),
    Ledger(
        "problems", _("问题清单（整改要求、期限与状态）"), "inspections:problems_export",
        "inspections.view", note=_("问题、整改要求、整改期限、整改与复查销号情况"),
        period_from="deadline_from", period_to="deadline_to", period_label=_("整改期限"),
        status_param="status", status_label=_("状态"), statuses=_finding_statuses,
    ),
    Ledger(
        "staff", _("从业人员审查台账"), "personnel:export", "staff.view",
        note=_("身份证号已脱敏"),
        status_param="employment", status_label=_("在职情况"), statuses=_employment,
    ),
    Ledger(
        "fees", _("收费违规与退费台账"), "fees:ledger_export", "fees.view",
        note=_("违规收费问题及退费情况"),
        status_param="status", status_label=_("状态"), statuses=_violation_statuses,
    ),
    Ledger(
        "complaints", _("投诉举报与移送台账"), "complaints:export", "complaints.view",
        note=_("联系方式已脱敏"),
        status_param="status", status_label=_("状态"), statuses=_case_statuses,
    ),
    Ledger(
        "publicity", _("安全教育宣传活动台账"), "ledgers:publicity", "inspections.view",
        note=_("各县区开展的安全教育宣传活动"),
        period_from="from", period_to="to", period_label=_("活动日期"),
    ),
]  # fmt: skip

SECTORS = Sector.choices


def ledgers_for(scope: Scope) -> list[Ledger]:
    """The ledgers this user's role may download, in the page's order."""
    return [ledger for ledger in LEDGERS if scope.can(ledger.permission)]
