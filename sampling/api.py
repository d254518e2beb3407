from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scope import scope_for

from . import selectors
from .models import Draw
from .selectors import draw_attempt


class DrawSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="round.level", read_only=True)
    region_code = serializers.CharField(source="round.region_id", read_only=True)
    campaign_id = serializers.IntegerField(source="round.campaign_id", read_only=True)
    must_include = serializers.SerializerMethodField()
    attempt = serializers.SerializerMethodField()
    team_gaps = serializers.SerializerMethodField()

    class Meta:
        model = Draw
        fields = [
            "id", "level", "region_code", "campaign_id", "status", "algorithm", "seed", "params",
            "frame_size", "frame_sha256", "required_counties", "required_institutions",
            "counties", "institutions", "allocation", "must_include", "teams", "shortages",
            "team_gaps", "replaces", "redraw_reason", "attempt", "created_at", "confirmed_at",
            "superseded_at",
        ]  # fmt: skip

    def get_attempt(self, draw) -> int:
        """Which draw of its round this is (1 = the first preview): earlier ones stay listed."""
        earlier = getattr(draw, "earlier_draws", None)  # DrawViewSet's annotation: no query
        return earlier + 1 if earlier is not None else draw_attempt(draw)["number"]

    def get_team_gaps(self, draw) -> list[dict]:
        """Departments the teams lack (`shortages` keeps codes), named, with how many to add;
        a draw with any cannot be confirmed."""
        return [
            {"department": g["department"], "department_label": g["label"],
             "institutions": g["institutions"], "add_at_least": g["add"]}
            for g in selectors.team_gaps(draw)
        ]  # fmt: skip

    def get_must_include(self, draw) -> list[dict]:
        random_ids = set(draw.institutions)
        return [
            {"id": m["id"], "reason": m["reason"], "also_random": m["id"] in random_ids}
            for m in draw.must_include
        ]


class DrawViewSet(viewsets.ReadOnlyModelViewSet):
    """Draws in the user's scope; `frame/` gives the frozen frame to recompute one."""

    permission = "sampling.view"
    serializer_class = DrawSerializer
    filterset_fields = ["status"]
    ordering_fields = ["id", "created_at", "confirmed_at"]

    def get_queryset(self):
        # `attempt` counted in the list's own query, not one count per draw shown.
        earlier = (
            Draw.objects.filter(round_id=OuterRef("round_id"), pk__lt=OuterRef("pk"))
            .order_by()
            .values("round_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return selectors.draw_list(scope_for(self.request.user)).annotate(
            earlier_draws=Coalesce(Subquery(earlier, output_field=IntegerField()), 0)
        )

    @action(detail=True)
    def frame(self, request, pk=None):
        draw = self.get_object()
        full = Draw.objects.only("frame", "county_units", "pool", "conflicts").get(pk=draw.pk)
        return Response(
            {
                "id": draw.pk,
                "frame": full.frame,
                "county_units": full.county_units,
                "pool": full.pool,
                "conflicts": full.conflicts,
            }
        )
