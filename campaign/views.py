from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404

from . import selectors, services
from .forms import CampaignForm


class CampaignListView(ScopedViewMixin, TemplateView):
    permission = "dashboard.view"
    template_name = "campaign/campaign_list.html"

    def get_context_data(self, **kwargs):
        campaigns = selectors.campaign_list(scope=self.scope).prefetch_related("phases")
        return super().get_context_data(campaigns=campaigns, **kwargs)


class CampaignDetailView(ScopedViewMixin, TemplateView):
    permission = "dashboard.view"
    template_name = "campaign/campaign_detail.html"

    def get_context_data(self, **kwargs):
        campaign = get_in_scope_or_404(
            selectors.campaign_list(scope=self.scope), pk=self.kwargs["pk"]
        )
        today = timezone.localdate()
        phases = [
            {"phase": p, "days_left": (p.deadline - today).days} for p in campaign.phases.all()
        ]
        checklist = campaign.checklists.filter(is_active=True).first()
        items = checklist.items.all() if checklist else []
        return super().get_context_data(
            campaign=campaign,
            phases=phases,
            fee_rules=campaign.fee_rules.all(),
            checklist=checklist,
            items=items,
            can_manage=self.scope.can("campaign.manage"),
            **kwargs,
        )


class CampaignEditView(ScopedViewMixin, FormView):
    permission = "campaign.manage"
    template_name = "campaign/campaign_form.html"
    form_class = CampaignForm

    def get_campaign(self):
        return get_in_scope_or_404(
            selectors.campaign_list(scope=self.scope, permission="campaign.manage"),
            pk=self.kwargs["pk"],
        )

    def get_initial(self):
        return CampaignForm.initial_for(self.get_campaign())

    def get_context_data(self, **kwargs):
        return super().get_context_data(campaign=self.get_campaign(), **kwargs)

    def form_valid(self, form):
        campaign = self.get_campaign()
        try:
            services.campaign_update(
                campaign=campaign,
                actor=self.request.user,
                scope=self.scope,
                deadlines=form.deadlines(),
                quotas=form.quotas(),
                escalate_days=form.cleaned_data["escalate_days"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存"))
        return redirect("campaign:detail", pk=campaign.pk)
