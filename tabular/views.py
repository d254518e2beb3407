"""The one import flow's pages, for every kind: upload → check (preview) → confirm → write.

An app routes its URLs here with `import_urls(kind, …)`; what differs per kind (who may, what
the pages say, which importer) is its `ImportSpec` (specs.py). Thin views over runs.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.scope import Scope, get_in_scope_or_404, scope_for

from . import runs
from .download import XLSX, download
from .export import ListExporter
from .models import ImportRun
from .resume import import_step_later
from .specs import ImportSpec, import_spec
from .upload import MAX_UPLOAD_BYTES

ERRORS_SHOWN = 500


class _ImportMixin(LoginRequiredMixin):
    """Anonymous → login; lacking a permission of the kinds → 403; another's run → 404."""

    kinds: tuple[str, ...] = ()  # the first is the upload page's kind
    upload = False  # the page uploads (or serves the sample sheet): `may_import` too

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.scope: Scope = scope_for(request.user)
        for kind in self.kinds:
            for permission in import_spec(kind).permissions:
                self.scope.require(permission)
        if self.upload and not self.spec.allows_import(self.scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def spec(self) -> ImportSpec:
        return import_spec(self.kinds[0])

    def own_runs(self, kinds=None):
        """A run is its uploader's own: it shows rows of a file only they sent."""
        return ImportRun.objects.filter(
            created_by=self.request.user, kind__in=kinds or self.kinds
        ).select_related("created_by")

    def run(self, pk) -> ImportRun:
        return get_in_scope_or_404(self.own_runs(), pk=pk)


def _now_or_later(run: ImportRun, step: str) -> None:
    """A small file is handled inside the request, a larger one by a worker."""
    rows_limit = import_spec(run.kind).write_inline_rows
    if run.file.size > runs.INLINE_LIMIT_BYTES or (
        step == "write" and rows_limit is not None and run.total_rows > rows_limit
    ):
        import_step_later(run, step)
    elif step == "check":
        runs.import_run_check(run_id=run.pk)
    else:
        runs.import_run_write(run_id=run.pk)


class ImportView(_ImportMixin, TemplateView):
    template_name = "tabular/import.html"
    upload = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            spec=self.spec,
            recent=self.own_runs(kinds=self.kinds[:1])[:10],
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
                    kind=self.spec.kind,
                    file_name=upload.name,
                    data=upload.read(),
                )
            except ValidationError as exc:
                error = "；".join(exc.messages)
        if error:
            context = self.get_context_data(upload_error=error)
            return render(request, self.template_name, context, status=400)
        _now_or_later(run, "check")
        return redirect(self.spec.run_url, pk=run.pk)


class ImportRunView(_ImportMixin, TemplateView):
    """The preview and the outcome; htmx polls the status part while the run is busy."""

    template_name = "tabular/import_run.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["tabular/_import_run_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        run = self.run(self.kwargs["pk"])
        spec = import_spec(run.kind)
        errors = run.report.get("errors", [])
        return super().get_context_data(
            run=run,
            spec=spec,
            counts=[_count(run, count) for count in spec.counts],
            previews=_previews(run, spec) if run.status != ImportRun.Status.DONE else [],
            errors=errors[:ERRORS_SHOWN],
            more_errors=len(errors) > ERRORS_SHOWN,
            **kwargs,
        )


def _count(run: ImportRun, count) -> dict:
    done = run.status == ImportRun.Status.DONE and count.label_done
    return {
        "testid": count.testid,
        "label": count.label_done if done else count.label,
        "value": getattr(run, count.field),
    }


def _previews(run: ImportRun, spec: ImportSpec) -> list[dict]:
    """The report's planned rows as the spec's tables: each row its cells, then its changes
    (None for a row to be created)."""
    creates = [(r, None) for r in run.report.get("creates", [])]
    updates = [(r, r.get("changes", [])) for r in run.report.get("updates", [])]
    tables = []
    for preview in spec.previews:
        planned = {"creates": creates, "updates": updates, "both": creates + updates}
        rows = [
            {"row": r.get("row"), "cells": [(c, r.get(c.key, "")) for c in preview.columns],
             "changes": changes}
            for r, changes in planned[preview.rows]
        ]  # fmt: skip
        if rows:
            tables.append({"preview": preview, "rows": rows})
    return tables


class ImportRunConfirmView(_ImportMixin, View):
    def post(self, request, pk):
        run = self.run(pk)
        if not import_spec(run.kind).allows_import(self.scope):
            raise PermissionDenied
        if not runs.import_run_confirm(run=run, actor=request.user):
            messages.error(request, _("这次导入不能确认：请先修正错误并重新上传，或它已经确认过"))
        else:
            _now_or_later(run, "write")
        return redirect(import_spec(run.kind).run_url, pk=run.pk)


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


class ImportRunErrorsView(_ImportMixin, View):
    def get(self, request, pk):
        run = self.run(pk)
        return download(ImportErrorsExport(run).to_xlsx(), f"导入错误清单-{run.pk}.xlsx", XLSX)


class ImportSampleView(_ImportMixin, View):
    """The kind's template sheet: the header row and an example."""

    upload = True

    def get(self, request):
        return download(self.spec.sample_bytes(), self.spec.sample_file, XLSX)


def import_urls(*kinds: str, prefix: str = "import/") -> list:
    """The flow's five URLs for an app: upload and sample sheet of the first kind, and the
    run pages (preview, confirm, errors) for the runs of every kind given. A further kind of
    the same app adds its own upload and sample paths with `ImportView.as_view(kinds=…)`."""
    spec = import_spec(kinds[0])
    return [
        path(prefix, ImportView.as_view(kinds=kinds[:1]), name=spec.upload_name),
        path(
            f"{prefix}template/", ImportSampleView.as_view(kinds=kinds[:1]), name=spec.sample_name
        ),
        path(f"{prefix}<int:pk>/", ImportRunView.as_view(kinds=kinds), name="import_run"),
        path(
            f"{prefix}<int:pk>/confirm/",
            ImportRunConfirmView.as_view(kinds=kinds),
            name="import_run_confirm",
        ),
        path(
            f"{prefix}<int:pk>/errors/",
            ImportRunErrorsView.as_view(kinds=kinds),
            name="import_run_errors",
        ),
    ]
