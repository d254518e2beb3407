from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from core.models import Region

from . import selectors, services
from .forms import CampaignForm, FeeRulesForm, PublicityForm
from .signals import fee_rules_changed


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
            # The complaint time limits are province-wide: a city's manager does not set them
            # (a city grant's prefix does not cover the province's code).
            can_set_complaint_rules=self.scope.covers_region(
                "campaign.manage", campaign.province_id
            ),
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
                days=form.days(),
                quota_reason=form.cleaned_data["quota_reason"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存"))
        return redirect("campaign:detail", pk=campaign.pk)


class PublicityListView(ScopedViewMixin, TemplateView):
    permission = "inspections.view"
    template_name = "campaign/publicity_list.html"

    def get_context_data(self, **kwargs):
        activities = selectors.publicity_list(scope=self.scope)
        totals = activities.aggregate(
            times=Sum("times"), reached=Sum("reached"), institutions=Sum("institutions_reached")
        )
        return super().get_context_data(
            page=Paginator(activities, 50).get_page(self.request.GET.get("page")),
            totals=totals,
            can_add=self.scope.can("inspections.change"),
            **kwargs,
        )


class PublicityCreateView(ScopedViewMixin, FormView):
    permission = "inspections.change"
    template_name = "campaign/publicity_form.html"
    form_class = PublicityForm

    def get_form_kwargs(self):
        counties = self.scope.filter(
            Region.objects.filter(level="county").select_related("parent"),
            "inspections.change",
            region="code",
        )
        return {**super().get_form_kwargs(), "counties": counties}

    def form_valid(self, form):
        campaign = (
            selectors.campaign_list(scope=self.scope)
            .filter(is_active=True)
            .order_by("-starts_on")
            .first()
        )
        if campaign is None:
            form.add_error(None, _("本省尚未设立进行中的专项行动"))
            return self.form_invalid(form)
        try:
            services.publicity_create(
                actor=self.request.user, scope=self.scope, campaign=campaign, **form.cleaned_data
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存"))
        return redirect("campaign:publicity")


class FeeRulesEditView(ScopedViewMixin, FormView):
    permission = "campaign.manage"
    template_name = "campaign/fee_rules_form.html"
    form_class = FeeRulesForm

    def get_campaign(self):
        return get_in_scope_or_404(
            selectors.campaign_list(scope=self.scope, permission="campaign.manage"),
            pk=self.kwargs["pk"],
        )

    def get_initial(self):
        return FeeRulesForm.initial_for(self.get_campaign())

    def get_context_data(self, **kwargs):
        return super().get_context_data(campaign=self.get_campaign(), **kwargs)

    def form_valid(self, form):
        campaign = self.get_campaign()
        # New limits apply to the open fee records at once: saved and re-checked together.
        with transaction.atomic():
            services.fee_rules_update(
                campaign=campaign, actor=self.request.user, scope=self.scope, rules=form.rules()
            )
            # fees re-checks its records against the new table and says what changed.
            answers = fee_rules_changed.send(
                sender=type(campaign), campaign=campaign, actor=self.request.user
            )
        messages.success(
            self.request, _("已保存。") + "".join(changes.describe() for _, changes in answers)
        )
        return redirect("campaign:detail", pk=campaign.pk)
