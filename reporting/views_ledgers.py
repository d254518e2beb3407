"""The 台账 page, the downloads of the ledgers that had none (inspections, rectification,
publicity), and background exports: start one, follow it on 我的导出, download it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from accounts.selectors import grants_changed_since
from core.text import small_int
from institutions.selectors import region_list
from sampling.exporters import SamplingRecord
from sampling.models import Draw
from sampling.selectors import draw_list, sampling_rounds
from tabular.download import CSV, INLINE_ROWS, XLSX, ledger_download
from tabular.export_runs import export_run_create, export_run_list
from tabular.models import ExportRun

from .exporters import (
    InspectionLedger,
    PublicityLedger,
    inspection_ledger_rows,
    ledger_filters,
    publicity_ledger_rows,
)
from .ledgers import SECTORS, ledger_by_key, ledgers_for, region_names


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
            inline_rows=INLINE_ROWS,
            **kwargs,
        )


# -- the builders (the download and a background run call the same one) -----------------


def inspection_ledger(*, scope, user, params, request=None) -> InspectionLedger:
    filters = ledger_filters(scope=scope, user=user, permission="inspections.view", params=params)
    return InspectionLedger(inspection_ledger_rows(scope=scope, filters=filters), filters=filters)


def publicity_ledger(*, scope, user, params, request=None) -> PublicityLedger:
    filters = ledger_filters(scope=scope, user=user, permission="inspections.view", params=params)
    return PublicityLedger(publicity_ledger_rows(scope=scope, filters=filters), filters=filters)


def sampling_record(*, scope, user, params, request=None) -> SamplingRecord:
    """The sampling record of the draw named by ?draw=, among the draws the user may see."""
    pk = small_int(params.get("draw"))
    draw = (
        Draw.objects.filter(round__in=sampling_rounds(scope).values("pk"), pk=pk)
        .select_related("round__region", "round__campaign", "created_by", "confirmed_by")
        .first()
        if pk is not None
        else None
    )
    if draw is None:
        raise ValidationError(_("未找到该抽样记录或不在您的管辖范围内"))
    return SamplingRecord(draw)


class _LedgerView(ScopedViewMixin, View):
    permission = "inspections.view"
    key = ""

    def get(self, request):
        ledger = ledger_by_key(self.key)
        exporter = ledger.build(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(
            request=request, ledger=exporter, key=ledger.key, basename=ledger.basename
        )


class InspectionLedgerView(_LedgerView):
    key = "inspections"


class RectificationLedgerView(_LedgerView):
    key = "rectification"


class PublicityLedgerView(_LedgerView):
    key = "publicity"


class EnforcementLedgerView(_LedgerView):
    permission = "enforcement.view"
    key = "enforcement"


# -- background exports ------------------------------------------------------------------


class ExportRunNewView(ScopedViewMixin, TemplateView):
    """What a background export will contain, and the button that starts it.

    The hub's 后台导出 and a direct download too large to wait for both land here with the
    ledger and its filters in the query; a bad filter is explained here, nothing started.
    """

    permission = "dashboard.view"
    template_name = "reporting/export_run_new.html"

    def _query(self, data) -> str:
        if "query" in data:
            return data.get("query", "")
        params = data.copy()
        for name in ("ledger", "large", "csrfmiddlewaretoken"):
            params.pop(name, None)
        for name in [n for n in params if not any(v.strip() for v in params.getlist(n))]:
            params.pop(name)
        return params.urlencode()

    def get(self, request, *args, **kwargs):
        key = request.GET.get("ledger", "")
        ledger = ledger_by_key(key)
        query, errors = self._query(request.GET), []
        if ledger is None:
            errors = [_("没有这个台账")]
        else:
            self.scope.require(ledger.permission)
            try:
                ledger.clean(scope=self.scope, query=query)
            except ValidationError as exc:
                errors = exc.messages
        large = request.GET.get("large", "")
        context = self.get_context_data(
            ledger=ledger, query=query, errors=errors, large=small_int(large) or 0,
            description=ledger.describe(query, region_names([query])) if ledger else "",
        )  # fmt: skip
        return self.render_to_response(context, status=400 if errors else 200)

    def post(self, request):
        key = request.POST.get("ledger", "")
        try:
            run = export_run_create(actor=request.user, ledger=key, query=self._query(request.POST))
        except ValidationError as exc:
            ledger = ledger_by_key(key)
            context = self.get_context_data(ledger=ledger, query="", errors=exc.messages, large=0)
            return self.render_to_response(context, status=400)
        messages.success(request, _("已开始后台导出，完成后可在本页下载（保留 7 天）。"))
        return redirect(f"{reverse('ledgers:export_runs')}#run-{run.pk}")


class ExportRunListView(ScopedViewMixin, TemplateView):
    """我的导出: the user's own background exports; the table polls while one is busy."""

    permission = "dashboard.view"
    template_name = "reporting/export_runs.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["reporting/_export_runs_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        runs = list(export_run_list(user=self.request.user)[:100])
        names = region_names(run.query for run in runs)
        for run in runs:
            run.entry = ledger_by_key(run.ledger)
            run.description = run.entry.describe(run.query, names) if run.entry else run.query
        return super().get_context_data(runs=runs, busy=any(run.is_busy for run in runs), **kwargs)


class ExportRunDownloadView(ScopedViewMixin, View):
    """The file of a finished run, to its owner only (anyone else: 404, as if missing)."""

    permission = "dashboard.view"

    def get(self, request, pk):
        run = get_in_scope_or_404(
            export_run_list(user=request.user).filter(status=ExportRun.Status.DONE), pk=pk
        )
        ledger = ledger_by_key(run.ledger)
        # A file gone from storage (restored without media, removed by hand) is a plain 404,
        # not a 500 half-way through a streamed response.
        if ledger is None or not run.file or not run.file.storage.exists(run.file.name):
            raise Http404
        # A grant taken away since the run: the file is not handed out any more either.
        self.scope.require(ledger.permission)
        # Nor after any change of the owner's grants (a city officer moved to one county
        # keeps the permission, but the file holds the city): the file was built for the
        # grants held when the run was claimed. Admin edits and deletions leave history rows.
        built_for = run.claimed_at or run.created_at
        if grants_changed_since(user=request.user, when=built_for):
            raise PermissionDenied
        response = StreamingHttpResponse(
            _chunks(run.file), content_type=XLSX if run.file_name.endswith(".xlsx") else CSV
        )
        response["Content-Disposition"] = content_disposition_header(True, run.file_name)
        response["Content-Length"] = str(run.file.size)
        return response


def _chunks(field, size: int = 64 * 1024):
    # Opened on the first read and closed at the end: a response nobody reads holds no file.
    with field.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk
