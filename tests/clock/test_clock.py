"""The campaign clock on the seeded 2023 campaign (deadlines 30 Nov, 10 Dec, 20 Dec):
reminders, overdue flags and escalations at 27 Nov, 1 Dec, 11 Dec and 21 Dec, exactly
once however often and however concurrently the jobs run."""

import datetime as dt
import io
import threading
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from accounts import outbox
from accounts.models import Notification, User
from accounts.notifications import notify
from accounts.scope import scope_for
from clock import jobs
from clock.models import CampaignClock, Claim, JobRun, QuotaFlag, RegionOverdue
from clock.schedule import SCHEDULE_NAME, ensure_schedule
from clock.tasks import run_campaign, tick
from core.models import Region
from inspections import services
from inspections.models import Finding
from institutions.models import Institution
from sampling import services as sampling
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_inspections import answer_all, start, submit
from tests.inspections.test_problems import inspected, seed_campaign
from tests.sampling.test_sampling import confirm, preview

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CLOCK_KINDS = ["reminder", "overdue", "escalation"]


def at(month, day, hour=9):
    return dt.datetime(2023, month, day, hour, tzinfo=SHANGHAI)


def run(month, day, hour=9) -> str:
    """The command at that moment; its one line of output."""
    out = io.StringIO()
    call_command("run_campaign_jobs", now=f"2023-{month:02d}-{day:02d}T{hour:02d}:00", stdout=out)
    return out.getvalue().strip()


def screened(user, institution):
    inspection = start(user, institution)
    answer_all(user, inspection)
    return submit(user, inspection, result="compliant")


def inbox(username) -> list[tuple[str, str]]:
    """A user's clock notifications, oldest first: (kind, title)."""
    rows = Notification.objects.filter(user__username=username, kind__in=CLOCK_KINDS)
    return list(rows.order_by("created_at", "id").values_list("kind", "title"))


def open_overdue() -> set[str]:
    return set(RegionOverdue.objects.filter(cleared_at=None).values_list("region__name", flat=True))


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def world(cast, places, campaign):
    """On 20 Nov: 小店区 has 3 institutions, 2 screened, one with problems 1.01 (education)
    and 2.22 (fire, major hazard) due 25 Nov; 平城区's only institution is screened with a
    problem due 10 Dec; 迎泽区's is not screened and nobody there holds a county role."""
    datong = UserFactory(username="datong", grant=("city_staff", "140200"))
    xiaodian = Region.objects.get(code="140105")
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
        screened(cast.xiaodian, InstitutionFactory(county=xiaodian))
        inspected(cast.pingcheng, places.pingcheng, codes=("1.01",), days=20)
    unscreened = InstitutionFactory(name="小店区未排查培训学校", county=xiaodian)
    return datong, unscreened


def test_the_campaign_timeline_reminds_flags_and_escalates_exactly_once(cast, world):
    datong, unscreened = world

    # 27 Nov, three days before county screening closes: 小店区 is reminded (迎泽区 is behind
    # too but has no one to remind). The problems due 25 Nov go to the county lead at once,
    # the fire problem is a major hazard, so to the province as well.
    assert run(11, 27) == "reminders=1 overdue=0 escalations=3 quota_flags=0"
    assert run(11, 27) == "reminders=0 overdue=0 escalations=0 quota_flags=0"
    assert inbox("xiaodian") == [
        ("reminder", "县级排查整改截止提醒：小店区"),
        ("escalation", "整改逾期：小店区博雅舞蹈培训学校（小店区）"),
        ("escalation", "整改逾期：小店区博雅舞蹈培训学校（小店区）"),
    ]
    reminder = Notification.objects.get(user=cast.xiaodian, kind="reminder")
    assert reminder.body.startswith(
        "小店区：3 家机构中 1 家尚未排查；排查发现的问题中 2 项逾期未销号。"
    )
    assert "2023年11月30日，还有 3 天" in reminder.body
    assert reminder.reason and reminder.link == "/institutions/?region=140105"
    assert inbox("province") == [
        ("escalation", "重大隐患整改逾期：小店区博雅舞蹈培训学校（小店区）")
    ]
    assert inbox("taiyuan") == [] and inbox("pingcheng") == []

    # 1 Dec: 小店区 and 迎泽区 missed 30 Nov; each is flagged and 太原市 hears of both.
    # The problems are 6 days overdue: not yet the city's (after 7 days).
    assert run(12, 1) == "reminders=0 overdue=2 escalations=0 quota_flags=0"
    assert run(12, 1) == "reminders=0 overdue=0 escalations=0 quota_flags=0"
    assert open_overdue() == {"小店区", "迎泽区"}
    assert inbox("xiaodian")[-1] == ("overdue", "已逾期：小店区县级排查整改")
    assert sorted(inbox("taiyuan")) == [
        ("overdue", "已逾期：小店区县级排查整改"),
        ("overdue", "已逾期：迎泽区县级排查整改"),
    ]

    # 5 Dec 小店区 screens its last institution; its problems due 25 Nov are still open, so
    # its 排查整改 is not done and its flag stays.
    with time_machine.travel(at(12, 5), tick=False):
        screened(cast.xiaodian, unscreened)

    # 11 Dec: neither city drew its spot-check sample by 10 Dec; 小店区's problems are 16
    # days overdue (to 太原市 now), 平城区's 1 day (to its county lead), and with it open
    # past its deadline 平城区's 排查整改 is late too.
    assert run(12, 11) == "reminders=0 overdue=3 escalations=3 quota_flags=0"
    assert run(12, 11) == "reminders=0 overdue=0 escalations=0 quota_flags=0"
    assert open_overdue() == {"小店区", "迎泽区", "平城区", "太原市", "大同市"}
    flag = RegionOverdue.objects.get(region_id="140105")
    assert flag.cleared_at is None and "2 项逾期未销号" in flag.missing
    assert inbox("taiyuan")[2:] == [
        ("overdue", "已逾期：太原市市级抽查"),
        ("escalation", "整改逾期：小店区博雅舞蹈培训学校（小店区）"),
        ("escalation", "整改逾期：小店区博雅舞蹈培训学校（小店区）"),
    ]
    city = Notification.objects.get(user=cast.taiyuan, title="已逾期：太原市市级抽查")
    assert "太原市：尚未确认抽样" in city.body
    assert inbox("pingcheng") == [
        ("overdue", "已逾期：平城区县级排查整改"),
        ("escalation", "整改逾期：平城区启明美术培训学校（平城区）"),
    ]
    assert inbox("datong") == [
        ("overdue", "已逾期：平城区县级排查整改"),
        ("overdue", "已逾期：大同市市级抽查"),
    ]

    # 21 Dec: the province's own supervision sample is late; 平城区's problem is 11 days
    # overdue and reaches 大同市; neither city has submitted its work summary (due 20 Dec).
    assert run(12, 21) == "reminders=0 overdue=3 escalations=1 quota_flags=0"
    assert run(12, 21) == "reminders=0 overdue=0 escalations=0 quota_flags=0"
    assert ("overdue", "已逾期：山西省省级督导检查") in inbox("province")
    assert inbox("province")[-1] == ("overdue", "已逾期：大同市市级工作总结报送")
    assert ("overdue", "已逾期：太原市市级工作总结报送") in inbox("taiyuan")
    assert inbox("datong")[-1] == ("escalation", "整改逾期：平城区启明美术培训学校（平城区）")
    assert open_overdue() == {"小店区", "迎泽区", "平城区", "太原市", "大同市", "山西省"}

    # Nobody got the same message twice, and every message says why it came.
    keys = Notification.objects.filter(kind__in=CLOCK_KINDS).values_list("user_id", "key")
    assert len(keys) == len(set(keys)) == 22
    assert not Notification.objects.filter(kind__in=CLOCK_KINDS, reason="").exists()
    assert set(JobRun.objects.values_list("moment", flat=True)) == {
        at(11, 27),
        at(12, 1),
        at(12, 11),
        at(12, 21),
    }


def test_a_problem_closed_in_time_stops_escalating_and_a_sent_back_one_starts_again(cast, world):
    with time_machine.travel(at(11, 24), tick=False):
        fire = Finding.objects.get(item__code="2.22")
        services.finding_report(
            finding=fire, actor=cast.xiaodian, scope=scope_for(cast.xiaodian), note="已整改"
        )
        services.finding_verify(
            finding=fire, actor=cast.xiaodian, scope=scope_for(cast.xiaodian), passed=True,
            note="复查合格",
        )  # fmt: skip
    # Only the education problem is overdue now: its county lead hears, no one else.
    assert run(11, 27) == "reminders=1 overdue=0 escalations=1 quota_flags=0"
    with time_machine.travel(at(11, 28), tick=False):
        general = Finding.objects.get(item__code="1.01", task__institution__county_id="140105")
        services.finding_report(
            finding=general, actor=cast.xiaodian, scope=scope_for(cast.xiaodian), note="已整改"
        )
        services.finding_verify(
            finding=general, actor=cast.xiaodian, scope=scope_for(cast.xiaodian), passed=False,
            note="仍不合格", deadline=dt.date(2023, 12, 5),
            deadline_reason="需更换整套消防器材，供货需一周",
        )  # fmt: skip
    # Sent back with a new deadline of 5 Dec: not overdue on 1 Dec; on 6 Dec it is, again.
    assert run(12, 1).endswith("escalations=0 quota_flags=0")
    assert run(12, 6) == "reminders=0 overdue=0 escalations=1 quota_flags=2"
    escalation = Notification.objects.filter(user=cast.xiaodian, kind="escalation").first()
    assert "2023年12月5日，已逾期 1 天" in escalation.body
    assert "1.01" in escalation.body and "2.22" not in escalation.body


def test_the_quota_watch_flags_samples_below_quota_as_the_deadline_nears(cast, world):
    assert run(12, 2).endswith("quota_flags=0")  # 8 days before 10 Dec: not watched yet
    # From 7 days before: 太原市 and 大同市 have no sample; the province hears of both.
    # Their reminders come 3 days and 1 day before.
    assert run(12, 3) == "reminders=0 overdue=0 escalations=0 quota_flags=2"
    assert run(12, 7) == "reminders=2 overdue=0 escalations=0 quota_flags=0"
    assert run(12, 9) == "reminders=2 overdue=0 escalations=0 quota_flags=0"
    assert run(12, 9, hour=15) == "reminders=0 overdue=0 escalations=0 quota_flags=0"
    assert sorted(QuotaFlag.objects.values_list("region__name", "missing")) == [
        ("大同市", "大同市：尚未确认抽样"),
        ("太原市", "太原市：尚未确认抽样"),
    ]
    assert inbox("datong") == [
        ("reminder", "抽查数量预警：大同市"),
        ("reminder", "市级抽查截止提醒：大同市"),
        ("reminder", "市级抽查截止提醒：大同市"),
    ]
    assert sorted(t for _k, t in inbox("province") if t.startswith("抽查数量预警")) == [
        "抽查数量预警：大同市",
        "抽查数量预警：太原市",
    ]
    # The province's own sample is watched from 13 Dec.
    assert run(12, 13).endswith("quota_flags=1")
    assert QuotaFlag.objects.filter(region_id="140000", cleared_at=None).exists()


def test_a_campaign_sets_its_own_reminder_days(cast, world, campaign):
    clock = CampaignClock(campaign=campaign, reminder_days=[5, 2, 5])
    clock.full_clean()
    clock.save()
    assert clock.reminder_days == [5, 2]
    assert run(11, 24).startswith("reminders=0")  # 6 days before
    assert run(11, 25).startswith("reminders=1")
    assert run(11, 27).startswith("reminders=0")  # the 5-day reminder is the one due still
    assert run(11, 28).startswith("reminders=1")
    bad = CampaignClock(campaign=campaign, reminder_days=[0, "x"])
    with pytest.raises(ValidationError, match="提醒天数"):
        bad.full_clean()


def test_a_late_first_run_sends_only_the_latest_reminder(cast, world):
    assert run(11, 29).startswith("reminders=1")  # the 1-day one; the 3-day one is past
    assert run(11, 30).startswith("reminders=0")
    body = Notification.objects.get(user=cast.xiaodian, kind="reminder").body
    assert "还有 1 天" in body


def test_reminders_and_escalations_wait_for_someone_to_receive_them(cast, world):
    assert run(11, 27).startswith("reminders=1")
    officer = UserFactory(username="yingze", grant=("county_officer", "140106"))
    assert run(11, 27, hour=10).startswith("reminders=1")
    assert inbox(officer.username) == [("reminder", "县级排查整改截止提醒：迎泽区")]
    assert Claim.objects.filter(job="reminder").count() == 2


def test_an_overdue_flag_clears_when_the_deadline_moves_later(cast, world, campaign):
    run(12, 1)
    assert open_overdue() == {"小店区", "迎泽区"}
    campaign.phases.filter(kind="county_screening").update(deadline=dt.date(2023, 12, 15))
    run(12, 2)
    assert open_overdue() == set()
    # Late again after the new deadline: a new flag, a new message; 平城区 too now, its
    # problem open past its 10 Dec deadline.
    assert run(12, 16).startswith("reminders=0 overdue=5")  # three counties, two cities
    assert RegionOverdue.objects.filter(region_id="140105").count() == 2
    assert open_overdue() == {"小店区", "迎泽区", "平城区", "太原市", "大同市"}


def test_now_that_is_not_a_moment_is_refused_in_chinese(db):
    with pytest.raises(CommandError, match="无法识别的时间“12月1日”"):
        call_command("run_campaign_jobs", now="12月1日")
    assert not JobRun.objects.exists()


def test_the_command_runs_at_the_current_moment_by_default(cast, world):
    with time_machine.travel(at(11, 27), tick=False):
        out = io.StringIO()
        call_command("run_campaign_jobs", stdout=out)
    assert out.getvalue() == "reminders=1 overdue=0 escalations=3 quota_flags=0\n"


def test_the_beat_schedule_is_in_the_database_once(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    assert (task.task, task.interval.every, task.interval.period) == (
        "clock.tasks.tick",
        1,
        "hours",
    )
    task.enabled = False  # an operator's change survives the next migrate
    task.save()
    assert ensure_schedule() == task and not PeriodicTask.objects.get(pk=task.pk).enabled
    assert PeriodicTask.objects.filter(name=SCHEDULE_NAME).count() == 1


def _concurrently(moment) -> list[jobs.Tally]:
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(jobs.run_all(now=moment))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_message_once(cast, world):
    User.objects.filter(username__in=["xiaodian", "taiyuan", "province"]).update(
        email="officer@example.cn"
    )
    mail.outbox.clear()
    first = _concurrently(at(11, 27))
    assert sum(first, jobs.Tally()).line() == "reminders=1 overdue=0 escalations=3 quota_flags=0"
    second = _concurrently(at(12, 1))
    assert sum(second, jobs.Tally()).line() == "reminders=0 overdue=2 escalations=0 quota_flags=0"
    assert RegionOverdue.objects.count() == 2
    # One message each: reminder + 2 escalations (小店区), 1 escalation (province),
    # overdue 小店区 (xiaodian, taiyuan), overdue 迎泽区 (taiyuan). All routine: each person's
    # are items of their digest of the day, e-mailed once after the day through the outbox
    # (here the sweep, in-process): three e-mails (accounts/notifications.py).
    assert outbox.deliver() == 0
    with time_machine.travel(dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)):
        assert outbox.deliver() == 3 and outbox.deliver() == 0
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind__in=CLOCK_KINDS).count() == 7


def test_a_run_that_dies_midway_is_finished_by_the_next_without_repeats(cast, world, monkeypatch):
    sent = []

    def failing_second(**kwargs):
        sent.append(kwargs["key"])
        if len(sent) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return notify(**kwargs)

    monkeypatch.setattr(jobs, "notify", failing_second)
    with pytest.raises(OperationalError):
        jobs.run_all(now=at(11, 27))
    monkeypatch.undo()
    # The reminder was sent and stands; the escalation that failed left no claim behind.
    assert list(Claim.objects.values_list("job", flat=True)) == ["reminder"]
    assert run(11, 27) == "reminders=0 overdue=0 escalations=3 quota_flags=0"
    assert Notification.objects.filter(kind="reminder").count() == 1


def test_the_tick_enqueues_each_active_campaign_after_commit(
    campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        assert tick.apply(kwargs={"now": "2023-11-27T09:00"}).get() == 1
    # Published only once the transaction commits: the campaign's run and the upload purge.
    assert len(callbacks) == 2
    result = run_campaign.apply(args=[campaign.pk], kwargs={"now": "2023-12-01T09:00"}).get()
    assert result == {"reminders": 0, "overdue": 0, "escalations": 0, "quota_flags": 0}
    assert JobRun.objects.get().moment == at(12, 1)
    # Redelivered when a worker dies; a lost database connection is retried with backoff.
    assert run_campaign.acks_late and run_campaign.reject_on_worker_lost
    assert OperationalError in run_campaign.autoretry_for and run_campaign.retry_backoff


def test_a_city_sample_is_measured_against_its_quota_and_its_flag_clears_when_met(cast, campaign):
    for code, n in {"140105": 12, "140106": 8}.items():
        InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    round_ = sampling.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    for code, department in [("140107", "education"), ("140108", "fire"),
                             ("140107", "culture_tourism")]:  # fmt: skip
        person = UserFactory(grant=("county_officer", code, department))
        sampling.pool_add(
            round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan)
        )
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="2023"))
    need = f"已检查机构 0/{draw.required_institutions} 家、县区 0/{draw.required_counties} 个"

    assert run(12, 7).endswith("quota_flags=1")
    flag = QuotaFlag.objects.get()
    assert flag.missing == f"太原市：{need}，未达到抽查数量要求"
    reminder = Notification.objects.get(user=cast.taiyuan, title="市级抽查截止提醒：太原市")
    assert reminder.link == f"/sampling/rounds/{round_.pk}/"

    with time_machine.travel(at(12, 8), tick=False):
        for institution in Institution.objects.filter(pk__in=draw.institutions):
            inspection = start(cast.taiyuan, institution, level="city")
            answer_all(cast.taiyuan, inspection)
            submit(cast.taiyuan, inspection, result="compliant")
    # Quota met: no reminder the day before, the flag is cleared, nothing is late after.
    assert run(12, 9).startswith("reminders=0")
    flag.refresh_from_db()
    assert flag.cleared_at == at(12, 9)
    run(12, 11)
    assert not RegionOverdue.objects.filter(region_id="140100").exists()
