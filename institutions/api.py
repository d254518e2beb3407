from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from accounts.scope import scope_for

from . import selectors
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
        ]


class InstitutionFilter(filters.FilterSet):
    county = filters.CharFilter(method="filter_region", label="县区（或市）代码")
    category = filters.ChoiceFilter(choices=Institution.Category.choices)

    class Meta:
        model = Institution
        fields = ["county", "category"]

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value).first()
        return (
            queryset.filter(county__code__startswith=region.prefix) if region else queryset.none()
        )


class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "institutions.view"
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter

    def get_queryset(self):
        return selectors.institution_list(scope=scope_for(self.request.user))
