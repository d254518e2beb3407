import random

import factory

from accounts.models import RoleGrant, User
from core.models import Region
from institutions.models import Institution
from ops.demo.institutions import credit_code

_rng = random.Random(51)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "Test-pass-2023")

    @factory.post_generation
    def grant(self, create, extracted, **kwargs):
        """UserFactory(grant=("county_officer", "140105")) or (role, region, department)."""
        if extracted:
            role, region, *department = extracted
            RoleGrant.objects.create(
                user=self, role=role, region_id=region, department=(department or ["education"])[0]
            )
        if create:
            self.save()


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试培训学校{n}号")
    county = factory.LazyFunction(lambda: Region.objects.get(code="140105"))
    credit_code = factory.LazyAttribute(lambda o: credit_code(_rng, o.county.code))
    category = Institution.Category.NON_SUBJECT
    sector = "culture_art"
