"""The rectification ledger (整改台账): one row per rectification task, on the one export base.

The problem list has one row per problem; this ledger answers the other question the
notice asks: which institution has to fix what, for which department, by when, and how far
it is. A task counts only the problems in the sections the user's departments own, like the
problem list, and a task with none of those is not listed.
"""

from __future__ import annotations

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Department
from accounts.scope import Scope
from inspections.models import Finding, Round
from inspections.selectors import overdue_q, task_list
from tabular.export import ListExporter

from .exporters import LedgerFilters, _title, ledger_filters

OPEN, CLOSED, OVERDUE = "open", "closed", "overdue"


def rectification_statuses() -> list[tuple[str, str]]:
    return [(OPEN, _("整改中")), (CLOSED, _("已全部销号")), (OVERDUE, _("有逾期问题"))]


def rectification_rows(*, scope: Scope, filters: LedgerFilters) -> QuerySet:
    """Tasks in scope with problems in the user's sections, narrowed by the filters."""
    sections = scope.sections("inspections.view")
    mine = Q(findings__section__in=sections) & ~Q(findings__status=Finding.Status.WITHDRAWN)
    today = timezone.localdate()
    qs = task_list(scope=scope).filter(
        Exists(
            Finding.objects.filter(task=OuterRef("pk"), section__in=sections).exclude(
                status=Finding.Status.WITHDRAWN
            )
        )
    )
    qs = filters.narrow(
        qs,
        county="institution__county__code",
        campaign="inspection__round__campaign",
        date="deadline",
        sector="institution__sector",
    )
    qs = qs.annotate(
        n_problems=Count("findings", filter=mine, distinct=True),
        n_closed=Count(
            "findings", filter=mine & Q(findings__status=Finding.Status.CLOSED), distinct=True
        ),
        n_overdue=Count(
            "findings",
            filter=Q(findings__in=Finding.objects.filter(overdue_q(today), section__in=sections)),
            distinct=True,
        ),
        last_verified=Max("findings__verified_at", filter=mine),
    )
    open_q = Exists(
        Finding.objects.filter(task=OuterRef("pk"), section__in=sections).exclude(
            status__in=Finding.DONE
        )
    )
    if filters.status == OPEN:
        qs = qs.filter(open_q)
    elif filters.status == CLOSED:
        qs = qs.exclude(open_q)
    elif filters.status == OVERDUE:
        qs = qs.filter(n_overdue__gt=0)
    return qs.select_related("inspection__round").order_by(
        "institution__county_id", "institution__name", "deadline", "pk"
    )


class RectificationLedger(ListExporter):
    sheet_title = "整改台账"
    headers = [
        "机构名称", "统一社会信用代码", "所在县区", "检查层级", "检查日期", "责任部门", "整改期限",
        "问题数", "已复查销号", "逾期问题数", "整改状态", "最近复查时间",
    ]  # fmt: skip
    widths = [34, 22, 12, 14, 12, 12, 12, 8, 10, 10, 12, 18]

    def __init__(self, queryset: QuerySet, *, filters: LedgerFilters):
        """`queryset` comes from `rectification_rows`."""
        self.queryset = queryset
        self.filters = filters

    def title_line(self) -> str:
        return _title(_("整改台账"), self.filters)

    def rows(self):
        levels = dict(Round.Level.choices)
        departments = dict(Department.choices)
        for task in self.queryset.iterator(chunk_size=2000):
            institution, inspection = task.institution, task.inspection
            submitted = inspection.submitted_at
            done = task.n_closed >= task.n_problems
            verified = task.last_verified
            yield [
                institution.name,
                institution.credit_code,
                institution.county.name,
                levels.get(inspection.round.level, inspection.round.level),
                timezone.localtime(submitted).date() if submitted else None,
                departments.get(task.department, task.department),
                task.deadline,
                task.n_problems,
                task.n_closed,
                task.n_overdue,
                _("已全部销号") if done else _("整改中"),
                timezone.localtime(verified).replace(tzinfo=None) if verified else None,
            ]


def rectification_ledger(*, scope: Scope, user, params, request=None) -> RectificationLedger:
    filters = ledger_filters(scope=scope, user=user, permission="inspections.view", params=params)
    return RectificationLedger(rectification_rows(scope=scope, filters=filters), filters=filters)
