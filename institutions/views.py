"""Register pages. Each view checks access, calls a selector or a service, and renders."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.roles import Department, Sector
from accounts.scope import get_in_scope_or_404
from core.forms import refusal_on_form

from . import accounts, selectors, services
from .forms import InstitutionForm, SiteForm
from .models import Institution
from .services import INSTITUTION_FIELDS, SITE_FIELDS

# The list page's own filters (InstitutionFilterSet reads them); `page` is not one.
LIST_FILTERS = ("q", "region", "category", "sector", "status", "risky")


class InstitutionListView(ScopedViewMixin, TemplateView):
    permission = "institutions.view"
    template_name = "institutions/institution_list.html"

    def get_context_data(self, **kwargs):
        qs = selectors.institution_list(scope=self.scope, filters=self.request.GET)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        current = {name: self.request.GET.get(name, "").strip() for name in LIST_FILTERS}
        return super().get_context_data(
            page=page,
            filters=current,
            # Phones fold the secondary filters away unless one of them is in use.
            more_filters_open=any(current[n] for n in LIST_FILTERS if n not in {"q", "region"}),
            regions=selectors.region_list(scope=self.scope).exclude(level="province"),
            categories=Institution.Category.choices,
            sectors=Sector.choices,
            statuses=Institution.Status.choices,
            # 批量开通机构账号: the county's education officers and admins.
            may_open_accounts=Department.EDUCATION in self.scope.departments(accounts.MANAGE),
            **kwargs,
        )


class InstitutionDetailView(ScopedViewMixin, TemplateView):
    permission = "institutions.view"
    template_name = "institutions/institution_detail.html"

    def get_context_data(self, **kwargs):
        institution = get_in_scope_or_404(
            selectors.institution_list(scope=self.scope), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            institution=institution,
            sites=list(institution.sites.all()),
            history=selectors.institution_history(institution=institution),
            can_change=self.scope.covers_institution(
                "institutions.change",
                county_code=institution.county_id,
                sector=institution.sector,
            ),
            institution_accounts=(
                selectors.institution_accounts(institution=institution)
                if accounts.may_manage(self.scope, institution)
                else None
            ),
            **kwargs,
        )


class InstitutionCreateView(ScopedViewMixin, FormView):
    permission = "institutions.change"
    template_name = "institutions/institution_form.html"
    form_class = InstitutionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "counties": self.counties}

    @cached_property
    def counties(self):
        return selectors.county_choices(scope=self.scope)

    def get_initial(self):
        # A county officer has one county: chosen for them.
        only = list(self.counties[:2])
        return {"county": only[0].pk} if len(only) == 1 else {}

    def form_valid(self, form):
        try:
            institution = services.institution_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已新增机构“%(name)s”") % {"name": institution.name})
        return redirect("institutions:detail", pk=institution.pk)


class InstitutionUpdateView(ScopedViewMixin, FormView):
    permission = "institutions.change"
    template_name = "institutions/institution_form.html"
    form_class = InstitutionForm

    @cached_property
    def institution(self) -> Institution:
        return get_in_scope_or_404(
            selectors.institution_list(scope=self.scope, permission="institutions.change"),
            pk=self.kwargs["pk"],
        )

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "counties": selectors.county_choices(scope=self.scope),
        }

    def get_initial(self):
        return model_to_dict(self.institution, fields=INSTITUTION_FIELDS)

    def get_context_data(self, **kwargs):
        return super().get_context_data(institution=self.institution, **kwargs)

    def form_valid(self, form):
        try:
            services.institution_update(
                institution=self.institution, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存修改"))
        return redirect("institutions:detail", pk=self.institution.pk)


class SiteCreateView(ScopedViewMixin, FormView):
    permission = "institutions.change"
    template_name = "institutions/site_form.html"
    form_class = SiteForm

    @cached_property
    def institution(self) -> Institution:
        return get_in_scope_or_404(
            selectors.institution_list(scope=self.scope, permission="institutions.change"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(institution=self.institution, **kwargs)

    def form_valid(self, form):
        try:
            services.site_create(
                institution=self.institution, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已新增培训场所"))
        return redirect("institutions:detail", pk=self.institution.pk)


class _SiteMixin:
    @cached_property
    def site(self):
        return get_in_scope_or_404(
            selectors.site_list(scope=self.scope, permission="institutions.change"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(site=self.site, institution=self.site.institution, **kwargs)

    def get_success_url(self) -> str:
        return reverse("institutions:detail", args=[self.site.institution_id])


class SiteUpdateView(ScopedViewMixin, _SiteMixin, FormView):
    permission = "institutions.change"
    template_name = "institutions/site_form.html"
    form_class = SiteForm

    def get_initial(self):
        return model_to_dict(self.site, fields=SITE_FIELDS)

    def form_valid(self, form):
        try:
            services.site_update(site=self.site, actor=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存修改"))
        return redirect(self.get_success_url())


class SiteDeleteView(ScopedViewMixin, _SiteMixin, TemplateView):
    """GET asks for confirmation; POST removes the site."""

    permission = "institutions.change"
    template_name = "institutions/site_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        url = self.get_success_url()
        services.site_delete(site=self.site, actor=request.user)
        messages.success(request, _("已删除培训场所“%(name)s”") % {"name": self.site.name})
        return redirect(url)
