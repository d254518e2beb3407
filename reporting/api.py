"""API of the city work summaries: /api/v1/summaries/ (scoped like the pages); a city
department saves its own part with `section/`, through the page's service and its rules."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.roles import SUMMARY_SECTION_DEPARTMENTS
from accounts.viewsets import ScopedViewSetMixin, service_errors
from core.text import MULTILINE_STYLE

from . import selectors_summary as selectors
from . import services_summary as services
from .models import CitySummary, SummaryEvent, SummarySection, SummarySubmission


class SummaryEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = SummaryEvent
        fields = ["kind", "actor", "at", "revision", "comment"]


class SummarySubmissionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)

    class Meta:
        model = SummarySubmission
        fields = [
            "number", "submitted_at", "submitted_by", "late", "narratives", "sections", "figures",
        ]  # fmt: skip


class SummarySectionSerializer(serializers.ModelSerializer):
    updated_by = serializers.CharField(source="updated_by.username", read_only=True)

    class Meta:
        model = SummarySection
        fields = ["department", "text", "version", "updated_at", "updated_by"]


class SectionWriteSerializer(serializers.Serializer):
    department = serializers.ChoiceField(choices=SUMMARY_SECTION_DEPARTMENTS)
    # Free text over several lines (the textarea style lets line breaks through the
    # control-character rule); its length is the service's to measure.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, style=MULTILINE_STYLE)
    version = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, help_text=_("读取时本部门内容的版本，尚无内容时为 0")
    )


class SummarySerializer(serializers.ModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True)
    figures = serializers.SerializerMethodField()
    events = SummaryEventSerializer(many=True, read_only=True)
    submissions = SummarySubmissionSerializer(many=True, read_only=True)
    sections = SummarySectionSerializer(many=True, read_only=True)

    class Meta:
        model = CitySummary
        fields = [
            "id", "campaign", "city", "city_name", "status", "revision", "organisation",
            "experiences", "problems", "next_steps", "issuer", "submitted_at", "reviewed_at",
            "review_comment", "updated_at", "figures", "sections", "events", "submissions",
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


class SummaryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """City summaries whose city lies in the user's scope; filter by `city`, `status`, `campaign`."""

    read_permission = selectors.VIEW
    # The one write, `section`, is a department's part: written by department users
    # (summary.section) and city staff of those departments (summary.change), so the
    # action asks the scope itself (Scope.writes_summary_sections) before the summary.
    write_permission = selectors.VIEW
    serializer_class = SummarySerializer
    filterset_class = SummaryFilter
    ordering_fields = ["id", "city", "status", "submitted_at", "reviewed_at", "updated_at"]

    def get_queryset(self):
        return (
            selectors.summary_list(self.scope)
            .prefetch_related("events__actor", "submissions__submitted_by", "sections__updated_by")
            .order_by("campaign_id", "city_id")
        )

    @extend_schema(request=SectionWriteSerializer, responses=SummarySectionSerializer)
    @action(detail=True, methods=["post"])
    def section(self, request, pk=None):
        """A city department saves its own part (消防、公安、体育、文旅、科技) of its city's
        summary while it is a draft or returned, as the summary page does
        (`services_summary.section_save`): `version` as read, 0 for a new part."""
        if not self.scope.writes_summary_sections():
            raise PermissionDenied
        summary = self.get_object()
        form = SectionWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with service_errors():
            section = services.section_save(
                campaign=summary.campaign, city=summary.city, department=data["department"],
                actor=request.user, scope=self.scope, text=data["text"],
                version=data["version"], request=request,
            )  # fmt: skip
        return Response(SummarySectionSerializer(section).data)
