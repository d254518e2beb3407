"""Fee records: the list with its violations, one charge with its refunds, hand entry. Thin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import Scope, get_in_scope_or_404
from core.forms import refusal_on_form
from core.paging import NarrowPaginator
from institutions.models import Institution
from institutions.selectors import institution_list, region_list

from . import selectors, services
from .figures import kept_fee_figures
from .filters import COMPLIANT, UNCHECKED, VIOLATING, FeeRecordFilterSet
from .forms import FeeRecordForm, NoteForm, RefundForm, ReopenForm
from .models import FeeViolation

RECORD_FILTERS = ("q", "region", "rule", "state", "supervised", "charged_from", "charged_to")


# Matches no region code: the figures of an unknown or out-of-scope region are empty, as
# its list is, never the whole scope's.
NO_REGION = "#"


def region_prefix(scope: Scope, code: str) -> str:
    """The code prefix of a region the user may see; "" (everything in their scope) when no
    region is asked for; NO_REGION for a code that is unknown or outside the scope."""
    code = (code or "").strip()
    if not code:
        return ""
    region = region_list(scope=scope).filter(code=code).first()
    return region.prefix if region else NO_REGION


def filter_context(scope: Scope, params) -> dict:
    return {
        "regions": region_list(scope=scope).exclude(level="province").order_by("code"),
        "rules": FeeViolation.Rule.choices,
        "figures": kept_fee_figures(scope, region_prefix(scope, params.get("region"))),
    }


class FeeRecordListView(ScopedViewMixin, TemplateView):
    permission = "fees.view"
    template_name = "fees/record_list.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        qs = FeeRecordFilterSet(
            data=params, queryset=selectors.fee_record_list(scope=self.scope)
        ).qs.order_by("-charged_on", "-id")
        page = NarrowPaginator(qs, 50).get_page(params.get("page"))
        return super().get_context_data(
            page=page,
            filters={name: params.get(name, "").strip() for name in RECORD_FILTERS},
            states=[(VIOLATING, _("有违规")), (COMPLIANT, _("合规")), (UNCHECKED, _("未核查"))],
            **filter_context(self.scope, params),
            **kwargs,
        )


def _can_change(scope: Scope, institution: Institution) -> bool:
    return scope.covers_institution(
        "fees.change", county_code=institution.county_id, sector=institution.sector
    )


class FeeRecordView(ScopedViewMixin, TemplateView):
    permission = "fees.view"
    template_name = "fees/record_detail.html"

    def get_context_data(self, **kwargs):
        record = get_in_scope_or_404(
            selectors.fee_record_list(scope=self.scope).select_related("created_by"),
            pk=self.kwargs["pk"],
        )
        violations = list(record.violations.order_by("rule").select_related("closed_by"))
        refunds = list(record.refunds.select_related("recorded_by"))
        kwargs.setdefault("refund_form", RefundForm())
        return super().get_context_data(
            record=record,
            violations=violations,
            refunds=refunds,
            refunded=sum((r.amount for r in refunds), start=record.amount * 0),
            can_change=_can_change(self.scope, record.institution),
            note_form=NoteForm(),
            reopen_form=ReopenForm(),
            **kwargs,
        )


class FeeRecordCreateView(ScopedViewMixin, FormView):
    permission = "fees.change"
    template_name = "fees/record_form.html"
    form_class = FeeRecordForm

    def get_form_kwargs(self):
        institutions = institution_list(scope=self.scope, permission="fees.change").order_by(
            "county_id", "name"
        )
        return {**super().get_form_kwargs(), "institutions": institutions}

    def get_initial(self):
        return {"institution": self.request.GET.get("institution")}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            record, changes = services.fee_record_create(
                actor=self.request.user, scope=self.scope, **data
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if changes.found:
            messages.warning(self.request, _("已录入。该笔收费违反收费规则，已生成退费整改任务"))
        else:
            messages.success(self.request, _("已录入收费记录"))
        return redirect("fees:record", pk=record.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _render_record(request, scope, pk, **forms_) -> object:
    view = FeeRecordView(request=request, kwargs={"pk": pk}, scope=scope)
    return render(request, FeeRecordView.template_name, view.get_context_data(**forms_), status=400)


class RefundCreateView(ScopedViewMixin, View):
    permission = "fees.change"

    def post(self, request, pk):
        record = get_in_scope_or_404(
            selectors.fee_record_list(scope=self.scope, permission="fees.change"), pk=pk
        )
        form = RefundForm(request.POST)
        if form.is_valid():
            try:
                refund, closed = services.refund_record(
                    record=record, actor=request.user, scope=self.scope, **form.cleaned_data
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                if closed:
                    messages.success(request, _("已记录退费，退费已足额，相关违规已销号"))
                else:
                    messages.success(request, _("已记录退费"))
                return redirect("fees:record", pk=record.pk)
        return _render_record(request, self.scope, pk, refund_form=form)


class _ViolationActionView(ScopedViewMixin, View):
    """A POST that changes one violation, fetched inside the scope that may change it."""

    permission = "fees.change"
    form_class: type[forms.Form] = NoteForm

    def post(self, request, pk):
        violation = get_in_scope_or_404(
            selectors.fee_violation_list(scope=self.scope, permission="fees.change"), pk=pk
        )
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.act(violation, form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            return redirect("fees:record", pk=violation.record_id)
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return _render_record(request, self.scope, violation.record_id)

    def act(self, violation: FeeViolation, data: dict) -> None:
        raise NotImplementedError


class ViolationReportView(_ViolationActionView):
    def act(self, violation, data):
        services.fee_violation_report(
            violation=violation, actor=self.request.user, scope=self.scope, note=data["note"]
        )
        messages.success(self.request, _("已记录整改情况"))


class ViolationCloseView(_ViolationActionView):
    def act(self, violation, data):
        services.fee_violation_close(
            violation=violation, actor=self.request.user, scope=self.scope, note=data["note"]
        )
        messages.success(self.request, _("机构已证明合规，违规已销号"))


class ViolationReopenView(_ViolationActionView):
    form_class = ReopenForm

    def act(self, violation, data):
        services.fee_violation_reopen(
            violation=violation, actor=self.request.user, scope=self.scope, note=data["note"],
            deadline=data["deadline"],
        )  # fmt: skip
        messages.warning(self.request, _("已退回整改"))
