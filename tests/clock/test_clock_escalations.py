"""Escalations claimed per overdue thing and its own deadline: two problems of one task that
fall due, close and are sent back apart; and the overdue dismissals, fee violations,
complaint cases and police referrals of the other apps, on the seeded 2023 campaign."""

import datetime as dt
import hashlib

import pytest
import time_machine

from accounts.models import Notification
from accounts.scope import scope_for
from clock.models import Claim
from complaints.models import Case, Referral
from fees.models import FeeRecord, FeeViolation
from inspections import services
from inspections.models import Finding
from personnel.models import BackgroundCheck, CheckBatch, Dismissal
from tests.clock.test_clock import at, run
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory
from tests.inspections.test_problems import inspected, seed_campaign


@pytest.fixture
def campaign(regions):
    return seed_campaign()


def escalated(month, day, hour=9) -> int:
    """The jobs at that moment: how many escalation messages went out."""
    return int(dict(f.split("=") for f in run(month, day, hour).split())["escalations"])


def escalations(username) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(user__username=username, kind="escalation")
    return list(rows.order_by("created_at", "id").values_list("title", "body"))


def problem(code) -> Finding:
    return Finding.objects.get(item__code=code)


def report(user, finding):
    scope = scope_for(user)
    services.finding_report(finding=finding, actor=user, scope=scope, note="已整改")


def close(user, finding):
    report(user, finding)
    services.finding_verify(
        finding=finding, actor=user, scope=scope_for(user), passed=True, note="复查合格"
    )


def send_back(user, finding, deadline):
    report(user, finding)
    services.finding_verify(
        finding=finding, actor=user, scope=scope_for(user), passed=False, note="仍不合格",
        deadline=deadline, deadline_reason="整改需采购器材，期限顺延",
    )  # fmt: skip


@pytest.fixture
def two_problems(cast, places, campaign):
    """小店区's dance school: problems 1.01 and 1.02, one education task, due 25 Nov."""
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "1.02"), days=5)
    assert Finding.objects.values("task").distinct().count() == 1


def test_a_problem_closing_does_not_escalate_its_task_again(cast, two_problems):
    # 1.02 is sent back before its deadline, to 26 Nov; 1.01 stays due 25 Nov.
    with time_machine.travel(at(11, 24), tick=False):
        send_back(cast.xiaodian, problem("1.02"), dt.date(2023, 11, 26))
    assert escalated(11, 27) == 1  # one message, both problems
    # 1.01 is closed: 1.02 (already escalated) is now the task's earliest overdue problem.
    with time_machine.travel(at(11, 28), tick=False):
        close(cast.xiaodian, problem("1.01"))
    assert escalated(11, 29) == 0
    (title, body), = escalations("xiaodian")  # fmt: skip
    assert (
        "2 项问题" in body and "1.01" in body and "现场发现问题（整改期限2023年11月26日）" in body
    )
    assert Claim.objects.filter(job="escalation", level="county").count() == 2
    # 7 days after its own deadline 1.02 goes to the city, alone.
    assert escalated(12, 3) == 1
    (title, body), = escalations("taiyuan")  # fmt: skip
    assert "1.02" in body and "1.01" not in body and "2023年11月26日，已逾期 7 天" in body


def test_a_problem_sent_back_and_missed_again_escalates_again(cast, two_problems):
    assert escalated(11, 27) == 1
    with time_machine.travel(at(11, 28), tick=False):
        send_back(cast.xiaodian, problem("1.02"), dt.date(2023, 11, 30))
    # 1.01 is still overdue from 25 Nov, already escalated; 1.02 missed its new deadline.
    assert escalated(12, 1) == 1
    assert escalated(12, 1, hour=10) == 0
    title, body = escalations("xiaodian")[-1]
    assert "2023年11月30日，已逾期 1 天，1 项问题" in body
    assert "1.02" in body and "1.01" not in body
    assert Claim.objects.filter(key__contains=f"finding:{problem('1.02').pk}:").count() == 2


# -- the other apps' overdue work ----------------------------------------------------------


def dismissal(cast, institution, deadline) -> Dismissal:
    staff = StaffFactory(institution=institution)
    batch = CheckBatch.objects.create(
        region_id=institution.county_id, institution=institution, basis="institution",
        created_by=cast.xiaodian,
    )  # fmt: skip
    check = BackgroundCheck.objects.create(
        batch=batch, staff=staff, status="done", outcome="record", category="abuse"
    )
    return Dismissal.objects.create(
        check_result=check, staff=staff, institution=institution, deadline=deadline
    )


def violation(cast, institution, deadline, status="open", key="1") -> FeeViolation:
    record = FeeRecord.objects.create(
        institution=institution, amount=3000, period_from=dt.date(2023, 9, 1),
        period_to=dt.date(2024, 8, 31), charged_on=dt.date(2023, 9, 1), supervised=False,
        natural_key=key, source="manual", created_by=cast.xiaodian,
    )  # fmt: skip
    return FeeViolation.objects.create(
        record=record, rule="off_platform", excess=0, deadline=deadline, status=status
    )


def case(number, deadline, *, category="safety_hazard", status="assigned", campaign=None):
    return Case.objects.create(
        tracking_digest=hashlib.sha256(number.encode()).hexdigest(), number=number,
        channel="phone", category=category, county_id="140105", status=status,
        description=f"{number}的反映内容", received_at=at(11, 18), deadline=deadline,
        campaign=campaign,
    )  # fmt: skip


@pytest.fixture
def late_work(cast, places, campaign):
    """In 小店区, all due by 26 Nov: a dismissal, a fee violation (and a closed one), a
    safety complaint, a referral whose receipt was due 21 Nov, a suspected offence against a
    minor. 太原市 has fire staff too."""
    UserFactory(username="taiyuan_fire", grant=("city_staff", "140100", "fire"))
    items = {
        "dismissal": dismissal(cast, places.xiaodian, dt.date(2023, 11, 25)),
        "fee": violation(cast, places.xiaodian, dt.date(2023, 11, 25)),
        "closed_fee": violation(cast, places.xiaodian, dt.date(2023, 11, 25), "closed", "2"),
        "case": case("T2023000001", at(11, 25), campaign=campaign),
        "referred": case("T2023000002", at(11, 25), status="referred"),
        "minor": case("T2023000003", at(11, 26), category="minor_offence"),
    }
    items["referral"] = Referral.objects.create(
        case=items["referred"], police_unit="小店分局", materials="询问笔录", sent_at=at(11, 20),
        sent_by=cast.xiaodian, ack_due=at(11, 21), feedback_due=at(12, 5),
    )  # fmt: skip
    return items


def titles(username) -> list[str]:
    return sorted(title for title, _body in escalations(username))


def test_overdue_dismissals_fees_complaints_and_referrals_escalate_once_each(
    cast, late_work, places
):
    # 27 Nov: the county's education officers hear of all five at once; the minor's case
    # goes to the city at once as well, both as late and as not referred to the police
    # within the campaign's 3 days. The referral's receipt is 6 days late: not yet.
    assert escalated(11, 27) == 8
    assert escalated(11, 27, hour=10) == 0
    school = places.xiaodian.name
    assert titles("xiaodian") == sorted(
        [
            f"清退逾期：{school}（小店区）",
            f"收费违规整改逾期：{school}（小店区）",
            "投诉举报办理逾期：T2023000001（小店区）",
            "投诉举报办理逾期：T2023000003（小店区）",
            "公安移送回执逾期：T2023000002（小店区）",
            "涉未成年人线索逾期未移送公安：T2023000003（小店区）",
        ]
    )
    assert titles("taiyuan") == [
        "投诉举报办理逾期：T2023000003（小店区）",
        "涉未成年人线索逾期未移送公安：T2023000003（小店区）",
    ]
    minor = Notification.objects.get(
        user=cast.taiyuan, kind="escalation", title__startswith="投诉举报"
    )
    assert "立即上报市级" in minor.reason and "T2023000003的反映内容" not in minor.body
    fee = Notification.objects.get(user=cast.xiaodian, title__startswith="收费违规")
    assert fee.body.startswith("1 项收费违规已过整改期限")  # the closed one is not late
    # 28 Nov: the receipt is 7 days late: the city hears of it.
    assert escalated(11, 28) == 1
    assert "公安移送回执逾期：T2023000002（小店区）" in titles("taiyuan")
    referral = late_work["referral"]
    Referral.objects.filter(pk=referral.pk).update(acknowledged_at=at(11, 28, 15))
    # 2 Dec: the dismissal, the fee violation and the complaint are 7 days late: the city.
    assert escalated(12, 2) == 3
    assert len(titles("taiyuan")) == 6
    # 6 Dec: the police's feedback (due 5 Dec) is late now: a new step, a new escalation.
    assert escalated(12, 6) == 1
    assert "公安移送反馈逾期：T2023000002（小店区）" in titles("xiaodian")
    # The dismissal gets a new deadline and misses it too: it goes up again.
    Dismissal.objects.filter(pk=late_work["dismissal"].pk).update(deadline=dt.date(2023, 12, 8))
    assert escalated(12, 9) == 1
    assert titles("xiaodian").count(f"清退逾期：{school}（小店区）") == 2
    # Vetting, fees and complaints are education's: the city's fire staff hear of none.
    assert escalations("taiyuan_fire") == []
    assert not Notification.objects.filter(kind="escalation", reason="").exists()


def test_closed_or_dealt_with_work_does_not_escalate(cast, late_work):
    Dismissal.objects.update(status="closed")
    FeeViolation.objects.update(status="withdrawn")
    Case.objects.filter(number__in=["T2023000001", "T2023000003"]).update(status="closed")
    Referral.objects.update(acknowledged_at=at(11, 21), feedback_at=at(11, 22))
    assert escalated(11, 27) == 0


def test_the_escalation_link_opens_the_overdue_problems_of_that_campaign_and_county(
    cast, two_problems, client
):
    assert escalated(11, 27) == 1
    link = Notification.objects.get(user__username="xiaodian", kind="escalation").link
    assert f"campaign={problem('1.01').task.inspection.round.campaign_id}" in link
    assert "region=140105" in link and "status=overdue" in link
    client.force_login(cast.xiaodian)
    with time_machine.travel(at(11, 27), tick=False):
        page = client.get(link)
    assert page.status_code == 200
    listed = [f.pk for f in page.context["page"].object_list]
    assert sorted(listed) == sorted(Finding.objects.values_list("pk", flat=True))
