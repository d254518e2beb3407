"""/api/v1/ rounds, inspections, findings (the problem list) and rectification tasks.

Scoped like the pages: regions by the scope, answers and problems only in the sections the
caller's departments own. Reporting and re-inspecting a problem go through the services the
problem page uses (inspections/services.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import Department
from accounts.scope import scope_for
from accounts.viewsets import ScopedViewSetMixin, service_errors
from core.regions import within_region
from core.text import MULTILINE_STYLE

from . import selectors, services
from .models import Answer, Evidence, Finding, Inspection, RectificationTask, Round
from .views_problems import FindingFilterSet as PageFindingFilterSet

# -- rounds ------------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True)
    region_code = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Round
        fields = ["id", "campaign_id", "level", "region_code", "region_name", "completed_at"]


class RoundFilterSet(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", label=_("地区代码"))
    level = filters.ChoiceFilter(choices=Round.Level.choices)
    campaign = filters.NumberFilter(field_name="campaign_id")

    class Meta:
        model = Round
        fields = ["region", "level", "campaign"]

    def filter_region(self, queryset, name, value):
        return within_region(queryset, value, path="region__code")


class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspection rounds (county screening, city spot check, province supervision) of the
    regions inside the caller's scope."""

    permission = "inspections.view"
    serializer_class = RoundSerializer
    filterset_class = RoundFilterSet
    ordering_fields = ["id", "level", "region", "completed_at"]

    def get_queryset(self):
        scope = scope_for(self.request.user)
        return scope.filter(
            Round.objects.select_related("region"), "inspections.view", region="region__code"
        ).order_by("id")


# -- inspections -------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="answer.item.code", read_only=True)
    url = serializers.SerializerMethodField(help_text=_("照片地址（按权限提供）"))

    class Meta:
        model = Evidence
        fields = ["id", "code", "url", "sha256", "width", "height", "taken_at", "uploaded_at"]

    def get_url(self, photo) -> str:
        # The photo itself stays behind the scoped page view, which checks again.
        return reverse("inspections:photo", kwargs={"pk": photo.pk})


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
    result = filters.ChoiceFilter(choices=Inspection.Result.choices)
    level = filters.ChoiceFilter(field_name="round__level", choices=Round.Level.choices)
    campaign = filters.NumberFilter(field_name="round__campaign_id")
    institution = filters.NumberFilter(field_name="institution_id")
    submitted_from = filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")

    class Meta:
        model = Inspection
        fields = ["county", "status", "result", "level", "campaign", "institution"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class InspectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspections with their answers (the caller's sections only); `evidence/` lists the
    photos' metadata, each `url` opening the photo through the scoped page view."""

    permission = "inspections.view"
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    ordering_fields = ["id", "submitted_at", "started_at", "status"]

    def get_queryset(self):
        scope = scope_for(self.request.user)
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

    @extend_schema(responses=EvidenceSerializer(many=True))
    @action(detail=True, pagination_class=None, filterset_class=None)
    def evidence(self, request, pk=None):
        """The photos of one inspection, in the caller's sections: metadata and link."""
        inspection = self.get_object()
        scope = scope_for(request.user)
        photos = (
            Evidence.objects.filter(
                answer__inspection=inspection,
                answer__item__section__in=scope.sections("inspections.view"),
            )
            .select_related("answer__item")
            .order_by("answer__item__order", "id")
        )
        return Response(EvidenceSerializer(photos, many=True).data)


# -- findings (the problem list) ---------------------------------------------------------


class FindingSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    # Its own date once a re-inspection sent it back, else its task's.
    deadline = serializers.DateField(source="effective_deadline", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "code", "section", "status", "severity", "requirement", "deadline"]


class FindingDetailSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    task_id = serializers.IntegerField(read_only=True)
    inspection_id = serializers.IntegerField(source="task.inspection_id", read_only=True)
    institution_id = serializers.IntegerField(source="task.institution_id", read_only=True)
    institution_name = serializers.CharField(source="task.institution.name", read_only=True)
    county_code = serializers.CharField(source="task.institution.county_id", read_only=True)
    department = serializers.CharField(source="task.department", read_only=True)
    deadline = serializers.DateField(source="due", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    # A measured item's problem: the value found (as corrected) and the limit it broke.
    measured_value = serializers.SerializerMethodField(help_text=_("实测值（数值项）"))
    limit = serializers.CharField(
        source="item.limit_text",
        read_only=True,
        help_text=_("标准（数值项，如“不少于 3 平方米/人”）"),
    )

    class Meta:
        model = Finding
        fields = [
            "id", "task_id", "inspection_id", "institution_id", "institution_name", "county_code",
            "department", "code", "section", "severity", "description", "requirement", "status",
            "deadline", "is_overdue", "reported_at", "report_note", "verified_at", "verify_note",
            "reopened_count", "deadline_reason", "measured_value", "limit",
        ]  # fmt: skip

    def get_measured_value(self, finding) -> str | None:
        number = finding.answer.number if finding.item.has_limit else None
        return None if number is None else str(number)


class FindingReportSerializer(serializers.Serializer):
    # Free text over several lines: the textarea style is what lets line breaks through
    # the control-character rule (core/text.py).
    note = serializers.CharField(
        max_length=2000,
        help_text=_("整改情况"),
        error_messages={"blank": _("请填写整改情况")},
        style=MULTILINE_STYLE,
    )


class FindingVerifySerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text=_("复查结论：true 销号，false 退回整改"))
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", style=MULTILINE_STYLE
    )
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("退回整改时必填，不早于今天")
    )
    deadline_reason = serializers.CharField(
        max_length=services.DEADLINE_REASON_MAX, required=False, allow_blank=True, default="",
        style=MULTILINE_STYLE,
        help_text=_("新的整改期限晚于县级排查整改截止日期时必填：理由"),
    )  # fmt: skip

    def validate(self, data):
        # The page's form rule: a problem sent back needs the reason, or the institution
        # cannot act on it (the service checks the deadline itself).
        if not data["passed"] and not data["note"].strip():
            raise serializers.ValidationError({"note": [_("退回时请写明未整改到位的情况")]})
        return data


class FindingFilterSet(PageFindingFilterSet):
    """The problem list page's filters, with `county` as on the other API lists."""

    county = filters.CharFilter(method="filter_region", label=_("县区（或市）代码"))

    class Meta(PageFindingFilterSet.Meta):
        fields = [*PageFindingFilterSet.Meta.fields, "county"]


def _with_overdue(findings):
    return findings.annotate(
        due=selectors.effective_deadline(),
        is_overdue=Case(
            When(selectors.overdue_q(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


class FindingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The problem list: one row per problem, in the caller's regions and sections. Problems
    withdrawn by an amendment are listed only with `status=withdrawn`. `report/` and
    `verify/` (复查销号) need `rectification.change`."""

    read_permission = "inspections.view"
    write_permission = "rectification.change"
    serializer_class = FindingDetailSerializer
    filterset_class = FindingFilterSet
    ordering_fields = ["id", "deadline", "severity", "status", "reported_at", "verified_at"]
    ordering_aliases = {"deadline": "due"}

    def get_queryset(self):
        findings = selectors.finding_list(scope=self.scope, permission=self.permission)
        return _with_overdue(findings.select_related("task__inspection")).order_by("due", "id")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and self.request.query_params.get("status") != "withdrawn":
            queryset = queryset.exclude(status=Finding.Status.WITHDRAWN)
        return queryset

    def _done(self, finding):
        return Response(FindingDetailSerializer(self.get_queryset().get(pk=finding.pk)).data)

    @extend_schema(request=FindingReportSerializer, responses=FindingDetailSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """The institution reports the problem fixed (recorded by the officer)."""
        finding = self.get_object()
        form = FindingReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with service_errors():
            services.finding_report(
                finding=finding,
                actor=request.user,
                scope=self.scope,
                note=form.validated_data["note"],
            )
        return self._done(finding)

    @extend_schema(request=FindingVerifySerializer, responses=FindingDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Re-inspection: `passed` closes the problem (复查销号); otherwise it goes back with
        a new `deadline`, not before today."""
        finding = self.get_object()
        form = FindingVerifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with service_errors():
            try:
                services.finding_verify(
                    finding=finding, actor=request.user, scope=self.scope,
                    passed=data["passed"], note=data["note"],
                    deadline=None if data["passed"] else data["deadline"],
                    deadline_reason=data["deadline_reason"],
                )  # fmt: skip
            except ValidationError as exc:
                # Sending back an open problem, only the deadline can be wrong: say so.
                if not data["passed"] and finding.status not in Finding.DONE:
                    raise ValidationError({"deadline": exc.messages}) from None
                raise
        return self._done(finding)


# -- rectification tasks -----------------------------------------------------------------


class RectificationSerializer(serializers.ModelSerializer):
    inspection_id = serializers.IntegerField(read_only=True)
    institution_id = serializers.IntegerField(read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    campaign_id = serializers.IntegerField(source="inspection.round.campaign_id", read_only=True)
    status = serializers.ChoiceField(
        source="derived_status",
        read_only=True,
        choices=[("open", _("整改中")), ("overdue", _("已逾期")), ("closed", _("已销号"))],
    )
    deadline = serializers.DateField(source="due", read_only=True)
    findings = FindingSerializer(source="scoped_findings", many=True, read_only=True)

    class Meta:
        model = RectificationTask
        fields = [
            "id", "inspection_id", "institution_id", "institution_name", "county_code",
            "campaign_id", "department", "deadline", "status", "created_at", "closed_at",
            "findings",
        ]  # fmt: skip


class RectificationFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(
        field_name="derived_status",
        choices=[("open", _("整改中")), ("overdue", _("已逾期")), ("closed", _("已销号"))],
    )
    department = filters.ChoiceFilter(choices=Department.choices)
    campaign = filters.NumberFilter(field_name="inspection__round__campaign_id")
    institution = filters.NumberFilter(field_name="institution_id")
    # On the deadline shown: the earliest effective deadline of the problems still open.
    deadline_from = filters.DateFilter(field_name="due", lookup_expr="gte")
    deadline_to = filters.DateFilter(field_name="due", lookup_expr="lte")

    class Meta:
        model = RectificationTask
        fields = ["county", "status", "department", "campaign", "institution"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class RectificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Rectification tasks: `closed` once no problem needs work, `overdue` when one is past
    its deadline. `deadline` is the earliest effective deadline of the problems still open
    (a problem sent back by re-inspection has its own), the task's own once none is. Both
    count only the problems in the caller's sections, the ones listed with the task.
    `?county=140105&status=overdue` lists one county's overdue tasks."""

    permission = "inspections.view"
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilterSet
    ordering_fields = ["id", "deadline", "created_at", "closed_at"]
    ordering_aliases = {"deadline": "due"}

    def get_queryset(self):
        scope = scope_for(self.request.user)
        sections = scope.sections("inspections.view")
        findings = Finding.objects.filter(section__in=sections).select_related("item", "task")
        # Deadline and status from the problems the caller may see: a sector bureau is not
        # told of a fee problem (section 五) in the same task by its date or its lateness.
        in_task = Finding.objects.filter(task=OuterRef("pk"), section__in=sections)
        next_due = (
            in_task.exclude(status__in=Finding.DONE)
            .annotate(due=selectors.effective_deadline())
            .order_by("due")
            .values("due")[:1]
        )
        today = timezone.localdate()
        return (
            selectors.task_list(scope=scope)
            .select_related("inspection__round")
            # A task with none of the user's sections is not theirs to follow.
            .filter(Exists(in_task))
            .annotate(
                due=Coalesce(Subquery(next_due), F("deadline")),
                derived_status=Case(
                    When(closed_at__isnull=False, then=Value("closed")),
                    When(Exists(in_task.filter(selectors.overdue_q(today))), then=Value("overdue")),
                    default=Value("open"),
                    output_field=CharField(),
                ),
            )
            .prefetch_related(Prefetch("findings", queryset=findings, to_attr="scoped_findings"))
            .order_by("deadline", "id")
        )
