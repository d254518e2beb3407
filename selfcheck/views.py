"""The officials' pages of 自查自评 (read only, `inspections.view`): which institutions in
their scope have self-inspected, by when, with how many of their own items still open; and
one submitted self-inspection, the sections the reader's departments own. A draft is the
institution's own until it submits: officials see only that it has begun."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.roles import Section
from accounts.scope import get_in_scope_or_404
from campaign.selectors import campaign_list
from core.models import Region
from core.photos import jpeg_response
from core.regions import within_region

from . import selectors
from .models import SelfAnswer, SelfInspection, SelfPhoto

STATUSES = ("submitted", "draft", "none", "unsubmitted", "open")


def _campaign(scope):
    return (
        campaign_list(scope=scope, permission=selectors.PERMISSION)
        .filter(is_active=True)
        .order_by("-starts_on", "-pk")
        .first()
    )


class ListView(ScopedViewMixin, TemplateView):
    permission = selectors.PERMISSION
    template_name = "selfcheck/list.html"

    def get_context_data(self, **kwargs):
        campaign = _campaign(self.scope)
        status = self.request.GET.get("status", "")
        status = status if status in STATUSES else ""
        context = {"campaign": campaign, "status": status, "statuses": STATUSES}
        if campaign is not None:
            rows = selectors.institutions_with_status(scope=self.scope, campaign=campaign)
            region = self.request.GET.get("region", "").strip()[:12]
            if region:
                # The boards' links open one county's, city's or province's list.
                rows = within_region(rows, region, path="county__code")
                context["region"] = Region.objects.filter(code=region).first()
            context["counts"] = selectors.counts(rows)
            page = Paginator(selectors.status_filter(rows, status), 50).get_page(
                self.request.GET.get("page")
            )
            context["page"] = page
        return super().get_context_data(**context, **kwargs)


class DetailView(ScopedViewMixin, TemplateView):
    permission = selectors.PERMISSION
    template_name = "selfcheck/detail.html"

    def get_context_data(self, **kwargs):
        record = get_in_scope_or_404(
            selectors.self_inspection_list(scope=self.scope).select_related(
                "institution__county", "submitted_by"
            ),
            pk=self.kwargs["pk"],
        )
        if record.status != SelfInspection.Status.SUBMITTED:
            raise Http404
        sections = self.scope.sections(selectors.PERMISSION)
        answers = (
            record.answers.filter(item__section__in=sections)
            .select_related("item")
            .prefetch_related(Prefetch("photos", queryset=SelfPhoto.objects.order_by("pk")))
            .order_by("item__order", "item__code")
        )
        labels = dict(Section.choices)
        groups: dict[str, list] = {}
        for answer in answers:
            groups.setdefault(answer.item.section, []).append(answer)
        return super().get_context_data(
            record=record,
            institution=record.institution,
            groups=[(labels[code], groups[code]) for code in Section.values if code in groups],
            open_items=[
                a
                for answer_list in groups.values()
                for a in answer_list
                if a.value == SelfAnswer.Value.NON_COMPLIANT
            ],
            amendments=selectors.amendment_rows(record, sections),
            **kwargs,
        )


class PhotoView(ScopedViewMixin, View):
    """A self-inspection photo, to officials who see the institution and the item's section."""

    permission = selectors.PERMISSION

    def get(self, request, pk):
        photos = selectors.self_photos_for_officials(scope=self.scope).filter(
            answer__item__section__in=self.scope.sections(self.permission)
        )
        return jpeg_response(get_in_scope_or_404(photos, pk=pk).image)
