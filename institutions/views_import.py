"""Spreadsheet import (upload → preview → confirm) and the ledger export. Thin views."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from institutions.tabular.resume import import_step_later

from . import selectors
from .exporters import InstitutionLedger, import_template_xlsx
from .models import ImportRun
from .tabular import runs
from .tabular.download import XLSX, download, ledger_download, title_region_name
from .tabular.export import ListExporter
from .tabular.upload import MAX_UPLOAD_BYTES


class ImportView(ScopedViewMixin, TemplateView):
    permission = "institutions.import"
    template_name = "institutions/import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            recent=selectors.import_run_list(scope=self.scope, user=self.request.user)[:10],
            max_mb=MAX_UPLOAD_BYTES // 1024 // 1024,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        error = None
        if upload is None:
            error = _("请选择要上传的文件")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("文件过大，上限为 %(limit)d MB") % {"limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        else:
            try:
                run = runs.import_run_create(
                    actor=request.user,
                    kind=ImportRun.Kind.INSTITUTIONS,
                    file_name=upload.name,
                    data=upload.read(),
                )
            except ValidationError as exc:
                error = "；".join(exc.messages)
        if error:
            context = self.get_context_data(upload_error=error)
            return render(request, self.template_name, context, status=400)
        if run.file.size <= runs.INLINE_LIMIT_BYTES:
            runs.import_run_check(run_id=run.pk)
        else:
            import_step_later(run, "check")
        return redirect("institutions:import_run", pk=run.pk)


class ImportRunView(ScopedViewMixin, TemplateView):
    permission = "institutions.import"
    template_name = "institutions/import_run.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["institutions/_import_run_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        run = get_in_scope_or_404(
            selectors.import_run_list(scope=self.scope, user=self.request.user),
            pk=self.kwargs["pk"],
        )
        errors = run.report.get("errors", [])
        return super().get_context_data(
            run=run, errors=errors[:500], more_errors=len(errors) > 500, **kwargs
        )


class ImportRunConfirmView(ScopedViewMixin, View):
    permission = "institutions.import"

    def post(self, request, pk):
        run = get_in_scope_or_404(
            selectors.import_run_list(scope=self.scope, user=request.user), pk=pk
        )
        if not runs.import_run_confirm(run=run, actor=request.user):
            messages.error(request, _("这次导入不能确认：请先修正错误并重新上传，或它已经确认过"))
        elif run.file.size <= runs.INLINE_LIMIT_BYTES:
            runs.import_run_write(run_id=run.pk)
        else:
            import_step_later(run, "write")
        return redirect("institutions:import_run", pk=run.pk)


class ImportErrorsExport(ListExporter):
    sheet_title = "错误清单"
    headers = ["行号", "列", "原因"]
    widths = [8, 28, 60]

    def __init__(self, run: ImportRun):
        self.run = run

    def title_line(self) -> str:
        return _("导入检查错误清单：%(file)s") % {"file": self.run.file_name}

    def rows(self):
        for error in self.run.report.get("errors", []):
            yield [error["row"], error["column"], error["reason"]]


class ImportRunErrorsView(ScopedViewMixin, View):
    permission = "institutions.import"

    def get(self, request, pk):
        run = get_in_scope_or_404(
            selectors.import_run_list(scope=self.scope, user=request.user), pk=pk
        )
        return download(ImportErrorsExport(run).to_xlsx(), f"导入错误清单-{run.pk}.xlsx", XLSX)


class ImportTemplateView(ScopedViewMixin, View):
    permission = "institutions.import"

    def get(self, request):
        return download(import_template_xlsx(), "校外培训机构导入模板.xlsx", XLSX)


def institution_ledger(*, scope, user, params, request=None) -> InstitutionLedger:
    """The institution ledger for these query parameters (the download and a background run)."""
    qs = selectors.institution_list(scope=scope, filters=params)
    return InstitutionLedger(
        qs, region_name=title_region_name(scope=scope, user=user, params=params)
    )


class InstitutionExportView(ScopedViewMixin, View):
    """The institution ledger, filtered exactly as the list page, inside the user's scope."""

    permission = "institutions.view"

    def get(self, request):
        ledger = institution_ledger(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(
            request=request, ledger=ledger, key="institutions", basename="机构台账"
        )
