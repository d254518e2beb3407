"""/api/v1/regions/, /api/v1/institutions/, /api/v1/sites/: scoped like the register pages.

Writes go through institutions/services.py, as the pages' forms do: the same checks, the
same history rows, the same refusal to put a row where its author could not see it.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.scope import get_in_scope_or_404, scope_for
from accounts.viewsets import ScopedViewSetMixin, service_errors
from core.models import Region
from core.regions import within_region

from . import selectors, services
from .filters import InstitutionFilterSet
from .models import Institution, Site


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent_code"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The regions inside the caller's subtree and the ancestors above it; not paged."""

    permission = "institutions.view"
    serializer_class = RegionSerializer
    lookup_field = "code"
    # Six digits or the route does not match (404): any other text, a NUL byte included,
    # never reaches the database.
    lookup_value_regex = r"\d{6}"
    pagination_class = None
    filterset_fields = ["level"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.region_list(scope=scope_for(self.request.user)).order_by("code")


class InstitutionSerializer(serializers.ModelSerializer):
    county_code = serializers.CharField(source="county_id", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id", "name", "credit_code", "county_code", "county_name", "category", "sector",
            "is_risky", "permit_number", "mode", "address", "legal_representative", "phone",
            "floor_area", "capacity", "status", "platform_number", "updated_at",
        ]  # fmt: skip


class InstitutionWriteSerializer(serializers.ModelSerializer):
    """What a client may send; the service checks everything else (checksums, scope)."""

    county_code = serializers.CharField(max_length=6, help_text=_("县级行政区划代码"))

    class Meta:
        model = Institution
        fields = [
            "name", "credit_code", "county_code", "category", "sector", "is_risky",
            "permit_number", "mode", "address", "legal_representative", "phone", "floor_area",
            "capacity", "status", "platform_number",
        ]  # fmt: skip
        # Uniqueness is the service's to say, with a message that names the code.
        extra_kwargs = {"credit_code": {"validators": []}}

    def validate_county_code(self, value):
        region = Region.objects.filter(code=value.strip(), level=Region.Level.COUNTY).first()
        if region is None:
            raise serializers.ValidationError(_("县区代码不存在"))
        return region


def _fields(data: dict) -> dict:
    fields = dict(data)
    if "county_code" in fields:
        fields["county"] = fields.pop("county_code")
    return fields


def _rename_county(detail):
    if isinstance(detail, dict) and "county" in detail:
        detail["county_code"] = detail.pop("county")
    return detail


@extend_schema_view(
    create=extend_schema(
        request=InstitutionWriteSerializer, responses={201: InstitutionSerializer}
    ),
    update=extend_schema(request=InstitutionWriteSerializer, responses=InstitutionSerializer),
    partial_update=extend_schema(
        request=InstitutionWriteSerializer, responses=InstitutionSerializer
    ),
)
class InstitutionViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Institutions in scope. County officers and admins register and edit them
    (`institutions.change`); a row outside that scope is a 404 to a write."""

    read_permission = "institutions.view"
    write_permission = "institutions.change"
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilterSet
    ordering_fields = ["id", "name", "credit_code", "county", "updated_at"]

    def get_queryset(self):
        return selectors.institution_list(scope=self.scope, permission=self.permission).order_by(
            "id"
        )

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return InstitutionWriteSerializer
        return InstitutionSerializer

    def _write(self, data: dict, institution: Institution | None):
        try:
            with service_errors():
                if institution is None:
                    return services.institution_create(actor=self.request.user, **_fields(data))
                return services.institution_update(
                    institution=institution, actor=self.request.user, **_fields(data)
                )
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_rename_county(exc.detail)) from None

    def create(self, request, *args, **kwargs):
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        institution = self._write(form.validated_data, None)
        return Response(InstitutionSerializer(institution).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        institution = self.get_object()
        partial = kwargs.pop("partial", False)
        form = self.get_serializer(institution, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        institution = self._write(form.validated_data, institution)
        return Response(InstitutionSerializer(institution).data)


class SiteSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)

    class Meta:
        model = Site
        fields = [
            "id", "institution", "institution_name", "county_code", "name", "address",
            "floor_area", "created_at",
        ]  # fmt: skip
        read_only_fields = ["created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Checked by the view against the caller's change scope, not by a queryset here
        # (a foreign institution reads as a missing one).
        self.fields["institution"] = serializers.IntegerField(
            source="institution_id", help_text=_("机构编号")
        )
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["institution"].read_only = True


class SiteFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    institution = filters.NumberFilter(field_name="institution_id")

    class Meta:
        model = Site
        fields = ["county", "institution"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class SiteViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                  viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Training sites (培训场所) of the institutions in scope; added and edited as on the
    institution page."""

    read_permission = "institutions.view"
    write_permission = "institutions.change"
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    ordering_fields = ["id", "name", "institution", "created_at"]

    def get_queryset(self):
        return selectors.site_list(scope=self.scope, permission=self.permission).order_by("id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        institutions = selectors.institution_list(
            scope=self.scope, permission="institutions.change"
        )
        try:
            institution = get_in_scope_or_404(institutions, pk=data.pop("institution_id"))
        except Http404:
            raise serializers.ValidationError(
                {"institution": [_("机构不存在或不在您的管辖范围内")]}
            ) from None
        with service_errors():
            serializer.instance = services.site_create(
                institution=institution, actor=self.request.user, **data
            )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("institution_id", None)
        with service_errors():
            serializer.instance = services.site_update(
                site=serializer.instance, actor=self.request.user, **data
            )
