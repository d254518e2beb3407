"""Read-only API for fee records, fee violations and refunds, scoped like the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from accounts.scope import scope_for
from core.regions import within_region

from . import selectors
from .filters import FeeRecordFilterSet, FeeViolationFilterSet
from .models import FeeRecord, FeeViolation, Refund


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "refunded_on", "payee"]


class FeeViolationSerializer(serializers.ModelSerializer):
    record_id = serializers.IntegerField(read_only=True)
    institution_id = serializers.IntegerField(read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
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
    queryset = FeeRecord.objects.none()  # the model, for the schema; rows: get_queryset
    serializer_class = FeeRecordSerializer
    filterset_class = FeeRecordFilterSet
    ordering_fields = ["id", "charged_on", "amount", "institution"]

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
    queryset = FeeViolation.objects.none()
    serializer_class = FeeViolationSerializer
    filterset_class = FeeViolationFilterSet
    ordering_fields = ["id", "deadline", "excess", "status", "closed_at"]

    def get_queryset(self):
        scope = scope_for(self.request.user)
        return selectors.with_refunded(selectors.fee_violation_list(scope=scope)).order_by("-id")


class RefundListSerializer(serializers.ModelSerializer):
    record_id = serializers.IntegerField(read_only=True)
    institution_id = serializers.IntegerField(source="record.institution_id", read_only=True)
    institution_name = serializers.CharField(source="record.institution.name", read_only=True)
    county_code = serializers.CharField(source="record.institution.county_id", read_only=True)
    contract_number = serializers.CharField(source="record.contract_number", read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id", "record_id", "institution_id", "institution_name", "county_code",
            "contract_number", "amount", "refunded_on", "payee", "created_at",
        ]  # fmt: skip


class RefundFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    record = filters.NumberFilter(field_name="record_id")
    refunded_from = filters.DateFilter(field_name="refunded_on", lookup_expr="gte")
    refunded_to = filters.DateFilter(field_name="refunded_on", lookup_expr="lte")

    class Meta:
        model = Refund
        fields = ["county", "record"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="record__institution__county__code")


class RefundViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "fees.view"
    queryset = Refund.objects.none()
    serializer_class = RefundListSerializer
    filterset_class = RefundFilterSet
    ordering_fields = ["id", "refunded_on", "amount"]

    def get_queryset(self):
        return selectors.refund_list(scope=scope_for(self.request.user)).order_by("-id")
