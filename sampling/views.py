"""Sampling pages: the rounds, one round (quota, pool, 回避, draw), one published draw, export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from campaign.models import Campaign
from core.models import Region
from core.text import small_int
from inspections.models import Inspection, Round
from institutions.models import Institution
from tabular.download import ledger_download

from . import algorithm, selectors, services
from .exporters import SamplingRecord
from .forms import ConflictForm, DrawForm, PoolAddForm
from .models import Conflict, Draw, PoolMember


def _drawable_regions(scope) -> list[Region]:
    codes = scope.region_codes("sampling.draw")
    return list(Region.objects.filter(code__in=codes, level__in=["city", "province"]))


class RoundListView(ScopedViewMixin, TemplateView):
    permission = "sampling.view"
    template_name = "sampling/round_list.html"

    def get_context_data(self, **kwargs):
        rounds = list(
            selectors.sampling_rounds(self.scope).order_by("-campaign__starts_on", "region_id")
        )
        for round_ in rounds:
            round_.quota = selectors.quota_status(round_)
        have = {(r.campaign_id, r.region_id) for r in rounds}
        campaigns = Campaign.objects.filter(is_active=True)
        missing = [
            (campaign, region)
            for region in _drawable_regions(self.scope)
            for campaign in campaigns
            if campaign.province_id[:2] == region.code[:2]
            and (campaign.pk, region.code) not in have
        ]
        return super().get_context_data(rounds=rounds, missing=missing, **kwargs)

    def post(self, request):
        """Open the spot-check round of one of the user's own regions."""
        self.scope.require("sampling.draw")
        region = next(
            (r for r in _drawable_regions(self.scope) if r.code == request.POST.get("region")),
            None,
        )
        campaign_id = small_int(request.POST.get("campaign", ""))
        # A garbled id is no campaign of theirs: refused like one out of reach.
        campaign = (
            Campaign.objects.filter(pk=campaign_id).first() if campaign_id is not None else None
        )
        if region is None or campaign is None:
            raise PermissionDenied
        try:
            round_ = services.sampling_round(campaign=campaign, region=region)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("sampling:rounds")
        return redirect("sampling:round", pk=round_.pk)


class RoundView(ScopedViewMixin, TemplateView):
    permission = "sampling.view"
    template_name = "sampling/round.html"

    def get_round(self) -> Round:
        return get_in_scope_or_404(selectors.sampling_rounds(self.scope), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        round_ = kwargs.pop("round_", None) or self.get_round()
        can_draw = services.may_draw(self.scope, round_)
        quota = selectors.quota_status(round_)
        draw = selectors.current_draw(round_) if quota["draw"] else None  # with its teams
        # A province sample is thousands of institutions: one page at a time.
        page = Paginator(selectors.assignment_list(round_) if draw else [], 100).get_page(
            self.request.GET.get("page")
        )
        assignments = list(page)
        inspected = dict(
            Inspection.objects.filter(round=round_, institution__in=[a.institution_id for a in assignments])
            .order_by("institution_id", "status")  # submitted after draft: it wins
            .values_list("institution_id", "status")
        )  # fmt: skip
        for a in assignments:
            a.inspection_status = inspected.get(a.institution_id)
        candidates = selectors.pool_candidates(round_)
        prefix = round_.region.prefix
        kwargs.setdefault("draw_form", DrawForm(frame_prefix=prefix))
        kwargs.setdefault("pool_form", PoolAddForm(candidates=candidates))
        kwargs.setdefault(
            "conflict_form",
            ConflictForm(candidates=round_.pool.select_related("user"), frame_prefix=prefix),
        )
        return super().get_context_data(
            round=round_,
            can_draw=can_draw and round_.completed_at is None,
            quota=quota,
            draw=draw,
            assignments=assignments,
            page=page,
            pool=selectors.pool_members(round_),
            conflicts=Conflict.objects.filter(
                user__in=round_.pool.values("user_id"), institution__county__code__startswith=prefix
            ).select_related("user", "institution"),
            history=round_.draws.defer("frame", "county_units", "pool", "conflicts").select_related(
                "created_by", "confirmed_by"
            ),
            **kwargs,
        )


class _RoundActionView(RoundView):
    """A POST on one round by a user who may draw for it; form errors re-render the page."""

    permission = "sampling.draw"
    http_method_names = ["post"]
    form_name = ""

    def post(self, request, pk):
        round_ = self.get_round()
        if not services.may_draw(self.scope, round_):
            raise PermissionDenied
        form = self.make_form(round_)
        if form.is_valid():
            try:
                response = self.act(round_, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return response
        context = self.get_context_data(round_=round_, **{self.form_name: form})
        return render(request, self.template_name, context, status=400)


class DrawPreviewView(_RoundActionView):
    form_name = "draw_form"

    def make_form(self, round_):
        return DrawForm(self.request.POST, frame_prefix=round_.region.prefix)

    def act(self, round_, data):
        draw = services.draw_preview(
            round_=round_, actor=self.request.user, scope=self.scope, seed=data["seed"],
            stratified=data["stratified"], named=data["named"],
            redraw_reason=data["redraw_reason"],
        )  # fmt: skip
        return redirect("sampling:draw", pk=draw.pk)


class PoolAddView(_RoundActionView):
    form_name = "pool_form"

    def make_form(self, round_):
        return PoolAddForm(self.request.POST, candidates=selectors.pool_candidates(round_))

    def act(self, round_, data):
        services.pool_add(
            round_=round_, user=data["user"], actor=self.request.user, scope=self.scope
        )
        messages.success(self.request, _("已加入检查人员库：%(name)s") % {"name": data["user"]})
        return redirect("sampling:round", pk=round_.pk)


class ConflictAddView(_RoundActionView):
    form_name = "conflict_form"

    def make_form(self, round_):
        return ConflictForm(
            self.request.POST,
            candidates=round_.pool.select_related("user"),
            frame_prefix=round_.region.prefix,
        )

    def act(self, round_, data):
        services.conflict_declare(
            user=data["user"].user, institution=data["credit_code"], reason=data["reason"],
            actor=self.request.user, scope=self.scope,
        )  # fmt: skip
        messages.success(self.request, _("已登记回避"))
        return redirect("sampling:round", pk=round_.pk)


class PoolRemoveView(ScopedViewMixin, View):
    permission = "sampling.draw"

    def post(self, request, pk, member_pk):
        round_ = get_in_scope_or_404(selectors.sampling_rounds(self.scope), pk=pk)
        member = get_in_scope_or_404(PoolMember.objects.filter(round=round_), pk=member_pk)
        services.pool_remove(member=member, actor=request.user, scope=self.scope)
        return redirect("sampling:round", pk=round_.pk)


class RoundCompleteView(ScopedViewMixin, View):
    permission = "sampling.draw"

    def post(self, request, pk):
        round_ = get_in_scope_or_404(selectors.sampling_rounds(self.scope), pk=pk)
        try:
            services.round_complete(round_=round_, actor=request.user, scope=self.scope)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("本轮抽查已标记完成"))
        return redirect("sampling:round", pk=round_.pk)


def _draw_or_404(scope, pk) -> Draw:
    return get_in_scope_or_404(
        Draw.objects.filter(round__in=selectors.sampling_rounds(scope).values("pk"))
        .select_related("round__region", "round__campaign", "created_by", "confirmed_by")
        .defer("frame", "pool", "conflicts"),
        pk=pk,
    )


class DrawView(ScopedViewMixin, TemplateView):
    """The published record of one draw: seed, frame, quota, result, teams."""

    permission = "sampling.view"
    template_name = "sampling/draw.html"

    def get_context_data(self, **kwargs):
        draw = _draw_or_404(self.scope, self.kwargs["pk"])
        page = Paginator(draw.institutions, 200).get_page(self.request.GET.get("page"))
        shown = [*page, *[m["id"] for m in draw.must_include]]
        institutions = Institution.objects.select_related("county").in_bulk(shown)
        names = selectors.member_labels(
            draw, (u for pk in shown for u in draw.teams.get(str(pk), []))
        )
        random_ids = set(draw.institutions)
        counties = {
            r.code: r.name
            for r in Region.objects.filter(code__in=draw.counties + list(draw.allocation))
        }

        def team_of(pk):
            return [names.get(u, "?") for u in draw.teams.get(str(pk), [])]

        def shortage_of(pk):
            return [selectors.department_label(d) for d in draw.shortages.get(str(pk), [])]

        rows = [
            {"institution": institutions.get(pk), "team": team_of(pk), "shortage": shortage_of(pk)}
            for pk in page
        ]
        must = [
            {**m, "institution": institutions.get(m["id"]), "team": team_of(m["id"]),
             "shortage": shortage_of(m["id"]), "also_random": m["id"] in random_ids}
            for m in draw.must_include
        ]  # fmt: skip
        verified = None
        if self.request.GET.get("verify"):
            verified = services.draw_verify(Draw.objects.get(pk=draw.pk))
        return super().get_context_data(
            draw=draw,
            rows=rows,
            page=page,
            must=must,
            counties=[(c, counties.get(c, c), draw.allocation.get(c, 0)) for c in draw.counties],
            allocation=[(c, counties.get(c, c), n) for c, n in draw.allocation.items()],
            can_draw=services.may_draw(self.scope, draw.round),
            verified=verified,
            attempt=selectors.draw_attempt(draw),
            gaps=selectors.team_gaps_with_counties(draw),
            # What draw_confirm refuses besides missing departments, said before the click.
            old_algorithm=draw.algorithm != algorithm.ALGORITHM,
            short_teams=selectors.short_teams(draw),
            **kwargs,
        )


class DrawConfirmView(ScopedViewMixin, View):
    permission = "sampling.draw"

    def post(self, request, pk):
        draw = _draw_or_404(self.scope, pk)
        try:
            services.draw_confirm(draw=draw, actor=request.user, scope=self.scope)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("sampling:draw", pk=draw.pk)
        messages.success(request, _("抽样结果已确认，抽中机构已列入本轮检查任务"))
        return redirect("sampling:round", pk=draw.round_id)


class DrawExportView(ScopedViewMixin, View):
    permission = "sampling.view"

    def get(self, request, pk):
        draw = _draw_or_404(self.scope, pk)
        return ledger_download(
            request=request, ledger=SamplingRecord(draw), key="sampling", basename="抽样记录"
        )
