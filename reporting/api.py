"""Read-only API of the city work summaries: /api/v1/summaries/ (scoped like the pages)."""

from __future__ import annotations

import django_filters
from rest_framework import serializers, viewsets

from accounts.scope import scope_for

from . import selectors_summary as selectors
from .models import CitySummary, SummaryEvent, SummarySubmission


class SummaryEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = SummaryEvent
        fields = ["kind", "actor", "at", "revision", "comment"]


class SummarySubmissionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)

    class Meta:
        model = SummarySubmission
        fields = ["number", "submitted_at", "submitted_by", "late", "narratives", "figures"]


class SummarySerializer(serializers.ModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True)
    figures = serializers.SerializerMethodField()
    events = SummaryEventSerializer(many=True, read_only=True)
    submissions = SummarySubmissionSerializer(many=True, read_only=True)

    class Meta:
        model = CitySummary
        fields = [
            "id", "campaign", "city", "city_name", "status", "revision", "organisation",
            "experiences", "problems", "next_steps", "issuer", "submitted_at", "reviewed_at",
            "review_comment", "updated_at", "figures", "events", "submissions",
        ]  # fmt: skip

    def get_figures(self, summary) -> dict | None:
        """The figures snapshot of the last submission (null before the first one)."""
        # From the prefetched submissions (SummaryViewSet): no query per summary listed.
        submission = next(
            (s for s in summary.submissions.all() if s.number == summary.revision), None
        )
        return submission.figures if submission is not None and summary.revision else None


class SummaryFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city_id")
    status = django_filters.ChoiceFilter(choices=CitySummary.Status.choices)

    class Meta:
        model = CitySummary
        fields = ["campaign", "city", "status"]


class SummaryViewSet(viewsets.ReadOnlyModelViewSet):
    """City summaries whose city lies in the user's scope; filter by `city`, `status`, `campaign`."""

    permission = selectors.VIEW
    serializer_class = SummarySerializer
    filterset_class = SummaryFilter
    ordering_fields = ["id", "city", "status", "submitted_at", "reviewed_at", "updated_at"]

    def get_queryset(self):
        return (
            selectors.summary_list(scope_for(self.request.user))
            .prefetch_related("events__actor", "submissions__submitted_by")
            .order_by("campaign_id", "city_id")
        )
