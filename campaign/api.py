from rest_framework import serializers, viewsets

from accounts.scope import scope_for

from . import selectors
from .models import Campaign, ChecklistItem, ChecklistTemplate, FeeRule, Phase


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = ["kind", "deadline"]


class FeeRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeRule
        fields = ["category", "max_months", "max_hours", "max_amount", "require_supervised_account"]


class CampaignSerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(source="province_id", read_only=True)
    phases = PhaseSerializer(many=True, read_only=True)
    fee_rules = FeeRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "document_number", "province_code", "starts_on", "ends_on", "is_active",
            "city_county_ratio", "city_institution_ratio", "province_institution_ratio",
            "escalate_to_city_after_days", "phases", "fee_rules",
        ]  # fmt: skip


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "dashboard.view"
    serializer_class = CampaignSerializer
    filterset_fields = ["is_active"]
    ordering_fields = ["id", "starts_on"]

    def get_queryset(self):
        return selectors.campaign_list(scope=scope_for(self.request.user)).prefetch_related(
            "phases", "fee_rules"
        )


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = [
            "code", "section", "text", "requirement", "department", "severity", "answer_type",
            "photo_required", "applies_to", "unit", "limit_min", "limit_max",
        ]  # fmt: skip


class ChecklistSerializer(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "campaign_id", "name", "version", "is_active", "items"]

    def get_items(self, template) -> list[dict]:
        # Only the sections the user's departments own (a fire user sees section 二).
        sections = self.context["sections"]
        items = [i for i in template.items.all() if i.section in sections]
        return ChecklistItemSerializer(items, many=True).data


class ChecklistViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "inspections.view"
    serializer_class = ChecklistSerializer
    filterset_fields = ["campaign", "is_active"]
    ordering_fields = ["id", "version"]

    def get_queryset(self):
        return selectors.checklist_list(scope=scope_for(self.request.user)).prefetch_related(
            "items"
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["sections"] = scope_for(self.request.user).sections("inspections.view")
        return context
