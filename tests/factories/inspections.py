"""Rounds, inspections, answers, photos, amendments and the problems they find."""

import datetime as dt
import hashlib
import io

import factory
from django.utils import timezone
from PIL import Image

from inspections.models import (
    Amendment,
    Answer,
    Evidence,
    Finding,
    Inspection,
    ReceiptPhoto,
    RectificationTask,
    Round,
)
from tests.factories.accounts import UserFactory
from tests.factories.campaign import CampaignFactory, ChecklistItemFactory, ChecklistTemplateFactory
from tests.factories.core import lazy_region
from tests.factories.institutions import InstitutionFactory


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


PHOTO = _jpeg()


class RoundFactory(factory.django.DjangoModelFactory):
    """A county's screening round (小店区) by default."""

    class Meta:
        model = Round

    campaign = factory.SubFactory(CampaignFactory)
    level = Round.Level.COUNTY
    region = lazy_region("140105")


class InspectionFactory(factory.django.DjangoModelFactory):
    """A draft inspection of an institution in the round's county, by one of its officers.

    InspectionFactory(submitted=True) is submitted with a result."""

    class Meta:
        model = Inspection
        skip_postgeneration_save = True

    class Params:
        submitted = factory.Trait(
            status=Inspection.Status.SUBMITTED,
            result=Inspection.Result.RECTIFY,
            rectify_deadline=factory.LazyFunction(
                lambda: timezone.localdate() + dt.timedelta(days=30)
            ),
            summary="消防通道堆放杂物，限期 30 日内整改。",
            submitted_at=factory.LazyFunction(timezone.now),
        )

    round = factory.SubFactory(RoundFactory)
    institution = factory.SubFactory(
        InstitutionFactory, county=factory.SelfAttribute("..round.region")
    )
    checklist = factory.SubFactory(
        ChecklistTemplateFactory, campaign=factory.SelfAttribute("..round.campaign")
    )
    departments = factory.List(["education"])
    created_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))

    @factory.post_generation
    def inspectors(self, create, extracted, **kwargs):
        if create:
            self.inspectors.set(extracted or [self.created_by])


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    class Params:
        non_compliant = factory.Trait(
            value=Answer.Value.NON_COMPLIANT, note="安全管理制度未上墙，未明确安全负责人"
        )

    inspection = factory.SubFactory(InspectionFactory)
    item = factory.SubFactory(
        ChecklistItemFactory, template=factory.SelfAttribute("..inspection.checklist")
    )
    value = Answer.Value.COMPLIANT
    answered_at = factory.LazyFunction(timezone.now)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    answer = factory.SubFactory(AnswerFactory, non_compliant=True)
    image = factory.django.FileField(filename="photo.jpg", data=PHOTO)
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    width = 64
    height = 48
    taken_at = factory.LazyFunction(timezone.now)
    uploaded_by = factory.SelfAttribute("answer.inspection.created_by")


class AmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Amendment

    inspection = factory.SubFactory(InspectionFactory, submitted=True)
    made_by = factory.SelfAttribute("inspection.created_by")
    reason = "现场录入有误：灭火器已在有效期内，更正为合规"
    changes = factory.List(
        [
            factory.Dict(
                {"item": "2.05", "field": "value", "from": "non_compliant", "to": "compliant"}
            )
        ]
    )


class RectificationTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationTask

    inspection = factory.SubFactory(InspectionFactory, submitted=True)
    institution = factory.SelfAttribute("inspection.institution")
    department = factory.LazyAttribute(lambda o: o.inspection.departments[0])
    deadline = factory.SelfAttribute("inspection.rectify_deadline")


class FindingFactory(factory.django.DjangoModelFactory):
    """A problem on the task: its non-compliant answer, its item's section and severity."""

    class Meta:
        model = Finding

    task = factory.SubFactory(RectificationTaskFactory)
    answer = factory.SubFactory(
        AnswerFactory, inspection=factory.SelfAttribute("..task.inspection"), non_compliant=True
    )
    item = factory.SelfAttribute("answer.item")
    section = factory.SelfAttribute("item.section")
    severity = factory.SelfAttribute("item.severity")
    description = factory.LazyAttribute(lambda o: o.answer.note or o.item.text)
    requirement = factory.SelfAttribute("item.requirement")


class ReceiptPhotoFactory(factory.django.DjangoModelFactory):
    """A photo of an institution's receipt (整改回执); pages make it through
    inspections.receipts.receipt_submit, which checks and re-encodes it."""

    class Meta:
        model = ReceiptPhoto

    finding = factory.SubFactory(FindingFactory)
    image = factory.django.FileField(filename="receipt.jpg", data=PHOTO)
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    width = 64
    height = 48
    uploaded_by = factory.SubFactory(UserFactory)
