"""Complaint sheet import: upload → preview → confirm, on the register's import runs. Thin.
The uploaded sheet is deleted as soon as the run no longer needs it (complaints/imports.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.scope import get_in_scope_or_404
from institutions.tabular import runs
from institutions.tabular.download import XLSX, download
from institutions.tabular.upload import MAX_UPLOAD_BYTES
from institutions.views_import import ImportErrorsExport

from . import access, imports, selectors
from .importer import template_xlsx
from .views import ComplaintsMixin


class _ImportMixin(ComplaintsMixin):
    require = access.CHANGE

    def run(self, pk):
        return get_in_scope_or_404(
            selectors.import_run_list(scope=self.scope, user=self.request.user), pk=pk
        )


class ImportView(_ImportMixin, TemplateView):
    template_name = "complaints/import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            recent=selectors.import_run_list(scope=self.scope, user=self.request.user).order_by(
                "-created_at"
            )[:10],
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
                run = imports.run_create(
                    actor=request.user, file_name=upload.name, data=upload.read()
                )
            except ValidationError as exc:
                error = "；".join(exc.messages)
        if error:
            context = self.get_context_data(upload_error=error)
            return render(request, self.template_name, context, status=400)
        imports.check_now_or_later(run)
        return redirect("complaints:import_run", pk=run.pk)


class ImportRunView(_ImportMixin, TemplateView):
    template_name = "complaints/import_run.html"

    def get_context_data(self, **kwargs):
        run = self.run(self.kwargs["pk"])
        errors = run.report.get("errors", [])
        return super().get_context_data(
            run=run, errors=errors[:500], more_errors=len(errors) > 500, **kwargs
        )


class ImportRunConfirmView(_ImportMixin, View):
    def post(self, request, pk):
        run = self.run(pk)
        if not runs.import_run_confirm(run=run, actor=request.user):
            messages.error(request, _("这次导入不能确认：请先修正错误并重新上传，或它已经确认过"))
        else:
            imports.write_now_or_later(run)
        return redirect("complaints:import_run", pk=run.pk)


class ImportRunErrorsView(_ImportMixin, View):
    def get(self, request, pk):
        run = self.run(pk)
        return download(ImportErrorsExport(run).to_xlsx(), f"导入错误清单-{run.pk}.xlsx", XLSX)


class ImportTemplateView(_ImportMixin, View):
    def get(self, request):
        return download(template_xlsx(), "投诉举报导入模板.xlsx", XLSX)
