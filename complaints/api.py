"""/api/v1/complaints/: read-only, scoped like the pages.

Only cases whose details the caller may see are listed: a suspected offence against a
minor appears only to its assigned officers, the police it was referred to and the auditor.
Reporters' contacts appear masked, never whole.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission

from accounts.scope import scope_for
from institutions.selectors import within_region

from . import access, selectors, services
from .models import Case, Category, Referral


class ComplaintsPermission(BasePermission):
    """As accounts.api_permissions.ScopePermission, with the auditor's explicit read rule."""

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


class ComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ComplaintsPermission]
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet

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

    def get_queryset(self):
        scope = scope_for(self.request.user)
        return (
            selectors.case_detail_list(scope=scope, user=self.request.user)
            .prefetch_related("referrals__sent_by")
            .order_by("-received_at", "-id")
        )
