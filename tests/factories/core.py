"""Regions: the test database holds 山西's tree (tests/conftest.py), so a factory call
returns a loaded region by its code and makes a new one only for a code not in it."""

import factory

from core.models import Region


class RegionFactory(factory.django.DjangoModelFactory):
    """RegionFactory() is 小店区; RegionFactory(code="140106") is 迎泽区, as loaded."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "140105"
    name = "小店区"
    level = Region.Level.COUNTY
    parent = factory.LazyFunction(lambda: Region.objects.get(code="140100"))


def region(code: str) -> Region:
    """A region of the loaded tree, for factories' defaults."""
    return Region.objects.get(code=code)


def lazy_region(code: str) -> factory.LazyFunction:
    return factory.LazyFunction(lambda: region(code))
