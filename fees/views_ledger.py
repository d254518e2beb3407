"""The fee-violation and refund ledger page and its xlsx export, filtered alike."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Value, When
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from institutions.tabular.download import ledger_download, title_region_name

from . import selectors
from .exporters import FeeLedger
from .filters import OVERDUE, filtered_violations
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


class LedgerView(ScopedViewMixin, TemplateView):
    permission = "fees.view"
    template_name = "fees/ledger.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        page = Paginator(ledger_rows(self.scope, params), 50).get_page(params.get("page"))
        return super().get_context_data(
            page=page,
            filters={name: params.get(name, "").strip() for name in LEDGER_FILTERS},
            statuses=[*FeeViolation.Status.choices, (OVERDUE, _("已逾期"))],
            refunds=selectors.refund_list(scope=self.scope)
            .filter(
                record__institution__county__code__startswith=region_prefix(
                    self.scope, params.get("region")
                )
            )
            .order_by("-refunded_on", "-id")[:20],
            export_query=params.urlencode(),
            **filter_context(self.scope, params),
            **kwargs,
        )


class LedgerExportView(ScopedViewMixin, View):
    """The ledger as xlsx (or csv), filtered exactly as the page, inside the user's scope."""

    permission = "fees.view"

    def get(self, request):
        figures = selectors.fee_figures(
            self.scope, region_prefix(self.scope, request.GET.get("region"))
        )
        ledger = FeeLedger(
            filtered_violations(selectors.fee_violation_list(scope=self.scope), request.GET),
            figures=figures,
            region_name=title_region_name(scope=self.scope, request=request),
        )
        return ledger_download(
            request=request, ledger=ledger, key="fees", basename="收费违规与退费台账"
        )
