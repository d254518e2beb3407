"""The campaign as data: phases, fee rules, checklists, publicity."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.roles import Department, Section
from campaign.models import (
    Campaign,
    ChecklistItem,
    ChecklistTemplate,
    FeeRule,
    Phase,
    PublicityActivity,
)
from tests.factories.accounts import UserFactory
from tests.factories.core import lazy_region


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign of 山西省 running today."""

    class Meta:
        model = Campaign

    name = "山西省校外培训机构安全专项整治行动"
    document_number = factory.Sequence(lambda n: f"晋教监管〔2023〕{n + 1}号")
    province = lazy_region("140000")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=180))


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    campaign = factory.SubFactory(CampaignFactory)
    kind = Phase.Kind.COUNTY_SCREENING
    deadline = factory.LazyAttribute(lambda o: o.campaign.starts_on + dt.timedelta(days=60))


class FeeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeRule

    campaign = factory.SubFactory(CampaignFactory)
    category = "non_subject"
    max_months = 3
    max_hours = 60
    max_amount = Decimal("5000.00")
    require_supervised_account = True


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate

    campaign = factory.SubFactory(CampaignFactory)
    name = "校外培训机构安全检查表"
    # The campaign's next version: (campaign, version) is unique.
    version = factory.LazyAttribute(lambda o: o.campaign.checklists.count() + 1)


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    template = factory.SubFactory(ChecklistTemplateFactory)
    code = factory.Sequence(lambda n: f"1.{n + 1:02d}")
    section = Section.SAFETY
    text = "是否建立安全管理制度，明确安全管理负责人"
    requirement = "建立健全安全管理制度，明确专人负责并公示"
    department = Department.EDUCATION
    severity = ChecklistItem.Severity.GENERAL
    answer_type = ChecklistItem.AnswerType.COMPLIANCE
    applies_to = ChecklistItem.AppliesTo.ALL
    order = factory.Sequence(lambda n: n + 1)


class PublicityActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicityActivity

    campaign = factory.SubFactory(CampaignFactory)
    county = lazy_region("140105")
    kind = PublicityActivity.Kind.REMINDER
    held_on = factory.LazyAttribute(lambda o: o.campaign.starts_on + dt.timedelta(days=10))
    title = "寒假校外培训安全提醒"
    times = 2
    reached = 1200
    institutions_reached = 35
    description = "通过家长群和机构公众号推送寒假期间校外培训安全提醒。"
    created_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))
