from django.core.paginator import Paginator
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404

from . import selectors


class InstitutionListView(ScopedViewMixin, TemplateView):
    permission = "institutions.view"
    template_name = "institutions/institution_list.html"

    def get_context_data(self, **kwargs):
        qs = selectors.institution_list(scope=self.scope, filters=self.request.GET)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page=page,
            region=self.request.GET.get("region", ""),
            q=self.request.GET.get("q", ""),
            regions=selectors.region_list(scope=self.scope).exclude(level="province"),
            **kwargs,
        )


class InstitutionDetailView(ScopedViewMixin, TemplateView):
    permission = "institutions.view"
    template_name = "institutions/institution_detail.html"

    def get_context_data(self, **kwargs):
        institution = get_in_scope_or_404(
            selectors.institution_list(scope=self.scope), pk=self.kwargs["pk"]
        )
        return super().get_context_data(institution=institution, **kwargs)
