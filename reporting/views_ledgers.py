"""The 台账 page and the downloads of the ledgers that had none (inspections, publicity)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from institutions.selectors import region_list
from institutions.tabular.download import ledger_download
from sampling.models import Draw
from sampling.selectors import draw_list

from .exporters import (
    InspectionLedger,
    PublicityLedger,
    inspection_ledger_rows,
    ledger_filters,
    publicity_ledger_rows,
)
from .ledgers import SECTORS, ledgers_for


class LedgerHubView(ScopedViewMixin, TemplateView):
    """Every ledger the user's role allows, each with its filters and a download."""

    permission = "dashboard.view"
    template_name = "reporting/ledgers.html"

    def get_context_data(self, **kwargs):
        regions = list(region_list(scope=self.scope).order_by("code"))
        wanted = (self.request.GET.get("region") or "").strip()
        known = {r.code for r in regions}
        message = ""
        if wanted and wanted not in known:
            message = _("未找到该地区或不在您的管辖范围内，已按本级范围列出台账。")
            wanted = ""
        draws = []
        if self.scope.can("sampling.view"):
            draws = list(
                draw_list(self.scope)
                .filter(status=Draw.Status.CONFIRMED)
                .order_by("-confirmed_at", "-pk")
            )
        return super().get_context_data(
            ledgers=ledgers_for(self.scope),
            regions=regions,
            region=wanted,
            sectors=SECTORS,
            draws=draws,
            message=message,
            **kwargs,
        )


class InspectionLedgerView(ScopedViewMixin, View):
    permission = "inspections.view"

    def get(self, request):
        filters = ledger_filters(
            scope=self.scope, user=request.user, permission=self.permission, params=request.GET
        )
        ledger = InspectionLedger(
            inspection_ledger_rows(scope=self.scope, filters=filters), filters=filters
        )
        return ledger_download(
            request=request, ledger=ledger, key="inspections", basename="检查记录台账"
        )


class PublicityLedgerView(ScopedViewMixin, View):
    permission = "inspections.view"

    def get(self, request):
        filters = ledger_filters(
            scope=self.scope, user=request.user, permission=self.permission, params=request.GET
        )
        ledger = PublicityLedger(
            publicity_ledger_rows(scope=self.scope, filters=filters), filters=filters
        )
        return ledger_download(
            request=request, ledger=ledger, key="publicity", basename="安全教育宣传活动台账"
        )
