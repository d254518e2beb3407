"""The institution filters, shared by the list page, the API and the ledger export.

They only ever narrow a queryset that the scope has already filtered.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from accounts.roles import Sector
from core.regions import within_region

from .models import Institution


class InstitutionFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_search", label=_("名称、信用代码或许可证号"))
    county = filters.CharFilter(method="filter_region", label=_("县区（或市）代码"))
    region = filters.CharFilter(method="filter_region", label=_("地区代码"))
    category = filters.ChoiceFilter(choices=Institution.Category.choices, label=_("类别"))
    sector = filters.ChoiceFilter(choices=Sector.choices, label=_("行业"))
    status = filters.ChoiceFilter(choices=Institution.Status.choices, label=_("经营状态"))
    risky = filters.BooleanFilter(field_name="is_risky", label=_("有一定危险性"))

    class Meta:
        model = Institution
        fields = ["q", "county", "region", "category", "sector", "status", "risky"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        code = value.upper()
        return queryset.filter(
            Q(name__icontains=value) | Q(credit_code=code) | Q(permit_number=value)
        )

    def filter_region(self, queryset, name, value):
        return within_region(queryset, value, path="county__code")
