"""The enforcement ledger (查处问责台账): one row per action taken on an institution.

Rows come from `enforcement.selectors.action_list` (the reader's scope, vetting actions
only for those who may read check results), narrowed by the 台账 page's common filters;
the status filter is the kind of action. A withdrawn action stays in the ledger, marked
已撤销 with its reason.
"""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.roles import Department
from accounts.scope import Scope
from enforcement.models import EnforcementAction
from enforcement.selectors import action_list
from tabular.export import ListExporter

from .exporters import LedgerFilters, _title, ledger_filters


def enforcement_kinds() -> list[tuple[str, str]]:
    return EnforcementAction.Kind.choices


def enforcement_rows(*, scope: Scope, filters: LedgerFilters, params) -> QuerySet:
    qs = action_list(scope=scope, filters={"trigger": params.get("trigger", ""),
                                           "q": params.get("q", "")})  # fmt: skip
    # The campaign by hand: an action without one (a vetting case recorded while no campaign
    # was active) belongs to the campaign it was taken during, as in the city summary.
    if (campaign := filters.campaign) is not None:
        during = Q(taken_on__gte=campaign.starts_on, taken_on__lte=campaign.ends_on)
        qs = qs.filter(Q(campaign=campaign) | (Q(campaign__isnull=True) & during))
    qs = replace(filters, campaign=None).narrow(
        qs, county="institution__county__code", campaign="campaign", date="taken_on",
        sector="institution__sector",
    )  # fmt: skip
    if filters.status in EnforcementAction.Kind.values:
        qs = qs.filter(kind=filters.status)
    return qs.order_by("institution__county_id", "institution__name", "taken_on", "pk")


class EnforcementLedger(ListExporter):
    sheet_title = "查处问责台账"
    headers = [
        "机构名称", "统一社会信用代码", "所在县区", "处理依据", "违法违规情形", "处理措施",
        "处理日期", "文书编号", "罚款金额（元）", "处理部门", "登记人", "说明", "状态",
        "撤销原因",
    ]  # fmt: skip
    widths = [34, 22, 12, 18, 40, 10, 12, 24, 14, 12, 12, 40, 10, 30]

    def __init__(self, queryset: QuerySet, *, filters: LedgerFilters):
        self.queryset = queryset
        self.filters = filters

    def title_line(self) -> str:
        return _title(_("查处问责台账"), self.filters)

    def rows(self):
        kinds = dict(EnforcementAction.Kind.choices)
        triggers = dict(EnforcementAction.Trigger.choices)
        departments = dict(Department.choices)
        withdrawn, valid = _("已撤销"), _("有效")
        for a in self.queryset.iterator(chunk_size=2000):
            institution = a.institution
            yield [
                institution.name,
                institution.credit_code,
                institution.county.name,
                triggers.get(a.trigger, a.trigger),
                a.basis,
                kinds.get(a.kind, a.kind),
                a.taken_on,
                a.document_number,
                a.amount,
                departments.get(a.department, a.department),
                str(a.recorded_by),
                a.note,
                withdrawn if a.withdrawn_at else valid,
                a.withdrawn_reason,
            ]


def enforcement_ledger(*, scope: Scope, user, params, request=None) -> EnforcementLedger:
    filters = ledger_filters(scope=scope, user=user, permission="enforcement.view", params=params)
    return EnforcementLedger(
        enforcement_rows(scope=scope, filters=filters, params=params), filters=filters
    )
