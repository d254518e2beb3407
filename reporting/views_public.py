"""Public disclosure (一公开): pages for everyone, no login; and the province's page that
decides what is published and when.

The public pages are not cached: a withdrawal takes effect on the next request. They stay
fast by asking a handful of queries whatever the size of the campaign.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from campaign.models import Campaign

from . import selectors_disclosure as selectors
from . import services_disclosure as services
from .forms_disclosure import PublishForm, WithdrawForm
from .models import Publication


def public_index(request):
    """The campaigns with something published."""
    campaigns = selectors.published_campaigns()
    return render(request, "reporting/public_index.html", {"campaigns": campaigns})


def public_campaign(request, pk):
    """One campaign's disclosure page: only the parts the province has published."""
    campaign = get_object_or_404(Campaign.objects.select_related("province"), pk=pk)
    publication = selectors.current_publication(campaign)
    context = {"campaign": campaign, "publication": publication}
    if publication is not None:
        if publication.show_figures:
            context["figures"] = selectors.public_figures(campaign)
        if publication.show_draws:
            context["draws"] = selectors.public_draws(campaign)
        if publication.show_violations:
            context["violations"] = selectors.public_violations(campaign)
            context["actions"] = selectors.public_actions(campaign)
    return render(request, "reporting/public_campaign.html", context)


class PublicationManageView(ScopedViewMixin, TemplateView):
    """Province staff: each campaign of their province, what is public, publish / withdraw."""

    permission = services.PERMISSION
    template_name = "reporting/publication_manage.html"

    def get_context_data(self, errors=None, **kwargs):
        context = super().get_context_data(**kwargs)
        errors = errors or {}
        rows = []
        for campaign in selectors.campaigns_to_publish(self.scope).select_related("province"):
            current = selectors.current_publication(campaign)
            initial = {"show_draws": True, "show_violations": True, "show_figures": True}
            if current is not None:
                initial = {k: getattr(current, k) for k in initial}
            rows.append({
                "campaign": campaign,
                "current": current,
                "publish_form": errors.get((campaign.pk, "publish"))
                or PublishForm(initial=initial, prefix=f"p{campaign.pk}"),
                "withdraw_form": errors.get((campaign.pk, "withdraw"))
                or WithdrawForm(prefix=f"w{campaign.pk}"),
                "history": Publication.objects.filter(campaign=campaign)[:10],
            })  # fmt: skip
        context["rows"] = rows
        return context


class _PublicationActionView(PublicationManageView):
    http_method_names = ["post"]
    action = ""

    def post(self, request, pk):
        campaign = get_in_scope_or_404(selectors.campaigns_to_publish(self.scope), pk=pk)
        form = self.make_form(request, campaign)
        if form.is_valid():
            try:
                self.act(request, campaign, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("disclosure:manage")
        context = self.get_context_data(errors={(campaign.pk, self.action): form})
        return render(request, self.template_name, context, status=400)


class PublishView(_PublicationActionView):
    action = "publish"

    def make_form(self, request, campaign):
        return PublishForm(request.POST, prefix=f"p{campaign.pk}")

    def act(self, request, campaign, data):
        services.publication_publish(
            campaign=campaign, actor=request.user, scope=self.scope, reason=data["reason"],
            show_draws=data["show_draws"], show_violations=data["show_violations"],
            show_figures=data["show_figures"], request=request,
        )  # fmt: skip
        messages.success(request, _("已公开：%(name)s") % {"name": campaign.name})


class WithdrawView(_PublicationActionView):
    action = "withdraw"

    def make_form(self, request, campaign):
        return WithdrawForm(request.POST, prefix=f"w{campaign.pk}")

    def act(self, request, campaign, data):
        services.publication_withdraw(
            campaign=campaign, actor=request.user, scope=self.scope, reason=data["reason"],
            request=request,
        )  # fmt: skip
        messages.success(request, _("已撤回公开：%(name)s") % {"name": campaign.name})
