"""查处问责 pages: the ledger of actions in scope, and recording one on an institution. Thin."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from core.paging import NarrowPaginator
from core.text import small_int
from inspections.models import Finding, Inspection
from institutions.selectors import institution_list, region_list

from . import selectors, services
from .forms import ActionForm, WithdrawForm
from .models import EnforcementAction

FILTERS = ("q", "region", "kind", "trigger", "from", "to")


# The ledger reads the kind of action as its common `status` filter; the rest by name.
LEDGER_PARAMS = {"kind": "status"}


def export_query(filters: dict) -> str:
    """The list's filters as the ledger's query string, encoded (a 文书编号 holds & and #)."""
    return urlencode({LEDGER_PARAMS.get(k, k): v for k, v in filters.items() if v})


class ActionListView(ScopedViewMixin, TemplateView):
    permission = selectors.VIEW
    template_name = "enforcement/action_list.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        qs = selectors.action_list(scope=self.scope, filters=params).order_by("-taken_on", "-id")
        filters = {name: params.get(name, "").strip() for name in FILTERS}
        page = NarrowPaginator(qs, 50).get_page(params.get("page"))
        selectors.mark_withdrawable(self.scope, page.object_list)
        return super().get_context_data(
            page=page,
            filters=filters,
            export_query=export_query(filters),
            regions=region_list(scope=self.scope).exclude(level="province").order_by("code"),
            kinds=EnforcementAction.Kind.choices,
            triggers=EnforcementAction.Trigger.choices,
            **kwargs,
        )


def _basis(value: str, institution) -> tuple[str, Finding | None, Inspection | None]:
    """A basis such as "finding:12" → the trigger and its row at this institution (a row
    not there stays empty: the service then refuses it in words)."""
    kind, _sep, pk = (value or "").partition(":")
    pk = small_int(pk)
    if kind == EnforcementAction.Trigger.FINDING:
        row = Finding.objects.filter(pk=pk, task__institution=institution).first() if pk else None
        return kind, row or Finding(pk=0), None
    if kind == EnforcementAction.Trigger.SUSPENSION:
        row = Inspection.objects.filter(pk=pk, institution=institution).first() if pk else None
        return kind, None, row
    return kind, None, None


class ActionCreateView(ScopedViewMixin, FormView):
    """登记处理措施 on one institution; out of the recorder's regions it is a 404."""

    permission = services.PERMISSION
    template_name = "enforcement/action_form.html"
    form_class = ActionForm

    @cached_property
    def institution(self):
        return get_in_scope_or_404(
            institution_list(scope=self.scope, permission=services.PERMISSION),
            pk=self.kwargs["pk"],
        )

    @cached_property
    def offered(self):
        return selectors.bases_with_sections(scope=self.scope, institution=self.institution)

    @cached_property
    def bases(self):
        return [(value, label) for value, label, _sections in self.offered]

    def get_form_kwargs(self):
        # 处理部门 is who took the action: any department owning an offered basis's section.
        return {
            **super().get_form_kwargs(),
            "bases": self.bases,
            "departments": selectors.department_choices(self.institution, self.offered),
        }

    def get_initial(self):
        own = sorted(selectors.acting_departments(self.scope, self.institution))
        return {
            "basis": self.request.GET.get("basis", ""), "taken_on": timezone.localdate(),
            "department": own[0] if len(own) == 1 else "",
        }  # fmt: skip

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            institution=self.institution, has_bases=bool(self.bases), **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        trigger, finding, inspection = _basis(data["basis"], self.institution)
        try:
            action = services.action_record(
                institution=self.institution, actor=self.request.user, scope=self.scope,
                trigger=trigger, finding=finding, inspection=inspection, kind=data["kind"],
                department=data["department"], taken_on=data["taken_on"],
                document_number=data["document_number"], amount=data["amount"],
                note=data["note"], request=self.request,
            )  # fmt: skip
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(
            self.request, _("已登记处理措施：%(kind)s") % {"kind": action.get_kind_display()}
        )
        return redirect("institutions:detail", pk=self.institution.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ActionWithdrawView(ScopedViewMixin, FormView):
    """撤销 one action recorded in error, with a reason. Out of the user's reach (regions or
    sections) it is a 404; a reader who may not record on its trigger there, 403."""

    permission = services.PERMISSION
    template_name = "enforcement/action_withdraw.html"
    form_class = WithdrawForm

    @cached_property
    def action(self):
        return get_in_scope_or_404(
            selectors.action_list(scope=self.scope, permission=services.PERMISSION),
            pk=self.kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        if not selectors.may_withdraw(self.scope, self.action) and not self.action.withdrawn_at:
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(action=self.action, **kwargs)

    def form_valid(self, form):
        try:
            services.action_withdraw(
                action=self.action, actor=self.request.user, scope=self.scope,
                reason=form.cleaned_data["reason"], request=self.request,
            )  # fmt: skip
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                form.add_error("reason", errors)
            return self.form_invalid(form)
        messages.success(self.request, _("已撤销处理措施"))
        return redirect("institutions:detail", pk=self.action.institution_id)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
