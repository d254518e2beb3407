"""The county phase is 排查整改 (the notice: 县级在11月底前完成对辖区内所有培训机构的排查整改工作):
a county is done when every institution is screened AND every problem screening found is
closed, or still rectifying inside the deadline the county set. A deadline after the phase's
end needs a written reason. Staff records complete on the national platform are counted on
the boards and in the city summary figures."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.scope import scope_for
from campaign.selectors import campaign_scope
from clock import jobs
from clock.models import RegionOverdue
from clock.selectors import screening_behind
from core.models import Region
from inspections import amendments, services
from inspections.models import Finding, Inspection
from progress import dashboards
from reporting.selectors_summary import city_figures
from reporting.tables_summary import county_table, key_figures
from tests.clock.test_clock import screened
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory
from tests.inspections.test_inspections import answer_all, photograph, start
from tests.inspections.test_problems import inspected, seed_campaign

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REASON = "需更换整套消防器材，厂家供货周期约三周"


def at(month, day, hour=9):
    return dt.datetime(2023, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cr"}
    }


@pytest.fixture
def campaign(regions):
    return seed_campaign()


def county_board(user, code, today):
    return dashboards.region_board(
        scope=scope_for(user), region=Region.objects.get(code=code), today=today
    )


def behind(campaign, today) -> dict:
    return screening_behind(campaign, campaign_scope(campaign), today=today)


def close(user, finding):
    scope = scope_for(user)
    services.finding_report(finding=finding, actor=user, scope=scope, note="已整改")
    services.finding_verify(finding=finding, actor=user, scope=scope, passed=True, note="合格")


# -- the done rule --------------------------------------------------------------------------


def test_screened_with_problems_open_past_their_deadline_is_not_done(cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
    # Every institution of 小店区 is screened; on 1 Dec both problems are 6 days overdue.
    figures = county_board(cast.xiaodian, "140105", dt.date(2023, 12, 1)).total
    assert (figures.screened, figures.total) == (1, 1)
    assert (figures.screening_closed, figures.screening_found, figures.screening_late) == (0, 2, 2)
    assert not figures.done
    late = behind(campaign, dt.date(2023, 12, 1))
    assert late["140105"].missing == "小店区：排查发现的问题中 2 项逾期未销号"
    assert "status=overdue" in late["140105"].link


def test_screened_with_every_problem_closed_is_done(cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
    with time_machine.travel(at(11, 24), tick=False):
        for finding in Finding.objects.all():
            close(cast.xiaodian, finding)
    figures = county_board(cast.province, "140105", dt.date(2023, 12, 1)).total
    assert (figures.screening_closed, figures.screening_found, figures.screening_late) == (2, 2, 0)
    assert figures.done
    assert "140105" not in behind(campaign, dt.date(2023, 12, 1))


def test_open_but_inside_the_deadline_the_county_set_is_done(cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=20)  # due 10 Dec
    finding = Finding.objects.get()
    assert finding.deadline_reason == "需更换消防设施，供货周期长，整改期限顺延"
    figures = county_board(cast.xiaodian, "140105", dt.date(2023, 12, 1)).total
    assert figures.done and figures.screening_late == 0 and figures.screening_closed == 0
    assert "140105" not in behind(campaign, dt.date(2023, 12, 1))
    # Past that deadline and still open: not done.
    assert "140105" in behind(campaign, dt.date(2023, 12, 11))


def test_spot_check_problems_do_not_count_against_the_county_phase(cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        screened(cast.xiaodian, places.xiaodian)
        inspected(cast.taiyuan, places.xiaodian, codes=("1.01",), days=3)  # the city's own
    figures = county_board(cast.taiyuan, "140105", dt.date(2023, 12, 1)).total
    assert figures.overdue == 1 and figures.screening_found == 0 and figures.done


# -- the clock -----------------------------------------------------------------------------


def test_the_job_flags_open_screening_problems_only_after_the_phase_end_and_once(
    cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=5)
        screened(cast.pingcheng, places.pingcheng)
        screened(UserFactory(grant=("county_officer", "140106")), places.yingze)
    # 30 Nov is the phase's last day: no flag yet.
    assert jobs.run_campaign_jobs(campaign=campaign, now=at(11, 30)).overdue == 0
    assert not RegionOverdue.objects.exists()
    tally = jobs.run_campaign_jobs(campaign=campaign, now=at(12, 1))
    assert tally.overdue == 1
    assert jobs.run_campaign_jobs(campaign=campaign, now=at(12, 1, 10)).overdue == 0
    flag = RegionOverdue.objects.get()
    assert flag.region_id == "140105" and flag.cleared_at is None
    assert flag.missing == "小店区：排查发现的问题中 1 项逾期未销号"
    # Closed on 3 Dec: the next run clears the flag and raises nothing new.
    with time_machine.travel(at(12, 3), tick=False):
        close(cast.xiaodian, Finding.objects.get())
    assert jobs.run_campaign_jobs(campaign=campaign, now=at(12, 4)).overdue == 0
    flag.refresh_from_db()
    assert flag.cleared_at == at(12, 4)


# -- a deadline after the phase's end needs a reason ------------------------------------------


def draft_with_problem(user, institution):
    inspection = start(user, institution)
    answer_all(user, inspection, non_compliant=("1.01",))
    photograph(user, inspection, "1.01")
    inspection.refresh_from_db()
    return inspection


def submit(user, inspection, deadline, reason=""):
    return services.inspection_submit(
        inspection=inspection, actor=user, scope=scope_for(user), version=inspection.version,
        result="rectify", rectify_deadline=deadline, deadline_reason=reason,
    )  # fmt: skip


def nothing_written(inspection):
    inspection.refresh_from_db()
    assert inspection.status == "draft"
    assert not Finding.objects.exists()
    assert not AuditEvent.objects.filter(detail__change="rectify_deadline_after_phase").exists()


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由"),
        ("   ", "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由"),
        ("供货\x00延迟", "不能包含控制字符：第 3 个字符是空字符"),
        ("供货\x1b延迟", "不能包含控制字符"),
        ("很" * 501, "整改期限的理由不能超过 500 个字"),
    ],
)
def test_a_deadline_after_the_phase_without_a_usable_reason_is_refused(
    cast, places, campaign, reason, message
):
    with time_machine.travel(at(11, 20), tick=False):
        inspection = draft_with_problem(cast.xiaodian, places.xiaodian)
        with pytest.raises(ValidationError) as caught:
            submit(cast.xiaodian, inspection, dt.date(2023, 12, 5), reason)
    assert any(m.startswith(message) for m in caught.value.messages)
    nothing_written(inspection)


def test_a_deadline_after_the_phase_with_a_reason_is_kept_shown_and_audited(
    client, cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        inspection = draft_with_problem(cast.xiaodian, places.xiaodian)
        submit(cast.xiaodian, inspection, dt.date(2023, 12, 5), f"  {REASON}  ")
        finding = Finding.objects.get()
        assert finding.deadline_reason == REASON
        event = AuditEvent.objects.get(detail__change="rectify_deadline_after_phase")
        assert (event.actor, event.reason, event.object_id) == (
            cast.xiaodian,
            REASON,
            str(inspection.pk),
        )
        assert event.detail["deadline"] == "2023-12-05"
        assert event.detail["findings"] == [finding.pk]
        # The city reads it on the problem.
        client.force_login(cast.taiyuan)
        page = client.get(reverse("inspections:finding", args=[finding.pk])).content.decode()
    assert 'data-testid="deadline-reason-shown"' in page and REASON in page


def test_a_deadline_inside_the_phase_needs_no_reason_and_keeps_none(cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        inspection = draft_with_problem(cast.xiaodian, places.xiaodian)
        submit(cast.xiaodian, inspection, dt.date(2023, 11, 30), "用不上的理由")
    assert Finding.objects.get().deadline_reason == ""
    assert not AuditEvent.objects.filter(detail__change="rectify_deadline_after_phase").exists()


def test_the_submit_page_refuses_a_late_deadline_without_reason_in_chinese(
    client, cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        inspection = draft_with_problem(cast.xiaodian, places.xiaodian)
        client.force_login(cast.xiaodian)
        form = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
        assert (
            'data-phase-deadline="2023-11-30"' in form and 'data-testid="deadline-reason"' in form
        )
        response = client.post(
            reverse("inspections:submit", args=[inspection.pk]),
            {"version": inspection.version, "result": "rectify", "rectify_deadline": "2023-12-05"},
        )
        assert response.status_code == 400
        assert (
            "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由"
            in response.content.decode()
        )
        nothing_written(inspection)
        response = client.post(
            reverse("inspections:submit", args=[inspection.pk]),
            {"version": inspection.version, "result": "rectify", "rectify_deadline": "2023-12-05",
             "deadline_reason": REASON},
        )  # fmt: skip
    assert response.status_code == 302
    assert Finding.objects.get().deadline_reason == REASON


def test_a_send_back_after_the_phase_needs_a_reason_and_an_outsider_gets_404(
    client, cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=5)
    finding = Finding.objects.get()
    url = reverse("inspections:finding_verify", args=[finding.pk])
    send_back = {"passed": "no", "note": "仍不合格", "deadline": "2023-12-08"}
    with time_machine.travel(at(11, 28), tick=False):
        # Another county's officer: the same 404 as a missing problem, nothing changed.
        client.force_login(cast.pingcheng)
        assert client.post(url, {**send_back, "deadline_reason": REASON}).status_code == 404
        client.force_login(cast.xiaodian)
        refused = client.post(url, send_back)
        assert refused.status_code == 400
        assert (
            "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由" in refused.content.decode()
        )
        finding.refresh_from_db()
        assert (finding.status, finding.deadline, finding.reopened_count) == ("open", None, 0)
        assert client.post(url, {**send_back, "deadline_reason": REASON}).status_code == 302
    finding.refresh_from_db()
    assert (finding.deadline, finding.deadline_reason) == (dt.date(2023, 12, 8), REASON)
    event = AuditEvent.objects.get(detail__change="rectify_deadline_after_phase")
    assert event.object_id == str(finding.pk) and event.reason == REASON


def test_after_the_campaign_no_reason_is_asked(cast, places, campaign):
    """Once the campaign has ended its phase figures are history: nothing to explain."""
    with time_machine.travel(at(11, 20), tick=False):
        inspection = draft_with_problem(cast.xiaodian, places.xiaodian)
    with time_machine.travel(dt.datetime(2024, 1, 10, 9, tzinfo=SHANGHAI), tick=False):
        inspection.refresh_from_db()
        submit(cast.xiaodian, inspection, dt.date(2024, 1, 20))
    assert Inspection.objects.get().status == "submitted"


# -- a correction that makes a problem: the same rule ----------------------------------------


def amend(user, inspection, **kwargs):
    kwargs.setdefault("reason", "现场记录有误")
    return amendments.inspection_amend(
        inspection=inspection, actor=user, scope=scope_for(user), **kwargs
    )


def late_events():
    return AuditEvent.objects.filter(detail__change="rectify_deadline_after_phase")


def amend_snapshot(inspection):
    inspection.refresh_from_db()
    return (
        inspection.result,
        inspection.rectify_deadline,
        sorted(inspection.answers.values_list("item__code", "value")),
        sorted(Finding.objects.values_list("item__code", "status", "deadline", "deadline_reason")),
        sorted(inspection.tasks.values_list("department", "deadline")),
        inspection.amendments.count(),
        late_events().count(),
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由"),
        ("供货\x00延迟", "不能包含控制字符"),
        ("很" * 501, "整改期限的理由不能超过 500 个字"),
    ],
)
def test_a_correction_making_a_problem_due_after_the_phase_needs_a_usable_reason(
    cast, places, campaign, reason, message
):
    with time_machine.travel(at(11, 20), tick=False):
        record = inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=5)
        before = amend_snapshot(record)
        with pytest.raises(ValidationError) as caught:
            amend(cast.xiaodian, record, values={"2.22": "non_compliant"},
                  rectify_deadline=dt.date(2023, 12, 5), deadline_reason=reason)  # fmt: skip
    assert any(m.startswith(message) for m in caught.value.messages)
    assert amend_snapshot(record) == before


def test_a_correction_making_a_problem_due_after_the_phase_keeps_and_audits_the_reason(
    cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        record = inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=5)
        amendment = amend(cast.xiaodian, record, values={"2.22": "non_compliant"},
                          rectify_deadline=dt.date(2023, 12, 5), deadline_reason=f" {REASON} ")  # fmt: skip
        problem = Finding.objects.get(item__code="2.22")
        assert (problem.effective_deadline, problem.deadline_reason) == (
            dt.date(2023, 12, 5),
            REASON,
        )
        event = late_events().get()
        assert (event.actor, event.reason, event.object_id) == (
            cast.xiaodian, REASON, str(record.pk),
        )  # fmt: skip
        assert event.detail["deadline"] == "2023-12-05"
        assert event.detail["findings"] == [problem.pk]
        assert event.detail["amendment"] == amendment.pk
        # Withdrawn and reinstated with its deadline unchanged: it keeps its own reason.
        amend(cast.xiaodian, record, values={"2.22": "compliant"})
        amend(cast.xiaodian, record, values={"2.22": "non_compliant"})
        problem.refresh_from_db()
        assert (problem.status, problem.deadline_reason) == ("open", REASON)
        # Reinstated with a new deadline inside the phase: nothing to explain, none kept.
        amend(cast.xiaodian, record, values={"2.22": "compliant"})
        amend(cast.xiaodian, record, values={"2.22": "non_compliant"},
              rectify_deadline=dt.date(2023, 11, 29))  # fmt: skip
        problem.refresh_from_db()
        assert (problem.effective_deadline, problem.deadline_reason) == (dt.date(2023, 11, 29), "")


def test_a_problem_joining_a_task_due_after_the_phase_takes_its_reason_or_needs_one(
    client, cast, places, campaign
):
    with time_machine.travel(at(11, 20), tick=False):
        # Due 10 Dec with the reason given at submit (tests/inspections/test_inspections.py LATE_REASON).
        record = inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=20)
        # With a task already due after the phase, the reason box shows with no date typed.
        client.force_login(cast.xiaodian)
        page = client.get(reverse("inspections:detail", args=[record.pk])).content.decode()
        form = page.split('data-testid="amend-item-form"')[1].split("</form>")[0]
        assert 'name="deadline_reason"' in form and "data-phase-deadline" not in form
        submitted = Finding.objects.get().deadline_reason
        assert submitted
        amend(cast.xiaodian, record, values={"1.02": "non_compliant"})
        joined = Finding.objects.get(item__code="1.02")
        assert (joined.effective_deadline, joined.deadline_reason) == (
            dt.date(2023, 12, 10),
            submitted,
        )
        # Submit logged the task's deadline; the correction logs the problem it added.
        assert late_events().order_by("pk").last().detail["findings"] == [joined.pk]
        # A task whose late deadline has no reason on record: the correction must give one.
        Finding.objects.update(deadline_reason="")
        before = amend_snapshot(record)
        with pytest.raises(ValidationError, match="请写明理由"):
            amend(cast.xiaodian, record, values={"1.03": "non_compliant"})
        assert amend_snapshot(record) == before
        amend(cast.xiaodian, record, values={"1.03": "non_compliant"}, deadline_reason=REASON)
    assert Finding.objects.get(item__code="1.03").deadline_reason == REASON


def test_the_correction_form_asks_the_reason_and_passes_it_through(client, cast, places, campaign):
    with time_machine.travel(at(11, 20), tick=False):
        record = inspected(cast.xiaodian, places.xiaodian, codes=("1.01",), days=5)
        client.force_login(cast.xiaodian)
        page = client.get(reverse("inspections:detail", args=[record.pk])).content.decode()
        form = page.split('data-testid="amend-item-form"')[1].split("</form>")[0]
        assert 'data-testid="deadline-reason"' in form and 'name="deadline_reason"' in form
        assert 'data-phase-deadline="2023-11-30"' in form and "js/deadline_reason.js" in page
        url = reverse("inspections:amend", args=[record.pk])
        data = {"item": "2.22", "value": "non_compliant", "reason": "复核发现出口上锁",
                "rectify_deadline": "2023-12-05"}  # fmt: skip
        refused = client.post(url, data, follow=True).content.decode()
        assert "整改期限晚于县级排查整改截止日期（2023-11-30），请写明理由" in refused
        assert not Finding.objects.filter(item__code="2.22").exists()
        assert client.post(url, {**data, "deadline_reason": REASON}).status_code == 302
    assert Finding.objects.get(item__code="2.22").deadline_reason == REASON


# -- staff records complete on the national platform -------------------------------------------


@pytest.fixture
def staff(cast, places, campaign):
    """小店区: 3 staff, 2 with complete platform records; 平城区: 2, 1 complete; one who left
    before the campaign (not counted)."""
    for complete in (True, True, None):
        StaffFactory(institution=places.xiaodian, platform_complete=complete)
    StaffFactory(institution=places.xiaodian, platform_complete=True,
                 employed_until=dt.date(2023, 9, 1))  # fmt: skip
    StaffFactory(institution=places.pingcheng, platform_complete=True)
    StaffFactory(institution=places.pingcheng, platform_complete=False)


def test_platform_complete_is_counted_per_county_on_every_board(cast, staff):
    today = dt.date(2023, 12, 1)
    county = county_board(cast.xiaodian, "140105", today).total
    assert (county.staff_platform, county.staff) == (2, 3)
    city = county_board(cast.taiyuan, "140100", today)
    assert (city.total.staff_platform, city.total.staff) == (2, 3)  # 平城区 is not 太原市's
    province = county_board(cast.province, "140000", today)
    by_city = {f.code: (f.staff_platform, f.staff) for f in province.children}
    assert by_city["140100"] == (2, 3) and by_city["140200"] == (1, 2)
    assert (province.total.staff_platform, province.total.staff) == (3, 5)


def test_a_role_without_staff_view_sees_no_staff_figures(cast, staff):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    board = county_board(fire, "140100", dt.date(2023, 12, 1))
    assert (board.total.staff_platform, board.total.staff) == (0, 0)


def test_platform_complete_is_in_the_city_summary_figures_and_tables(cast, staff, campaign):
    with time_machine.travel(at(12, 15), tick=False):
        figures = city_figures(campaign=campaign, city=Region.objects.get(code="140100"))
    rows = {r["code"]: r for r in figures["counties"]}
    assert (rows["140105"]["staff_platform"], rows["140105"]["staff"]) == (2, 3)
    assert figures["total"]["staff_platform"] == 2
    assert figures["personnel"]["platform_complete"] == 2
    labels = {label: value for _group, items in key_figures(figures) for label, value in items}
    assert labels["全国平台信息完整"] == 2
    headers, table = county_table(figures)
    column = headers.index("平台信息完整")
    assert table[-1][column] == 2
    # Figures frozen before the count existed still read.
    old = {**figures, "personnel": {k: v for k, v in figures["personnel"].items()
                                    if k != "platform_complete"}}  # fmt: skip
    labels = {label: value for _group, items in key_figures(old) for label, value in items}
    assert labels["全国平台信息完整"] == "—"


# -- the board page ------------------------------------------------------------------------


def test_the_county_board_shows_screened_and_rectified(client, cast, places, campaign, staff):
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
    with time_machine.travel(at(12, 1), tick=False):
        close(cast.xiaodian, Finding.objects.get(item__code="1.01"))
        client.force_login(cast.xiaodian)
        page = client.get(reverse("home")).content.decode()
        assert '<span data-testid="screened">1 / 1</span>' in page
        assert '<span data-testid="rectified">1 / 2</span>' in page
        assert "排查整改未完成" in page and "1 项排查问题逾期未销号" in page
        assert '<span data-testid="staff-platform">2 / 3</span>' in page
        client.force_login(cast.taiyuan)
        city = client.get(reverse("home")).content.decode()
    assert 'data-testid="rectified-140105">1 / 2' in city
    assert 'data-testid="platform-140105">2 / 3' in city
