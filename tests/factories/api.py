"""Personal API tokens: only the digest is stored, as api.services.token_create stores it."""

import secrets

import factory

from api.models import ApiToken
from api.services import MARKER, PREFIX_LENGTH, digest
from tests.factories.accounts import UserFactory


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """ApiTokenFactory(raw="aq_…") when the test needs to present the token."""

    class Meta:
        model = ApiToken

    class Params:
        raw = factory.LazyFunction(lambda: MARKER + secrets.token_urlsafe(32))

    user = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))
    name = "市级数据对接"
    prefix = factory.LazyAttribute(lambda o: o.raw[:PREFIX_LENGTH])
    digest = factory.LazyAttribute(lambda o: digest(o.raw))
