"""自查自评 (#21). Pages make these through selfcheck.services (the institution's own account)."""

import hashlib

import factory

from selfcheck.models import SelfAmendment, SelfAnswer, SelfInspection, SelfPhoto
from tests.factories.accounts import UserFactory
from tests.factories.campaign import ChecklistItemFactory, ChecklistTemplateFactory
from tests.factories.inspections import PHOTO
from tests.factories.institutions import InstitutionFactory


class SelfInspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfInspection

    checklist = factory.SubFactory(ChecklistTemplateFactory)
    campaign = factory.LazyAttribute(lambda o: o.checklist.campaign)
    institution = factory.SubFactory(InstitutionFactory)


class SelfAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAnswer

    self_inspection = factory.SubFactory(SelfInspectionFactory)
    item = factory.LazyAttribute(
        lambda o: ChecklistItemFactory(template=o.self_inspection.checklist)
    )
    value = SelfAnswer.Value.COMPLIANT


class SelfPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfPhoto

    answer = factory.SubFactory(SelfAnswerFactory, value=SelfAnswer.Value.NON_COMPLIANT)
    image = factory.django.FileField(filename="self.jpg", data=PHOTO)
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    width = 64
    height = 48
    uploaded_by = factory.SubFactory(UserFactory)


class SelfAmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAmendment

    self_inspection = factory.SubFactory(SelfInspectionFactory, status="submitted")
    made_by = factory.SubFactory(UserFactory)
    reason = "提交时误选"
    changes = factory.LazyFunction(
        lambda: [{"code": "1.01", "before": {"value": "compliant"}, "after": {"value": "na"}}]
    )
