"""The list filters, shared by the pages, the ledger export and the API; they only narrow."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.regions import within_region

from .models import FeeRecord, FeeViolation
from .selectors import OVERDUE, UNSETTLED, overdue_q

VIOLATING, COMPLIANT, UNCHECKED = "violating", "compliant", "unchecked"
# The ledger's status choices: the stored states, then two of them together (未销号: open
# or reported, the dashboard's figure) and the overdue ones.
VIOLATION_STATUSES = [
    *FeeViolation.Status.choices,
    (UNSETTLED, _("未销号")),
    (OVERDUE, _("已逾期")),
]


def _live(rule: str | None = None):
    live = FeeViolation.objects.filter(record=OuterRef("pk")).exclude(
        status=FeeViolation.Status.WITHDRAWN
    )
    return Exists(live.filter(rule=rule) if rule else live)


class FeeRecordFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("机构名称、合同编号或学员"))
    region = filters.CharFilter(method="filter_region", label=_("县区（或市）代码"))
    rule = filters.ChoiceFilter(choices=FeeViolation.Rule.choices, method="filter_rule")
    state = filters.ChoiceFilter(
        choices=[(VIOLATING, _("有违规")), (COMPLIANT, _("合规")), (UNCHECKED, _("未核查"))],
        method="filter_state",
    )
    supervised = filters.BooleanFilter()
    charged_from = filters.DateFilter(field_name="charged_on", lookup_expr="gte")
    charged_to = filters.DateFilter(field_name="charged_on", lookup_expr="lte")

    class Meta:
        model = FeeRecord
        fields = ["q", "region", "rule", "state", "supervised", "charged_from", "charged_to"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(institution__name__icontains=value)
            | Q(institution__credit_code=value.upper())
            | Q(contract_number=value)
            | Q(student=value)
        )

    def filter_region(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")

    def filter_rule(self, queryset, name, value):
        return queryset.filter(_live(value))

    def filter_state(self, queryset, name, value):
        if value == VIOLATING:
            return queryset.filter(_live())
        if value == COMPLIANT:
            return queryset.filter(checked_at__isnull=False).exclude(_live())
        return queryset.filter(checked_at__isnull=True)


class FeeViolationFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("机构名称或合同编号"))
    region = filters.CharFilter(method="filter_region", label=_("县区（或市）代码"))
    rule = filters.ChoiceFilter(choices=FeeViolation.Rule.choices)
    status = filters.ChoiceFilter(choices=VIOLATION_STATUSES, method="filter_status")
    record = filters.NumberFilter(field_name="record_id")

    class Meta:
        model = FeeViolation
        fields = ["q", "region", "rule", "status", "record"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(institution__name__icontains=value) | Q(record__contract_number=value)
        )

    def filter_region(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")

    def filter_status(self, queryset, name, value):
        if value == OVERDUE:
            return queryset.filter(overdue_q())
        if value == UNSETTLED:
            return queryset.exclude(status__in=FeeViolation.DONE)
        return queryset.filter(status=value)


def filtered_violations(queryset, params):
    """The ledger's rows: withdrawn violations only when asked for by status."""
    qs = FeeViolationFilterSet(data=params, queryset=queryset).qs
    if params.get("status") != FeeViolation.Status.WITHDRAWN:
        qs = qs.exclude(status=FeeViolation.Status.WITHDRAWN)
    return qs
