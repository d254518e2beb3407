"""Read-only API for fee records and fee violations, scoped like the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers, viewsets

from accounts.scope import scope_for

from . import selectors
from .filters import FeeRecordFilterSet, FeeViolationFilterSet
from .models import FeeRecord, FeeViolation, Refund


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "refunded_on", "payee"]


class FeeViolationSerializer(serializers.ModelSerializer):
    record_id = serializers.IntegerField(read_only=True)
    institution_id = serializers.IntegerField(source="record.institution_id", read_only=True)
    institution_name = serializers.CharField(source="record.institution.name", read_only=True)
    county_code = serializers.CharField(source="record.institution.county_id", read_only=True)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = FeeViolation
        fields = [
            "id", "record_id", "institution_id", "institution_name", "county_code", "rule",
            "limit", "actual", "excess", "status", "deadline", "closure", "closed_at",
            "refunded",
        ]  # fmt: skip


class FeeViolationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeViolation
        fields = ["id", "rule", "excess", "status", "deadline"]


class FeeRecordSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    violations = FeeViolationBriefSerializer(source="live_violations", many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = FeeRecord
        fields = [
            "id", "institution_id", "institution_name", "county_code", "contract_number",
            "student", "course", "amount", "class_hours", "period_from", "period_to",
            "charged_on", "supervised", "source", "checked_at", "violations", "refunds",
        ]  # fmt: skip


class FeeRecordViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "fees.view"
    serializer_class = FeeRecordSerializer
    filterset_class = FeeRecordFilterSet

    def get_queryset(self):
        return (
            selectors.fee_record_list(scope=scope_for(self.request.user))
            .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("id")))
            .order_by("-id")
        )


class FeeViolationViewSet(viewsets.ReadOnlyModelViewSet):
    """Every violation names the rule it broke: period_over_limit, hours_over_limit,
    amount_over_limit or off_platform."""

    permission = "fees.view"
    serializer_class = FeeViolationSerializer
    filterset_class = FeeViolationFilterSet

    def get_queryset(self):
        scope = scope_for(self.request.user)
        return selectors.with_refunded(selectors.fee_violation_list(scope=scope)).order_by("-id")
