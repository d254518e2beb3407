"""Fee list import pages: upload → preview → confirm, on the register's import runs. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from institutions.tabular import runs
from institutions.tabular.download import XLSX, download
from institutions.tabular.resume import import_step_later
from institutions.tabular.upload import MAX_UPLOAD_BYTES
from institutions.views_import import ImportErrorsExport

from . import selectors
from .importer import IMPORT_PERMISSION, KIND, template_xlsx


class FeeImportView(ScopedViewMixin, TemplateView):
    permission = IMPORT_PERMISSION
    template_name = "fees/import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            recent=selectors.import_run_list(scope=self.scope, user=self.request.user)[:10],
            max_mb=MAX_UPLOAD_BYTES // 1024 // 1024,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        self.scope.require("fees.view")
        upload = request.FILES.get("file")
        error = None
        if upload is None:
            error = _("请选择要上传的文件")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("文件过大，上限为 %(limit)d MB") % {"limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        else:
            try:
                run = runs.import_run_create(
                    actor=request.user, kind=KIND, file_name=upload.name, data=upload.read()
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
        return redirect("fees:import_run", pk=run.pk)


class FeeImportRunView(ScopedViewMixin, TemplateView):
    permission = IMPORT_PERMISSION
    template_name = "fees/import_run.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["fees/_import_run_status.html"]
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


class FeeImportRunConfirmView(ScopedViewMixin, View):
    permission = IMPORT_PERMISSION

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
        return redirect("fees:import_run", pk=run.pk)


class FeeImportRunErrorsView(ScopedViewMixin, View):
    permission = IMPORT_PERMISSION

    def get(self, request, pk):
        run = get_in_scope_or_404(
            selectors.import_run_list(scope=self.scope, user=request.user), pk=pk
        )
        return download(ImportErrorsExport(run).to_xlsx(), f"导入错误清单-{run.pk}.xlsx", XLSX)


class FeeImportTemplateView(ScopedViewMixin, View):
    permission = IMPORT_PERMISSION

    def get(self, request):
        self.scope.require("fees.view")
        return download(template_xlsx(), "收费记录导入模板.xlsx", XLSX)
