"""A week before the county phase's deadline (30 Nov in the 2023 campaign), institutions with
their own account that have not submitted a self-inspection are reminded once."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from accounts.models import Notification
from clock.jobs import run_campaign_jobs
from clock.models import Claim
from tests.selfcheck.test_selfcheck import account_of, self_inspected

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(month, day):
    return dt.datetime(2023, month, day, 9, tzinfo=SHANGHAI)


def reminders(user) -> list[str]:
    rows = Notification.objects.filter(user=user).exclude(kind=Notification.Kind.DIGEST)
    return list(rows.filter(key__startswith="clock:self-check:").values_list("title", flat=True))


@pytest.fixture
def campaign(regions):
    from tests.inspections.test_problems import seed_campaign

    return seed_campaign()


def test_only_those_that_have_not_submitted_are_told_once_in_the_last_week(cast, places, campaign):
    lagging = account_of(cast.xiaodian, places.xiaodian)
    done = account_of(cast.pingcheng, places.pingcheng)
    with time_machine.travel(at(11, 20), tick=False):
        self_inspected(done, non_compliant=())
        run_campaign_jobs(campaign=campaign, now=at(11, 20))
    assert reminders(lagging) == []  # more than a week before the deadline
    with time_machine.travel(at(11, 24), tick=False):
        run_campaign_jobs(campaign=campaign, now=at(11, 24))
        run_campaign_jobs(campaign=campaign, now=at(11, 24))
    assert reminders(lagging) == [f"请尽快完成自查自评：{places.xiaodian.name}"]
    assert reminders(done) == []
    body = Notification.objects.get(user=lagging, key__startswith="clock:self-check:").body
    assert "2023年11月30日" in body and "还有 6 天" in body
    with time_machine.travel(at(11, 28), tick=False):
        run_campaign_jobs(campaign=campaign, now=at(11, 28))
    assert len(reminders(lagging)) == 1
    assert Claim.objects.filter(key__startswith="clock:self-check:").count() == 1


def test_a_switched_off_account_is_not_told(cast, places, campaign):
    lagging = account_of(cast.xiaodian, places.xiaodian)
    lagging.is_active = False
    lagging.save(update_fields=["is_active"])
    with time_machine.travel(at(11, 25), tick=False):
        run_campaign_jobs(campaign=campaign, now=at(11, 25))
    assert not Claim.objects.filter(key__startswith="clock:self-check:").exists()
