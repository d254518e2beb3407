"""NarrowPaginator: the same pages, in the same order, as Django's Paginator."""

import pytest
from django.core.paginator import Paginator

from core.paging import NarrowPaginator
from institutions.models import Institution
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def test_narrow_pages_are_djangos_pages(regions):
    for n, name in enumerate(["丙", "甲", "乙", "丁", "戊", "己", "庚"]):
        InstitutionFactory(name=f"{name}培训学校", county_id="140105", capacity=n % 3)
    qs = Institution.objects.select_related("county").order_by("-capacity", "name", "id")
    plain, narrow = Paginator(qs, 3, orphans=1), NarrowPaginator(qs, 3, orphans=1)
    assert narrow.count == plain.count == 7 and narrow.num_pages == plain.num_pages == 2
    for number in plain.page_range:
        assert [i.pk for i in narrow.page(number)] == [i.pk for i in plain.page(number)]
    assert narrow.get_page("9").number == 2  # out of range: the last page, as Django's
