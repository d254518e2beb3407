"""Disclosure and city work summaries. A summary's submissions and events are written once
(reporting.models.WrittenOnce): a submission is made by services_summary.summary_submit,
as a city's education bureau makes it, and an event as the services record one."""

import factory
from django.utils import timezone

from accounts.scope import scope_for
from reporting.models import (
    CitySummary,
    Publication,
    SummaryEvent,
    SummarySection,
    SummarySubmission,
)
from reporting.services_summary import summary_submit
from tests.factories.accounts import UserFactory
from tests.factories.campaign import CampaignFactory
from tests.factories.core import lazy_region

NARRATIVES = {
    "organisation": "市教育局牵头，会同消防、公安、体育、文旅等部门组成联合检查组，分县区开展排查。",
    "experiences": "小店区建立“一校一档”安全台账，问题清单逐项销号。",
    "problems": "部分机构消防设施老化，少数从业人员未完成犯罪记录查询。",
    "next_steps": "持续开展“回头看”，对整改不到位的机构依法依规严肃处理。",
}


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publication

    campaign = factory.SubFactory(CampaignFactory)
    published_at = factory.LazyFunction(timezone.now)
    published_by = factory.SubFactory(UserFactory, grant=("province_staff", "140000"))
    publish_reason = "按通知要求向社会公开抽查结果和严重违法违规情况"


class CitySummaryFactory(factory.django.DjangoModelFactory):
    """太原市's draft summary, its narrative written."""

    class Meta:
        model = CitySummary

    campaign = factory.SubFactory(CampaignFactory)
    city = lazy_region("140100")
    organisation = NARRATIVES["organisation"]
    experiences = NARRATIVES["experiences"]
    problems = NARRATIVES["problems"]
    next_steps = NARRATIVES["next_steps"]
    issuer = factory.LazyAttribute(lambda o: f"{o.city.name}教育局")
    updated_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))


class SummarySectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SummarySection

    summary = factory.SubFactory(CitySummaryFactory)
    department = "fire"
    text = "消防救援支队参加联合检查 36 家次，督促整改消防隐患 52 处。"
    updated_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100", "fire"))


class SummarySubmissionFactory(factory.django.DjangoModelFactory):
    """The next submission of the city's summary, made by summary_submit (figures computed
    then and frozen); the summary is written first when it does not exist."""

    class Meta:
        model = SummarySubmission

    campaign = factory.SubFactory(CampaignFactory)
    city = lazy_region("140100")
    submitted_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))

    @classmethod
    def _create(cls, model_class, *, campaign, city, submitted_by):
        summary = CitySummary.objects.filter(campaign=campaign, city=city).first()
        summary = summary_submit(
            campaign=campaign, city=city, actor=submitted_by, scope=scope_for(submitted_by),
            narratives=NARRATIVES, version=summary.version if summary else 0,
        )  # fmt: skip
        return summary.submissions.get(number=summary.revision)


class SummaryEventFactory(factory.django.DjangoModelFactory):
    """As services_summary records a step: the summary's revision, now."""

    class Meta:
        model = SummaryEvent

    summary = factory.SubFactory(CitySummaryFactory)
    kind = SummaryEvent.Kind.SAVED
    actor = factory.SelfAttribute("summary.updated_by")
    at = factory.LazyFunction(timezone.now)
    revision = factory.SelfAttribute("summary.revision")
