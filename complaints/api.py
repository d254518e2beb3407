"""/api/v1/complaints/ and /api/v1/referrals/: scoped like the pages; `triage/` through
the case page's service.

Only cases whose details the caller may see are listed: a suspected offence against a
minor appears only to its assigned officers, the police it was referred to and the auditor.
Reporters' contacts appear masked, never whole.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.models import User
from accounts.scope import scope_for
from accounts.viewsets import service_errors
from core.regions import within_region
from core.text import MULTILINE_STYLE

from . import access, selectors, services
from .models import Case, Category, Referral


class ComplaintsPermission(BasePermission):
    """As accounts.api_permissions.ScopePermission, also open to the auditor's
    `complaints.audit` (access.may_open)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return access.may_open(scope_for(request.user))


class ReferralSerializer(serializers.ModelSerializer):
    sent_by = serializers.CharField(source="sent_by.username", read_only=True)
    stage = serializers.CharField(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id", "police_unit", "materials", "sent_at", "sent_by", "ack_due", "feedback_due",
            "acknowledged_at", "police_case_number", "feedback_at", "outcome", "feedback", "stage",
        ]  # fmt: skip


class CaseSerializer(serializers.ModelSerializer):
    county_code = serializers.CharField(source="county_id", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    institution_name = serializers.CharField(source="institution_label", read_only=True)
    reporter = serializers.CharField(source="contact_masked", read_only=True)
    referrals = ReferralSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "number", "channel", "category", "status", "county_code", "county_name",
            "institution_id", "institution_name", "description", "reporter", "received_at",
            "deadline", "inspection_id", "task_id", "result", "closed_at", "referrals",
        ]  # fmt: skip


class CaseFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(choices=Case.Status.choices)
    category = filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Case
        fields = ["county", "status", "category"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="county__code")


class TriageSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    assignees = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("承办人的用户编号")
    )
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)
    # Free text over several lines: the textarea style is what lets line breaks through
    # the control-character rule (core/text.py).
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", style=MULTILINE_STYLE
    )


class ComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ComplaintsPermission]
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    ordering_fields = ["id", "received_at", "deadline", "closed_at"]

    def get_serializer(self, *args, **kwargs):
        # Whatever is about to be serialized (a page, a list, one case) is shown: each minor
        # case among it is a read of its details, and logged.
        if args and not kwargs.get("data"):
            shown = args[0]
            for case in [shown] if isinstance(shown, Case) else list(shown):
                services.log_minor_read(
                    case=case, actor=self.request.user, request=self.request, via="api"
                )
        return super().get_serializer(*args, **kwargs)

    @extend_schema(request=TriageSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Assign officers, (re)classify, set the response deadline, as the case page does
        (complaints.services.case_triage); needs `complaints.change` in the case's region."""
        scope = scope_for(request.user)
        case = self.get_object()
        if not scope.can(access.CHANGE):
            raise PermissionDenied
        form = TriageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ids = set(data["assignees"])
        assignees = list(User.objects.filter(pk__in=ids, is_active=True))
        if len(assignees) != len(ids):
            raise serializers.ValidationError(
                {"assignees": [_("承办人须为该县（市、区）或所在市的教育部门人员")]}
            )
        with service_errors():
            services.case_triage(
                case=case, actor=request.user, scope=scope, category=data["category"],
                assignees=assignees, deadline=data["deadline"], note=data["note"],
                request=request,
            )  # fmt: skip
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    def get_queryset(self):
        scope = scope_for(self.request.user)
        return (
            selectors.case_detail_list(scope=scope, user=self.request.user)
            .prefetch_related("referrals__sent_by")
            .order_by("-received_at", "-id")
        )


class ReferralListSerializer(ReferralSerializer):
    case_id = serializers.IntegerField(read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    county_code = serializers.CharField(source="case.county_id", read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = ["case_id", "case_number", "county_code", *ReferralSerializer.Meta.fields]


class ReferralFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    outcome = filters.ChoiceFilter(choices=Referral.Outcome.choices)
    case = filters.NumberFilter(field_name="case_id")

    class Meta:
        model = Referral
        fields = ["county", "outcome", "case"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="case__county__code")


class ReferralViewSet(viewsets.ReadOnlyModelViewSet):
    """Referrals to public security of the cases whose details the caller may see."""

    permission_classes = [ComplaintsPermission]
    serializer_class = ReferralListSerializer
    filterset_class = ReferralFilterSet
    ordering_fields = ["id", "sent_at", "ack_due", "feedback_due"]

    def get_serializer(self, *args, **kwargs):
        # A referral carries its case's materials and the police feedback: showing one of a
        # minor-offence case is a read of that case's details, logged as the case's own is.
        if args and not kwargs.get("data"):
            shown = args[0]
            referrals = [shown] if isinstance(shown, Referral) else list(shown)
            for case in {r.case_id: r.case for r in referrals}.values():
                services.log_minor_read(
                    case=case, actor=self.request.user, request=self.request, via="api"
                )
        return super().get_serializer(*args, **kwargs)

    def get_queryset(self):
        scope = scope_for(self.request.user)
        cases = selectors.case_detail_list(scope=scope, user=self.request.user)
        return (
            selectors.referral_list(scope=scope, user=self.request.user)
            .filter(case__in=cases.values("pk"))
            .order_by("-sent_at", "-id")
        )
