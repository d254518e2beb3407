"""The fee-violation and refund ledger page and its xlsx export, filtered alike."""

from __future__ import annotations

from django.db.models import BooleanField, Case, Value, When
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from core.paging import NarrowPaginator
from tabular.download import ledger_download, title_region_name

from . import selectors
from .exporters import FeeLedger
from .filters import VIOLATION_STATUSES, filtered_violations
from .models import FeeViolation
from .views import filter_context, region_prefix

LEDGER_FILTERS = ("q", "region", "rule", "status")


def ledger_rows(scope, params):
    qs = selectors.with_refunded(selectors.fee_violation_list(scope=scope)).annotate(
        is_overdue=Case(
            When(selectors.overdue_q(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    return filtered_violations(qs, params).order_by("deadline", "record_id", "rule", "id")


def describe_filters(params) -> str:
    """The ledger's filters beyond the region, in words ("" when none applies).

    Only values the filter set accepts: an unknown status or rule narrows nothing.
    """
    parts = []
    rule = dict(FeeViolation.Rule.choices).get(params.get("rule", ""))
    if rule:
        parts.append(_("违反规则：%(rule)s") % {"rule": rule})
    status = dict(VIOLATION_STATUSES).get(params.get("status", ""))
    if status:
        parts.append(_("状态：%(status)s") % {"status": status})
    words = params.get("q", "").strip()
    if words:
        parts.append(_("关键词：%(q)s") % {"q": words})
    return "；".join(parts)


class LedgerView(ScopedViewMixin, TemplateView):
    permission = "fees.view"
    template_name = "fees/ledger.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        page = NarrowPaginator(ledger_rows(self.scope, params), 50).get_page(params.get("page"))
        return super().get_context_data(
            page=page,
            filters={name: params.get(name, "").strip() for name in LEDGER_FILTERS},
            statuses=VIOLATION_STATUSES,
            refunds=selectors.refund_list(scope=self.scope)
            .filter(
                record__institution__county__code__startswith=region_prefix(
                    self.scope, params.get("region")
                )
            )
            .order_by("-refunded_on", "-id")[:20],
            export_query=params.urlencode(),
            findings=selectors.fee_findings(
                scope=self.scope,
                region_prefix=region_prefix(self.scope, params.get("region")),
                params=params,
            ),  # fmt: skip
            **filter_context(self.scope, params),
            **kwargs,
        )


def fee_ledger(*, scope, user, params, request=None) -> FeeLedger:
    """The ledger for these query parameters (the download and a background run)."""
    violations = filtered_violations(selectors.fee_violation_list(scope=scope), params)
    conditions = describe_filters(params)
    if conditions:
        # Narrowed by status, rule or words: the summary counts the rows below.
        figures = {"conditions": conditions, **selectors.violation_figures(violations)}
    else:
        figures = selectors.fee_figures(scope, region_prefix(scope, params.get("region")))
    findings = selectors.fee_findings(
        scope=scope, region_prefix=region_prefix(scope, params.get("region")), params=params
    )
    figures = {**(figures or {}), "findings": findings.count()}
    return FeeLedger(
        violations,
        figures=figures,
        region_name=title_region_name(scope=scope, user=user, params=params),
        findings=findings,
    )


class LedgerExportView(ScopedViewMixin, View):
    """The ledger as xlsx (or csv), filtered exactly as the page, inside the user's scope."""

    permission = "fees.view"

    def get(self, request):
        ledger = fee_ledger(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(
            request=request, ledger=ledger, key="fees", basename="收费违规与退费台账"
        )
