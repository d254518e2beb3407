"""Staff registry pages: list, detail, create/edit, one-record reveal, ledger (the import's
pages are the one flow in tabular/views.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from core import crypto
from core.forms import refusal_on_form
from core.paging import NarrowPaginator
from core.text import small_int
from institutions.selectors import institution_list, region_list
from tabular.download import ledger_download, title_region_name

from . import selectors, services
from .exporters import VettingLedger
from .forms import RevealForm, StaffForm
from .models import Post, StaffMember

LIST_FILTERS = ("q", "region", "institution", "post", "employment", "checked")


def _no_store(response):
    # Pages with a whole ID number must not stay in a shared browser's cache.
    response["Cache-Control"] = "no-store"
    return response


class StaffListView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/staff_list.html"

    def post(self, request, *args, **kwargs):
        """Find one person by their whole ID number: a POST, so the number stays out of
        URLs, browser history and access logs; the page shows it masked."""
        number = request.POST.get("id_number", "")
        qs = selectors.staff_by_id_number(selectors.staff_list(scope=self.scope), number)
        context = self.get_context_data(qs=qs, searched_id=crypto.mask_id(number))
        return self.render_to_response(context)

    def get_context_data(self, qs=None, **kwargs):
        if qs is None:
            qs = selectors.staff_list(scope=self.scope, filters=self.request.GET)
        page = NarrowPaginator(qs.order_by("institution__name", "name", "id"), 50).get_page(
            self.request.GET.get("page")
        )
        current = {name: self.request.GET.get(name, "").strip() for name in LIST_FILTERS}
        return super().get_context_data(
            page=page,
            filters=current,
            regions=region_list(scope=self.scope).exclude(level="province"),
            posts=Post.choices,
            export_query=self.request.GET.urlencode(),
            can_change=self.scope.can("staff.change"),
            **kwargs,
        )


class StaffDetailView(ScopedViewMixin, TemplateView):
    permission = "staff.view"
    template_name = "personnel/staff_detail.html"

    def get_context_data(self, **kwargs):
        staff = get_in_scope_or_404(selectors.staff_list(scope=self.scope), pk=self.kwargs["pk"])
        institution = staff.institution
        sees_results = selectors.can_see_results(self.scope, institution)
        checks = list(staff.checks.select_related("batch").order_by("-id"))
        covers = self.scope.covers_institution
        kwargs.setdefault("reveal_form", RevealForm())
        return super().get_context_data(
            staff=staff,
            checks=checks,
            sees_results=sees_results,
            dismissals=list(staff.dismissals.order_by("-id")) if sees_results else [],
            also_registered=selectors.other_records(scope=self.scope, staff=staff),
            can_change=covers(
                "staff.change", county_code=institution.county_id, sector=institution.sector
            ),
            can_reveal=covers(
                "staff.reveal", county_code=institution.county_id, sector=institution.sector
            ),
            history=list(
                staff.history.select_related("history_user").order_by("-history_date")[:30]
            ),
            **kwargs,
        )


class StaffRevealView(ScopedViewMixin, View):
    """POST with a reason: the detail page once more, with the whole number shown."""

    permission = "staff.reveal"

    def post(self, request, pk):
        staff = get_in_scope_or_404(
            selectors.staff_list(scope=self.scope, permission="staff.reveal"), pk=pk
        )
        form = RevealForm(request.POST)
        view = StaffDetailView(request=request, kwargs={"pk": pk}, scope=self.scope)
        if not form.is_valid():
            context = view.get_context_data(reveal_form=form)
            return render(request, StaffDetailView.template_name, context, status=400)
        revealed = services.staff_reveal(
            staff=staff,
            actor=request.user,
            scope=self.scope,
            reason=form.cleaned_data["reason"],
            request=request,
        )
        context = view.get_context_data(revealed=revealed)
        return _no_store(render(request, StaffDetailView.template_name, context))


class _StaffFormView(ScopedViewMixin, FormView):
    permission = "staff.change"
    template_name = "personnel/staff_form.html"
    form_class = StaffForm
    editing = False

    def get_form_kwargs(self):
        institutions = institution_list(scope=self.scope, permission="staff.change").order_by(
            "name"
        )
        return {**super().get_form_kwargs(), "institutions": institutions, "editing": self.editing}

    def values(self, form) -> dict:
        data = dict(form.cleaned_data)
        data["post"] = data.get("post") or ""
        data["teacher_certificate"] = data.get("teacher_certificate") or ""
        return data


class StaffCreateView(_StaffFormView):
    def get_initial(self):
        institution = small_int(self.request.GET.get("institution", ""))
        return {"institution": institution} if institution is not None else {}

    def form_valid(self, form):
        try:
            staff = services.staff_create(
                actor=self.request.user, scope=self.scope, **self.values(form)
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已新增人员“%(name)s”") % {"name": staff.name})
        return redirect("personnel:detail", pk=staff.pk)


class StaffUpdateView(_StaffFormView):
    editing = True

    @cached_property
    def staff(self) -> StaffMember:
        return get_in_scope_or_404(
            selectors.staff_list(scope=self.scope, permission="staff.change"), pk=self.kwargs["pk"]
        )

    def get_initial(self):
        s = self.staff
        return {
            "institution": s.institution_id, "name": s.name, "post": s.post,
            "employed_from": s.employed_from, "employed_until": s.employed_until,
            "teacher_certificate": s.teacher_certificate, "platform_complete": s.platform_complete,
        }  # fmt: skip

    def get_context_data(self, **kwargs):
        return super().get_context_data(staff=self.staff, **kwargs)

    def form_valid(self, form):
        try:
            services.staff_update(
                staff=self.staff, actor=self.request.user, scope=self.scope, **self.values(form)
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存修改"))
        return redirect("personnel:detail", pk=self.staff.pk)


def vetting_ledger(*, scope, user, params, request=None) -> VettingLedger:
    """The vetting ledger for these query parameters (the download and a background run)."""
    qs = selectors.staff_list(scope=scope, filters=params)
    return VettingLedger(
        qs, scope=scope, region_name=title_region_name(scope=scope, user=user, params=params)
    )


class LedgerExportView(ScopedViewMixin, View):
    """The vetting ledger (xlsx or csv), filtered as the list, ID numbers masked."""

    permission = "staff.view"

    def get(self, request):
        ledger = vetting_ledger(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(
            request=request, ledger=ledger, key="staff", basename="从业人员审查台账"
        )


# -- imports ---------------------------------------------------------------------------
