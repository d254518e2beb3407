"""Read-only API for inspections and rectification tasks, scoped like the pages."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
    When,
)  # fmt: skip
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from accounts.scope import scope_for
from institutions.selectors import within_region

from . import selectors
from .models import Answer, Finding, Inspection, RectificationTask


class AnswerSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Answer
        fields = ["code", "value", "number", "text", "note", "evidence_count"]


class InspectionSerializer(serializers.ModelSerializer):
    institution_id = serializers.IntegerField(read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    round_level = serializers.CharField(source="round.level", read_only=True)
    answers = AnswerSerializer(source="scoped_answers", many=True, read_only=True)
    evidence_count = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id", "institution_id", "institution_name", "county_code", "round_level", "status",
            "result", "submitted_at", "rectify_deadline", "answers", "evidence_count",
        ]  # fmt: skip

    def get_evidence_count(self, inspection) -> int:
        return sum(a.evidence_count for a in inspection.scoped_answers)


class InspectionFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(choices=Inspection.Status.choices)

    class Meta:
        model = Inspection
        fields = ["county", "status"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "inspections.view"
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet

    def get_queryset(self):
        scope = scope_for(self.request.user)
        # Answers only for the sections the user's departments own, as the checklist API.
        answers = (
            Answer.objects.filter(item__section__in=scope.sections("inspections.view"))
            .select_related("item")
            .annotate(evidence_count=Count("photos"))
            .order_by("item__order", "item__code")
        )
        return (
            selectors.inspection_list(scope=scope)
            .prefetch_related(Prefetch("answers", queryset=answers, to_attr="scoped_answers"))
            .order_by("-id")
        )


class FindingSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    # Its own date once a re-inspection sent it back, else its task's.
    deadline = serializers.DateField(source="effective_deadline", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "code", "section", "status", "severity", "requirement", "deadline"]


class RectificationSerializer(serializers.ModelSerializer):
    inspection_id = serializers.IntegerField(read_only=True)
    institution_id = serializers.IntegerField(read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    status = serializers.CharField(source="derived_status", read_only=True)
    deadline = serializers.DateField(source="due", read_only=True)
    findings = FindingSerializer(source="scoped_findings", many=True, read_only=True)

    class Meta:
        model = RectificationTask
        fields = [
            "id", "inspection_id", "institution_id", "institution_name", "county_code",
            "department", "deadline", "status", "closed_at", "findings",
        ]  # fmt: skip


class RectificationFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(
        field_name="derived_status",
        choices=[("open", "open"), ("overdue", "overdue"), ("closed", "closed")],
    )

    class Meta:
        model = RectificationTask
        fields = ["county", "status"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class RectificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Rectification tasks: `closed` once no problem needs work, `overdue` when one is past
    its deadline. `deadline` is the earliest effective deadline of the problems still open
    (a problem sent back by re-inspection has its own), the task's own once none is."""

    permission = "inspections.view"
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilterSet

    def get_queryset(self):
        scope = scope_for(self.request.user)
        sections = scope.sections("inspections.view")
        findings = Finding.objects.filter(section__in=sections).select_related("item", "task")
        in_task = Finding.objects.filter(task=OuterRef("pk"))
        next_due = (
            in_task.exclude(status__in=Finding.DONE)
            .annotate(due=selectors.effective_deadline())
            .order_by("due")
            .values("due")[:1]
        )
        return (
            selectors.task_list(scope=scope)
            # A task with none of the user's sections is not theirs to follow.
            .filter(Exists(Finding.objects.filter(task=OuterRef("pk"), section__in=sections)))
            .annotate(
                due=Coalesce(Subquery(next_due), F("deadline")),
                derived_status=Case(
                    When(closed_at__isnull=False, then=Value("closed")),
                    When(Exists(in_task.filter(selectors.overdue_q())), then=Value("overdue")),
                    default=Value("open"),
                    output_field=CharField(),
                ),
            )
            .prefetch_related(Prefetch("findings", queryset=findings, to_attr="scoped_findings"))
            .order_by("deadline", "id")
        )
