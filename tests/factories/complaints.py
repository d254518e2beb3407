"""Complaints and tips, their attachments and referrals to public security.

The reporter's contact is sealed and the tracking code kept as a digest through
complaints.services, as case_intake does; the case number follows the row's id the same way.
"""

import datetime as dt
import hashlib
import uuid

import factory
from django.utils import timezone

from complaints.models import Attachment, Case, Category, CategoryRule, Channel, Referral
from complaints.rules import rule_for
from complaints.services import contact_seal, new_tracking_code, tracking_digest
from tests.factories.accounts import UserFactory
from tests.factories.core import lazy_region
from tests.factories.inspections import PHOTO
from tests.factories.institutions import InstitutionFactory


class CategoryRuleFactory(factory.django.DjangoModelFactory):
    """山西's own time limit for a category (the common rows are seeded by migration)."""

    class Meta:
        model = CategoryRule

    category = Category.SAFETY
    province = lazy_region("140000")
    response_hours = 48
    referral_ack_hours = 24
    referral_feedback_days = 10


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    class Params:
        reporter = ("张女士", "13903510000")
        sealed = factory.LazyAttribute(lambda o: contact_seal(*o.reporter))
        # The code the reporter was given; only its digest is stored.
        tracking_code = factory.LazyFunction(new_tracking_code)

    tracking_digest = factory.LazyAttribute(lambda o: tracking_digest(o.tracking_code))
    number = factory.LazyFunction(lambda: f"tmp-{uuid.uuid4().hex[:24]}")
    channel = Channel.PHONE
    category = Category.SAFETY
    county = lazy_region("140105")
    institution = factory.SubFactory(InstitutionFactory, county=factory.SelfAttribute("..county"))
    description = "该机构二楼安全出口上锁，消防通道堆放桌椅杂物，上课时学生较多。"
    contact_token = factory.LazyAttribute(lambda o: o.sealed[0])
    contact_masked = factory.LazyAttribute(lambda o: o.sealed[1])
    received_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(
        lambda o: (
            o.received_at + dt.timedelta(hours=rule_for(o.category, o.county.code).response_hours)
        )
    )
    created_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        case = super()._create(model_class, *args, **kwargs)
        case.number = f"TS{timezone.localtime(case.received_at):%Y}{case.pk:06d}"
        case.save(update_fields=["number"])
        return case


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    case = factory.SubFactory(CaseFactory)
    file = factory.django.FileField(filename="photo.jpg", data=PHOTO)
    kind = Attachment.Kind.JPG
    name = "安全出口现场照片.jpg"
    size = len(PHOTO)
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    uploaded_by = factory.SelfAttribute("case.created_by")


class ReferralFactory(factory.django.DjangoModelFactory):
    """A suspected offence against a minor handed to the county's public security bureau."""

    class Meta:
        model = Referral

    case = factory.SubFactory(
        CaseFactory,
        category=Category.MINOR_OFFENCE,
        status=Case.Status.REFERRED,
        description="家长反映该机构一名教练多次体罚学员，孩子身上有淤青。",
    )
    police_unit = "太原市公安局小店分局"
    materials = "举报登记表、家长提供的照片及就医记录"
    sent_at = factory.LazyFunction(timezone.now)
    sent_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))
    ack_due = factory.LazyAttribute(lambda o: o.sent_at + dt.timedelta(hours=24))
    feedback_due = factory.LazyAttribute(lambda o: o.sent_at + dt.timedelta(days=15))
