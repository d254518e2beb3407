"""The register: institutions and their premises."""

import random
from decimal import Decimal

import factory

from accounts.models import RoleGrant
from institutions.models import AccountBatch, Institution, InstitutionAccount, Site
from ops.demo.institutions import credit_code
from tests.factories.accounts import UserFactory
from tests.factories.core import lazy_region

_rng = random.Random(51)

# Names as the register holds them: county, a trade name, what is taught.
_BRANDS = ["博雅", "启明", "育才", "星辰", "晋阳", "汾河", "龙城", "新苗", "乐思", "明德"]
_KINDS = ["舞蹈", "美术", "书法", "音乐", "围棋", "编程", "跆拳道", "篮球", "播音主持"]


def _name(n: int, county) -> str:
    brand = _BRANDS[n % len(_BRANDS)]
    kind = _KINDS[(n // len(_BRANDS)) % len(_KINDS)]
    return f"{county.name}{brand}{kind}培训学校"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.LazyAttributeSequence(lambda o, n: _name(n, o.county))
    county = lazy_region("140105")
    # A valid 统一社会信用代码 (GB 32100 check character, stdnum.cn.uscc) registered in the county.
    credit_code = factory.LazyAttribute(lambda o: credit_code(_rng, o.county.code))
    category = Institution.Category.NON_SUBJECT
    sector = "culture_art"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.LazyAttribute(lambda o: f"{o.institution.name}长风校区")
    address = factory.Sequence(lambda n: f"太原市小店区长风街{n + 1}号")
    floor_area = Decimal("320.00")


class InstitutionAccountFactory(factory.django.DjangoModelFactory):
    """An institution's own account (机构账号) with its `institution` role on the county, as
    institutions.accounts.institution_account_open makes it (pages use that service)."""

    class Meta:
        model = InstitutionAccount
        skip_postgeneration_save = True

    institution = factory.SubFactory(InstitutionFactory)
    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            county = self.institution.county_id
            RoleGrant.objects.create(user=self.user, role="institution", region_id=county)
            self.user.region_id = county
            self.user.save(update_fields=["region"])


class AccountBatchFactory(factory.django.DjangoModelFactory):
    """A finished bulk opening with nothing left to download; pages start one through
    institutions.account_batches.account_batch_request."""

    class Meta:
        model = AccountBatch

    county = lazy_region("140105")
    created_by = factory.SubFactory(UserFactory)
    status = AccountBatch.Status.DONE
