"""Criminal-record check batches, their results, and dismissals (清退). Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.audit import audit_log
from accounts.mixins import ScopedViewMixin
from accounts.models import AuditEvent
from accounts.scope import get_in_scope_or_404
from core.forms import refusal_on_form
from core.models import Region
from core.text import small_int
from institutions.selectors import institution_list, region_list
from tabular.download import XLSX, download

from . import selectors, services
from .exporters import BatchSheet
from .forms import BatchForm, DismissalCloseForm, ResultForm, RevealForm
from .models import BackgroundCheck, CheckBatch, Dismissal
from .views import _no_store


class BatchListView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/batch_list.html"

    def get_context_data(self, **kwargs):
        batches = selectors.batch_list(scope=self.scope)
        return super().get_context_data(
            page=Paginator(batches, 30).get_page(self.request.GET.get("page")),
            can_create=self.scope.can("staff.change"),
            can_record=selectors.can_record(self.scope),
            **kwargs,
        )


class BatchCreateView(ScopedViewMixin, FormView):
    permission = "staff.change"
    template_name = "personnel/batch_form.html"
    form_class = BatchForm

    @cached_property
    def regions(self):
        return list(
            region_list(scope=self.scope)
            .exclude(level="province")
            .filter(code__in=self._covered_codes())
            .order_by("code")
        )

    def _covered_codes(self):
        codes = Region.objects.exclude(level="province").values_list("code", flat=True)
        return [c for c in codes if self.scope.covers_region("staff.change", c)]

    @cached_property
    def institution(self):
        raw = self.request.GET.get("institution") or self.request.POST.get("institution") or ""
        if not raw:
            return None
        # An id that cannot be one is an unknown institution: 404 like any other.
        pk = small_int(raw)
        if pk is None:
            raise Http404
        return get_in_scope_or_404(
            institution_list(scope=self.scope, permission="staff.change"), pk=pk
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "regions": self.regions}

    def get_initial(self):
        if self.institution is not None:
            return {"basis": CheckBatch.Basis.INSTITUTION, "institution": self.institution.pk}
        return {"basis": CheckBatch.Basis.STALE}

    def get_context_data(self, **kwargs):
        return super().get_context_data(institution=self.institution, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        region = Region.objects.filter(code=data.get("region") or "").first()
        try:
            batch = services.batch_create(
                actor=self.request.user,
                scope=self.scope,
                basis=data["basis"],
                region=region,
                institution=self.institution,
                stale_months=data.get("stale_months"),
                note=data.get("note") or "",
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("已生成查询批次 %(number)s，共 %(n)d 人")
            % {"number": batch.number, "n": batch.checks.count()},
        )
        return redirect("personnel:batch", pk=batch.pk)


class BatchDetailView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/batch_detail.html"

    def get_context_data(self, **kwargs):
        batch = get_in_scope_or_404(selectors.batch_list(scope=self.scope), pk=self.kwargs["pk"])
        checks = selectors.check_list(scope=self.scope).filter(batch=batch).order_by("id")
        visible = set(
            selectors.check_results(scope=self.scope)
            .filter(batch=batch)
            .values_list("pk", flat=True)
        )
        recordable = set(
            selectors.recordable_checks(scope=self.scope)
            .filter(batch=batch, status="pending")
            .values_list("pk", flat=True)
        )
        rows = list(checks)
        for check in rows:
            check.result_visible = check.pk in visible
            check.can_record = check.pk in recordable
        kwargs.setdefault("reveal_form", RevealForm())
        return super().get_context_data(
            batch=batch,
            checks=rows,
            pending=sum(1 for c in rows if c.status == "pending"),
            can_record=bool(recordable),
            can_reveal=self.scope.can("staff.reveal"),
            **kwargs,
        )


class BatchExportView(ScopedViewMixin, View):
    """The batch sheet, ID numbers masked: the record of what was asked."""

    permission = "staff.view"

    def get(self, request, pk):
        batch = get_in_scope_or_404(selectors.batch_list(scope=self.scope), pk=pk)
        checks = selectors.check_list(scope=self.scope).filter(batch=batch)
        audit_log(
            kind=AuditEvent.Kind.EXPORT,
            actor=request.user,
            request=request,
            obj=batch,
            detail={"ledger": "check_batch", "masked": True},
        )
        return download(BatchSheet(batch, checks).to_xlsx(), f"犯罪记录查询-{batch.number}.xlsx")


class BatchFullExportView(ScopedViewMixin, View):
    """The batch sheet with whole ID numbers, for public security to run the checks.

    A POST with a reason by a `staff.reveal` holder; one audited reveal naming every
    record in the sheet.
    """

    permission = "staff.reveal"

    def post(self, request, pk):
        batch = get_in_scope_or_404(selectors.batch_list(scope=self.scope), pk=pk)
        checks = selectors.check_list(scope=self.scope, permission="staff.reveal").filter(
            batch=batch, status="pending"
        )
        form = RevealForm(request.POST)
        if not form.is_valid():
            view = BatchDetailView(request=request, kwargs={"pk": pk}, scope=self.scope)
            context = view.get_context_data(reveal_form=form)
            return render(request, BatchDetailView.template_name, context, status=400)
        audit_log(
            kind=AuditEvent.Kind.REVEAL,
            actor=request.user,
            request=request,
            obj=batch,
            reason=form.cleaned_data["reason"],
            detail={
                "what": "id_numbers",
                "batch": batch.number,
                "staff": list(checks.values_list("staff_id", flat=True)),
            },
        )
        response = download(
            BatchSheet(batch, checks, full_numbers=True).to_xlsx(),
            f"犯罪记录查询-{batch.number}-完整身份证号.xlsx",
            XLSX,
        )
        return _no_store(response)


class ResultView(ScopedViewMixin, FormView):
    """Enter one reply by hand (public security, or education on its behalf)."""

    permission = "staff.view"
    template_name = "personnel/result_form.html"
    form_class = ResultForm

    @cached_property
    def check_request(self) -> BackgroundCheck:
        if not selectors.can_record(self.scope):
            raise PermissionDenied
        return get_in_scope_or_404(
            selectors.recordable_checks(scope=self.scope).filter(status="pending"),
            pk=self.kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        self.check_request  # noqa: B018 - 403 / 404 before the form
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(check=self.check_request, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            dismissal = services.check_record_result(
                check=self.check_request,
                actor=self.request.user,
                scope=self.scope,
                result={
                    "outcome": data["outcome"],
                    "category": data.get("category") or "",
                    "checked_on": data["checked_on"],
                    "reference": data["reference"],
                    "checked_by": data.get("checked_by") or "",
                },
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        if dismissal is not None:
            messages.warning(self.request, _("查询发现不得从业情形，已下达清退任务"))
        else:
            messages.success(self.request, _("已录入查询结果"))
        return redirect("personnel:batch", pk=self.check_request.batch_id)


class DismissalListView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/dismissal_list.html"

    def get_context_data(self, **kwargs):
        qs = selectors.dismissal_list(scope=self.scope)
        status = self.request.GET.get("status", "")
        if status in Dismissal.Status.values:
            qs = qs.filter(status=status)
        return super().get_context_data(
            page=Paginator(qs, 50).get_page(self.request.GET.get("page")),
            status=status,
            statuses=Dismissal.Status.choices,
            sees_results=selectors.sees_any_results(self.scope),
            **kwargs,
        )


class DismissalView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/dismissal.html"

    def get_context_data(self, **kwargs):
        dismissal = get_in_scope_or_404(
            selectors.dismissal_list(scope=self.scope), pk=self.kwargs["pk"]
        )
        institution = dismissal.institution
        kwargs.setdefault("form", DismissalCloseForm())
        return super().get_context_data(
            dismissal=dismissal,
            can_close=dismissal.status == Dismissal.Status.OPEN
            and self.scope.covers_institution(
                "staff.change", county_code=institution.county_id, sector=institution.sector
            ),
            **kwargs,
        )


class DismissalCloseView(ScopedViewMixin, View):
    permission = "staff.change"

    def post(self, request, pk):
        dismissal = get_in_scope_or_404(
            selectors.dismissal_list(scope=self.scope, permission="staff.change"), pk=pk
        )
        form = DismissalCloseForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["evidence"]
            try:
                services.dismissal_close(
                    dismissal=dismissal,
                    actor=request.user,
                    scope=self.scope,
                    employment_end=form.cleaned_data["employment_end"],
                    evidence_name=upload.name,
                    evidence=upload.read(services.MAX_EVIDENCE_BYTES + 1),
                    note=form.cleaned_data.get("note") or "",
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                messages.success(request, _("清退任务已办结"))
                return redirect("personnel:dismissal", pk=dismissal.pk)
        view = DismissalView(request=request, kwargs={"pk": pk}, scope=self.scope)
        return render(
            request, DismissalView.template_name, view.get_context_data(form=form), status=400
        )


_EVIDENCE_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


class DismissalEvidenceView(ScopedViewMixin, View):
    """The evidence file, only through the scope (never a public media URL).

    Always a download, never shown in the site's origin: a sandbox CSP and nosniff stop a
    crafted file from running as a page even if a browser would open it."""

    permission = "staff.view"

    def get(self, request, pk):
        dismissal = get_in_scope_or_404(
            selectors.dismissal_list(scope=self.scope).exclude(evidence=""), pk=pk
        )
        # Small files (10 MB at most): read whole, so no file handle outlives the request.
        with dismissal.evidence.open("rb") as handle:
            data = handle.read()
        kind = dismissal.evidence.name.rsplit(".", 1)[-1]
        response = HttpResponse(data, content_type=_EVIDENCE_TYPES.get(kind, "application/pdf"))
        response["Content-Disposition"] = content_disposition_header(
            True, dismissal.evidence_name or dismissal.evidence.name.rsplit("/", 1)[-1]
        )
        response["Content-Security-Policy"] = "sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
