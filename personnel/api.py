"""Read-only API for staff and criminal-record checks, scoped like the pages.

`id_number` is always masked; check results appear only for users who may read them
(education and public security in the region), others get the status alone.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from accounts.scope import scope_for
from core.regions import within_region

from . import selectors
from .models import BackgroundCheck, Dismissal, StaffMember


class StaffSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    id_number = serializers.CharField(source="id_masked", read_only=True)
    checked = serializers.SerializerMethodField()
    last_checked = serializers.DateField(read_only=True)

    class Meta:
        model = StaffMember
        fields = [
            "id", "institution_id", "institution_name", "county_code", "name", "id_number", "sex",
            "post", "employed_from", "employed_until", "teacher_certificate", "platform_complete",
            "checked", "last_checked",
        ]  # fmt: skip

    def get_checked(self, staff) -> bool:
        return staff.last_checked is not None


class StaffFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    institution = filters.NumberFilter(field_name="institution_id")

    class Meta:
        model = StaffMember
        fields = ["county", "institution"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")


class StaffViewSet(viewsets.ReadOnlyModelViewSet):
    permission = "staff.view"
    serializer_class = StaffSerializer
    filterset_class = StaffFilterSet
    ordering_fields = ["id", "name", "institution", "employed_from"]

    def get_queryset(self):
        return selectors.staff_list(scope=scope_for(self.request.user)).order_by("id")


class BackgroundCheckSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    batch = serializers.CharField(source="batch.number", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    id_number = serializers.CharField(source="staff.id_masked", read_only=True)
    institution_id = serializers.IntegerField(source="staff.institution_id", read_only=True)
    county_code = serializers.CharField(source="staff.institution.county_id", read_only=True)

    RESULT_FIELDS = ("checked_on", "checked_by", "reference", "outcome", "category")

    class Meta:
        model = BackgroundCheck
        fields = [
            "id", "number", "batch", "staff_id", "staff_name", "id_number", "institution_id",
            "county_code", "status", "checked_on", "checked_by", "reference", "outcome",
            "category",
        ]  # fmt: skip

    def to_representation(self, check):
        data = super().to_representation(check)
        if not selectors.can_see_results(self.context["scope"], check.staff.institution):
            for name in self.RESULT_FIELDS:
                data[name] = None
        return data


class BackgroundCheckFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(choices=BackgroundCheck.Status.choices)
    institution = filters.NumberFilter(field_name="staff__institution_id")
    staff = filters.NumberFilter(field_name="staff_id")

    class Meta:
        model = BackgroundCheck
        fields = ["county", "status", "institution", "staff"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="staff__institution__county__code")


class BackgroundCheckViewSet(viewsets.ReadOnlyModelViewSet):
    """Every check request; result fields are null unless the user may read results there."""

    permission = "staff.view"
    serializer_class = BackgroundCheckSerializer
    filterset_class = BackgroundCheckFilterSet
    ordering_fields = ["id", "checked_on", "status"]

    def get_queryset(self):
        return selectors.check_list(scope=scope_for(self.request.user)).order_by("id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scope": scope_for(self.request.user)}


class DismissalSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    county_code = serializers.CharField(source="institution.county_id", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    id_number = serializers.CharField(source="staff.id_masked", read_only=True)
    check_number = serializers.CharField(source="check_result.number", read_only=True)
    category = serializers.CharField(source="check_result.category", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = Dismissal
        fields = [
            "id", "institution_id", "institution_name", "county_code", "staff_id", "staff_name",
            "id_number", "check_number", "category", "deadline", "status", "is_overdue",
            "created_at", "employment_end", "has_evidence", "closed_at",
        ]  # fmt: skip

    def get_has_evidence(self, dismissal) -> bool:
        return bool(dismissal.evidence)


class DismissalFilterSet(filters.FilterSet):
    county = filters.CharFilter(method="filter_county", label=_("县区（或市）代码"))
    status = filters.ChoiceFilter(
        choices=[*Dismissal.Status.choices, ("overdue", _("已逾期"))], method="filter_status"
    )
    institution = filters.NumberFilter(field_name="institution_id")

    class Meta:
        model = Dismissal
        fields = ["county", "status", "institution"]

    def filter_county(self, queryset, name, value):
        return within_region(queryset, value, path="institution__county__code")

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(status=Dismissal.Status.OPEN, deadline__lt=timezone.localdate())
        return queryset.filter(status=value)


class DismissalViewSet(viewsets.ReadOnlyModelViewSet):
    """Dismissals (清退) ordered after a disqualifying check: only to those who may read check
    results there; ID numbers masked."""

    permission = "staff.view"
    serializer_class = DismissalSerializer
    filterset_class = DismissalFilterSet
    ordering_fields = ["id", "deadline", "created_at", "closed_at"]

    def get_queryset(self):
        return selectors.dismissal_list(scope=scope_for(self.request.user)).order_by(
            "deadline", "id"
        )
