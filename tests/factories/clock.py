"""What the campaign clock leaves: reminder settings, flags, claims and runs."""

import datetime as dt

import factory
from django.utils import timezone

from campaign.models import Phase
from clock.models import CampaignClock, Claim, JobRun, QuotaFlag, RegionOverdue
from tests.factories.campaign import CampaignFactory, PhaseFactory
from tests.factories.core import lazy_region


def _morning_after(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1)))


class CampaignClockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignClock

    campaign = factory.SubFactory(CampaignFactory)
    reminder_days = factory.List([7, 3, 1])
    quota_watch_days = 10


class RegionOverdueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionOverdue

    campaign = factory.SubFactory(CampaignFactory)
    phase = factory.SubFactory(PhaseFactory, campaign=factory.SelfAttribute("..campaign"))
    region = lazy_region("140105")
    deadline = factory.SelfAttribute("phase.deadline")
    since = factory.LazyAttribute(lambda o: _morning_after(o.deadline))
    missing = "3 家机构未完成排查"


class QuotaFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotaFlag

    campaign = factory.SubFactory(CampaignFactory)
    phase = factory.SubFactory(
        PhaseFactory, campaign=factory.SelfAttribute("..campaign"), kind=Phase.Kind.CITY_SPOT_CHECK
    )
    region = lazy_region("140100")
    deadline = factory.SelfAttribute("phase.deadline")
    since = factory.LazyAttribute(
        lambda o: timezone.make_aware(
            dt.datetime.combine(o.deadline - dt.timedelta(days=7), dt.time(1))
        )
    )
    missing = "已抽查 2 家机构，应抽查 5 家"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    key = factory.Sequence(lambda n: f"reminder:{n}:county_screening:140105:3")
    job = Claim.Job.REMINDER
    campaign = factory.SubFactory(CampaignFactory)
    region = lazy_region("140105")


class JobRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRun

    campaign = factory.SubFactory(CampaignFactory)
    moment = factory.LazyFunction(timezone.now)
    reminders = 4
    overdue = 1
