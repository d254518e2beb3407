from rest_framework import serializers, viewsets

from accounts.scope import scope_for

from . import selectors
from .filters import InstitutionFilterSet
from .models import Institution, Region


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "institutions.view"
    serializer_class = RegionSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return selectors.region_list(scope=scope_for(self.request.user)).order_by("code")


class InstitutionSerializer(serializers.ModelSerializer):
    county_code = serializers.CharField(source="county_id", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "credit_code",
            "county_code",
            "county_name",
            "category",
            "sector",
            "is_risky",
            "permit_number",
            "mode",
            "address",
            "legal_representative",
            "phone",
            "floor_area",
            "capacity",
            "status",
            "platform_number",
            "updated_at",
        ]


class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "institutions.view"
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilterSet

    def get_queryset(self):
        return selectors.institution_list(scope=scope_for(self.request.user))
