"""Corrections to a submitted inspection reach its problem list: a corrected note becomes the
problem's description, an answer corrected to non-compliant becomes a problem in its
department's task, an answer corrected away from non-compliant withdraws its problem."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, RoleGrant
from accounts.scope import scope_for
from inspections import amendments, selectors, services
from inspections.models import Amendment, Answer, Finding, Inspection, RectificationTask, Round
from sampling.models import Assignment, Draw, PoolMember
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_inspections import answer_all, start, submit
from tests.inspections.test_problems import inspected, seed_campaign


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def record(cast, places, campaign):
    """小店区, submitted with one problem: 1.01 (education), due in 7 days."""
    return inspected(cast.xiaodian, places.xiaodian, ("1.01",))


def amend(user, inspection, **kwargs):
    kwargs.setdefault("reason", "现场记录有误")
    return amendments.inspection_amend(
        inspection=inspection, actor=user, scope=scope_for(user), **kwargs
    )


def snapshot(inspection):
    """Everything an amendment may touch, to show a refused one wrote nothing."""
    inspection.refresh_from_db()
    return (
        inspection.result,
        inspection.rectify_deadline,
        inspection.summary,
        sorted(inspection.answers.values_list("item__code", "value", "note")),
        sorted(Finding.objects.values_list("item__code", "status", "description", "deadline")),
        RectificationTask.objects.count(),
        Amendment.objects.count(),
    )


def test_a_corrected_note_becomes_the_open_problems_description(cast, record):
    amendment = amend(cast.xiaodian, record, notes={"1.01": "教室面积不足，每生不到 3 平方米"})
    problem = Finding.objects.get()
    assert problem.description == "教室面积不足，每生不到 3 平方米"
    assert amendment.changes == [
        {"field": "1.01.note", "old": "1.01 现场发现问题", "new": "教室面积不足，每生不到 3 平方米"}
    ]
    assert problem.history.first().history_user == cast.xiaodian


def test_an_answer_corrected_to_non_compliant_becomes_a_problem_in_its_departments_task(
    cast, record
):
    amend(cast.xiaodian, record, values={"2.22": "non_compliant"}, notes={"2.22": "安全出口上锁"})
    fire = record.tasks.get(department="fire")  # made: the inspection had no fire problem
    problem = fire.findings.get()
    assert (problem.item.code, problem.status, problem.description) == (
        "2.22",
        "open",
        "安全出口上锁",
    )
    assert fire.deadline == record.rectify_deadline and problem.deadline is None
    # A major hazard found by a correction alerts as one found on site does.
    alerts = Notification.objects.filter(kind="major_hazard")
    assert sorted(n.user.username for n in alerts) == ["taiyuan", "xiaodian"]
    # A second education problem joins the education task.
    amend(cast.xiaodian, record, values={"1.02": "non_compliant"})
    education = record.tasks.get(department="education")
    assert sorted(f.item.code for f in education.findings.all()) == ["1.01", "1.02"]
    assert RectificationTask.objects.count() == 2


def test_an_answer_corrected_away_withdraws_its_problem_with_the_reason(client, cast, record):
    scope = scope_for(cast.xiaodian)
    amend(cast.xiaodian, record, values={"2.22": "non_compliant"})
    amendment = amend(cast.xiaodian, record, values={"2.22": "compliant"}, reason="误判：门未上锁")
    problem = Finding.objects.get(item__code="2.22")
    assert (problem.status, problem.withdrawn_by) == ("withdrawn", amendment)
    assert problem.task.closed_at is not None  # nothing else to do in the fire task
    # Not a problem any more: not listed, not overdue, not counted, not on the notice.
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        overdue = selectors.finding_list(scope=scope).filter(selectors.overdue_q())
        assert [f.item.code for f in overdue] == ["1.01"]
        client.force_login(cast.xiaodian)
        listed = client.get(reverse("inspections:problems")).context["page"]
        assert [f.item.code for f in listed] == ["1.01"]
        asked = client.get(reverse("inspections:problems"), {"status": "withdrawn"})
        assert [f.item.code for f in asked.context["page"]] == ["2.22"]
        assert selectors.county_progress(scope=scope, region_prefix="140105")["found"] == 1
    notice = client.get(reverse("inspections:notice", args=[record.pk])).content.decode()
    assert problem.item.text not in notice
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert "已撤销" in page and "误判：门未上锁" in page and 'data-testid="verify-form"' not in page
    with pytest.raises(ValidationError, match="撤销"):
        services.finding_report(finding=problem, actor=cast.xiaodian, scope=scope, note="x")
    # Corrected back again: the same problem is reinstated, not a second one.
    amend(cast.xiaodian, record, values={"2.22": "non_compliant"})
    problem.refresh_from_db()
    assert (problem.status, problem.withdrawn_by) == ("open", None)
    assert problem.task.closed_at is None and Finding.objects.count() == 2


def test_a_problem_already_verified_closed_stays_closed(cast, record):
    scope = scope_for(cast.xiaodian)
    problem = Finding.objects.get()
    services.finding_verify(finding=problem, actor=cast.xiaodian, scope=scope, passed=True)
    amend(cast.xiaodian, record, values={"1.01": "compliant"}, result="compliant")
    problem.refresh_from_db()
    assert problem.status == "closed" and problem.withdrawn_by is None
    record.refresh_from_db()
    assert (record.result, record.rectify_deadline) == ("compliant", None)


def test_the_conclusion_must_agree_with_the_corrected_answers(cast, record):
    before = snapshot(record)
    with pytest.raises(ValidationError, match="检查结论一并更正为“合格”"):
        amend(cast.xiaodian, record, values={"1.01": "compliant"})
    assert snapshot(record) == before
    with pytest.raises(ValidationError, match="检查结论不能为“合格”"):
        amend(cast.xiaodian, record, result="compliant")
    assert snapshot(record) == before
    amendment = amend(cast.xiaodian, record, values={"1.01": "na"}, result="compliant")
    assert [c["field"] for c in amendment.changes] == ["1.01.value", "result", "rectify_deadline"]
    assert Finding.objects.get().status == "withdrawn"


def test_a_compliant_record_corrected_to_a_problem_needs_a_conclusion_and_a_deadline(
    cast, places, campaign
):
    record = inspected(cast.xiaodian, places.xiaodian, (), result="compliant")
    before = snapshot(record)
    with pytest.raises(ValidationError, match="检查结论不能为“合格”"):
        amend(cast.xiaodian, record, values={"1.01": "non_compliant"})
    with pytest.raises(ValidationError, match="请填写整改期限"):
        amend(cast.xiaodian, record, values={"1.01": "non_compliant"}, result="rectify")
    assert snapshot(record) == before
    due = timezone.localdate() + dt.timedelta(days=10)
    amend(
        cast.xiaodian, record, values={"1.01": "non_compliant"}, result="rectify",
        rectify_deadline=due,
    )  # fmt: skip
    record.refresh_from_db()
    assert (record.result, record.rectify_deadline) == ("rectify", due)
    problem = Finding.objects.get()
    assert (problem.task.deadline, problem.effective_deadline) == (due, due)


def test_a_problem_found_after_the_deadline_passed_gets_its_own(cast, record):
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        today = timezone.localdate()
        with pytest.raises(ValidationError, match="原整改期限已过"):
            amend(cast.xiaodian, record, values={"1.02": "non_compliant"})
        with pytest.raises(ValidationError, match="不能早于今天"):
            amend(
                cast.xiaodian, record, values={"1.02": "non_compliant"},
                rectify_deadline=today - dt.timedelta(days=1),
            )  # fmt: skip
        amend(
            cast.xiaodian, record, values={"1.02": "non_compliant"},
            rectify_deadline=today + dt.timedelta(days=5),
        )  # fmt: skip
        problem = Finding.objects.get(item__code="1.02")
        assert problem.deadline == today + dt.timedelta(days=5)
        assert not problem.overdue_on(today)
        overdue = Finding.objects.filter(selectors.overdue_q())
        assert [f.item.code for f in overdue] == ["1.01"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "  ", "notes": {"1.01": "x"}}, "请填写更正原因"),
        ({"values": {"1.01": "maybe"}}, "不是有效的检查结果"),
        ({"values": {"9.99": "compliant"}}, "不在这份记录中"),
        ({"values": {"2.08": "compliant"}}, "不是合规判断项"),
        ({"notes": {"1.01": "1.01 现场发现问题"}}, "没有任何改动"),
    ],
)
def test_bad_corrections_are_refused_in_chinese_and_nothing_is_written(
    cast, record, kwargs, message
):
    before = snapshot(record)
    with pytest.raises(ValidationError, match=message):
        amend(cast.xiaodian, record, **kwargs)
    assert snapshot(record) == before


def test_a_draft_is_not_amended(cast, places, campaign):
    draft = services.inspection_start(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    with pytest.raises(ValidationError, match="草稿可以直接修改"):
        amend(cast.xiaodian, draft, summary="x")


def test_an_officer_corrects_only_the_sections_of_their_department(cast, record):
    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    before = snapshot(record)
    with pytest.raises(PermissionDenied):
        amend(fire, record, values={"1.01": "compliant"}, result="compliant")
    assert snapshot(record) == before
    amend(fire, record, values={"2.01": "non_compliant"})
    assert record.tasks.get(department="fire").findings.get().item.code == "2.01"


# -- who may change the conclusion ------------------------------------------------------

# Department users as in the demo: 太原市 fire, province public security, province sports;
# each with an item of their own section to correct and one of another's.
OTHER_DEPARTMENTS = [
    pytest.param(("department_user", "140100", "fire"), "culture_art", "2.01", "1.01", id="fire"),
    pytest.param(
        ("department_user", "140000", "public_security"),
        "culture_art",
        "4.02",
        "1.01",
        id="police",
    ),  # fmt: skip
    pytest.param(("department_user", "140000", "sports"), "sports", "1.05", "2.01", id="sports"),
]


@pytest.mark.parametrize(("grant", "sector", "own", "other"), OTHER_DEPARTMENTS)
def test_another_department_cannot_change_the_conclusion_or_summary(
    client, cast, campaign, grant, sector, own, other
):
    record = inspected(
        cast.xiaodian, InstitutionFactory(county_id="140105", sector=sector), ("1.01",)
    )
    summary = "教育局检查意见：限期整改"
    amend(cast.xiaodian, record, summary=summary)
    user = UserFactory(grant=grant)
    before = snapshot(record)
    with pytest.raises(PermissionDenied):
        amend(user, record, result="suspend")
    with pytest.raises(PermissionDenied):
        amend(user, record, summary="已全部整改，无问题")
    # Nor another section's answers (this already held; kept so it stays so).
    with pytest.raises(PermissionDenied):
        amend(user, record, notes={other: "改写他人检查项"})
    # Not even beside a correction of their own section's answer.
    with pytest.raises(PermissionDenied):
        amend(user, record, values={own: "non_compliant"}, result="suspend")
    client.force_login(user)
    url = reverse("inspections:amend", args=[record.pk])
    for data in (
        {"result": "suspend", "reason": "停业"},
        {"summary": "已全部整改，无问题", "reason": "改写"},
        {"item": own, "value": "non_compliant", "result": "suspend", "reason": "停业"},
    ):
        assert client.post(url, data).status_code == 403
    assert snapshot(record) == before
    # The page offers them their own items, without the conclusion or the summary.
    page = client.get(reverse("inspections:detail", args=[record.pk])).content.decode()
    assert f'<option value="{own}">' in page and f'<option value="{other}">' not in page
    assert 'name="result"' not in page and 'name="summary"' not in page
    # Their own section's answers they still correct.
    response = client.post(
        url, {"item": own, "value": "non_compliant", "note": "复核发现问题", "reason": "复核"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.result, record.summary) == ("rectify", summary)
    assert Answer.objects.get(inspection=record, item__code=own).value == "non_compliant"
    assert Finding.objects.get(item__code=own).description == "复核发现问题"


def test_a_correction_that_would_change_the_conclusion_is_left_to_education(cast, record):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    amend(cast.xiaodian, record, values={"2.22": "non_compliant"})
    amend(cast.xiaodian, record, values={"1.01": "compliant"})
    before = snapshot(record)
    # The last problem withdrawn means the conclusion must become 合格: not fire's to set.
    with pytest.raises(ValidationError, match="检查结论由教育部门更正"):
        amend(fire, record, values={"2.22": "compliant"})
    assert snapshot(record) == before
    amend(cast.xiaodian, record, values={"2.22": "compliant"}, result="compliant")


def test_the_inspections_own_department_still_changes_conclusion_and_summary(client, cast, record):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:detail", args=[record.pk])).content.decode()
    assert 'name="result"' in page and 'name="summary"' in page
    url = reverse("inspections:amend", args=[record.pk])
    assert client.post(url, {"result": "suspend", "reason": "复查仍未整改"}).status_code == 302
    assert client.post(url, {"summary": "责令停业整改", "reason": "补充"}).status_code == 302
    record.refresh_from_db()
    assert (record.result, record.summary) == ("suspend", "责令停业整改")
    # City and province education staff lead it too.
    amend(cast.taiyuan, record, result="rectify")
    amend(cast.province, record, summary="省级督导意见")
    assert Amendment.objects.count() == 4


def test_a_record_made_by_a_department_alone_is_concluded_by_that_department(cast, record):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    sports = UserFactory(grant=("department_user", "140000", "sports"))
    # A joint record (as the demo's) is education's to conclude.
    Inspection.objects.filter(pk=record.pk).update(departments=["education", "fire"])
    record.refresh_from_db()
    assert not scope_for(fire).may_conclude(record)
    assert scope_for(cast.xiaodian).may_conclude(record)
    Inspection.objects.filter(pk=record.pk).update(departments=["fire"])
    record.refresh_from_db()
    assert scope_for(fire).may_conclude(record) and scope_for(cast.xiaodian).may_conclude(record)
    assert not scope_for(sports).may_conclude(record)
    # Only through a grant that reaches the record: 平城区's officer is no lead here.
    assert not scope_for(cast.pingcheng).may_conclude(record)


def test_a_refused_conclusion_leaves_the_public_disclosure_alone(client, cast, record):
    from tests.reporting.test_disclosure import public_page, publish

    campaign = record.round.campaign
    publish(cast.province, campaign)
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    url = reverse("inspections:amend", args=[record.pk])
    assert client.post(url, {"result": "suspend", "reason": "停业"}).status_code == 403
    assert record.institution.name not in public_page(client, campaign)
    # The same correction by the record's own department is what the public page shows.
    amend(cast.xiaodian, record, result="suspend")
    page = public_page(client, campaign)
    assert record.institution.name in page and "停业整改" in page


def test_another_region_is_404_before_the_department_is_asked(client, cast, places, campaign):
    other = inspected(cast.pingcheng, places.pingcheng, ("1.01",))
    before = snapshot(other)
    client.force_login(UserFactory(grant=("department_user", "140100", "fire")))
    url = reverse("inspections:amend", args=[other.pk])
    assert client.post(url, {"result": "suspend", "reason": "停业"}).status_code == 404
    assert (
        client.post(url, {"item": "2.01", "value": "non_compliant", "reason": "x"}).status_code
        == 404
    )
    assert snapshot(other) == before


# -- the page ---------------------------------------------------------------------------


def test_the_submitted_record_offers_a_correction_per_item(client, cast, record):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:detail", args=[record.pk])).content.decode()
    assert 'data-testid="amend-item-form"' in page and '<option value="1.01">' in page
    response = client.post(
        reverse("inspections:amend", args=[record.pk]),
        {
            "item": "1.01",
            "value": "",
            "note": "消防通道堆放杂物",
            "result": "",
            "reason": "补充描述",
        },
    )
    assert response.status_code == 302
    assert Finding.objects.get().description == "消防通道堆放杂物"
    response = client.post(
        reverse("inspections:amend", args=[record.pk]),
        {"item": "1.01", "value": "compliant", "result": "compliant", "reason": "误判"},
        follow=True,
    )
    assert "更正已记录" in response.content.decode()
    assert Finding.objects.get().status == "withdrawn"
    page = response.content.decode()
    assert "1.01 检查结果：不合规 → 合规" in page and "检查结论：限期整改 → 合格" in page


def test_a_bad_correction_on_the_page_is_explained_and_writes_nothing(client, cast, record):
    client.force_login(cast.xiaodian)
    before = snapshot(record)
    for data, message in (
        ({"item": "1.01", "value": "compliant", "reason": ""}, "请填写更正原因"),
        ({"item": "1.02", "value": "non_compliant", "reason": "x", "rectify_deadline": "下周"},
         "整改期限格式不正确"),
        ({"item": "1.01", "value": "compliant", "reason": "误判"}, "检查结论一并更正"),
    ):  # fmt: skip
        response = client.post(reverse("inspections:amend", args=[record.pk]), data, follow=True)
        assert message in response.content.decode()
    assert snapshot(record) == before


def test_correcting_another_countys_record_is_404_and_a_wrong_role_403(
    client, cast, places, record
):
    other = inspected(cast.pingcheng, places.pingcheng, ("1.01",))
    before = snapshot(other)
    data = {"item": "1.01", "value": "compliant", "result": "compliant", "reason": "x"}
    client.force_login(cast.xiaodian)
    assert client.post(reverse("inspections:amend", args=[other.pk]), data).status_code == 404
    client.force_login(cast.auditor)
    assert client.post(reverse("inspections:amend", args=[record.pk]), data).status_code == 403
    client.force_login(UserFactory(grant=("county_officer", "140105", "fire")))
    assert client.post(reverse("inspections:amend", args=[record.pk]), data).status_code == 403
    assert snapshot(other) == before
    assert Finding.objects.get(task__inspection=record).status == "open"
    assert Answer.objects.get(inspection=record, item__code="1.01").value == "non_compliant"
    assert Inspection.objects.get(pk=record.pk).result == "rectify"


# -- in a browser, on a phone -------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_an_officer_corrects_an_item_and_its_problem_is_withdrawn(
    page, live_server, cast, places
):
    from playwright.sync_api import expect

    from tests.accounts.test_browser import log_in

    seed_campaign()
    record = inspected(cast.xiaodian, places.xiaodian, ("1.01", "1.02"))
    log_in(page, live_server, "xiaodian")
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(live_server.url + reverse("inspections:detail", args=[record.pk]))
    form = page.get_by_test_id("amend-item-form")
    form.get_by_label("检查项").select_option("1.02")
    form.get_by_text("合规", exact=True).click()
    form.get_by_label("更正原因").fill("复核照片，该项实际合规")
    form.get_by_role("button", name="提交检查项更正").click()
    expect(page.get_by_text("更正已记录")).to_be_visible()
    expect(page.get_by_test_id("amendments")).to_contain_text("1.02 检查结果：不合规 → 合规")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(live_server.url + reverse("inspections:problems"))
    expect(page.get_by_test_id("problem-count")).to_have_text("共 1 个问题")
    page.goto(live_server.url + reverse("inspections:problems") + "?status=withdrawn")
    page.get_by_test_id("problem-cards").get_by_role("link").first.click()
    expect(page.get_by_test_id("withdrawn-reason")).to_contain_text("复核照片，该项实际合规")


# -- who leads a shared draft: only departments whose grant reaches the institution ------


def test_a_draft_fire_started_and_education_filled_is_concluded_by_education(
    cast, places, campaign
):
    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    draft = start(fire, places.xiaodian)
    assert draft.departments == ["fire"]
    answer_all(cast.xiaodian, draft)
    draft.refresh_from_db()
    assert draft.departments == ["education", "fire"]
    # Education took part, so education leads: fire may no longer set the conclusion.
    assert not scope_for(fire).may_conclude(draft)
    with pytest.raises(PermissionDenied):
        submit(fire, draft, result="suspend")
    draft.refresh_from_db()
    assert (draft.status, draft.result) == ("draft", "")
    submit(cast.xiaodian, draft, result="compliant")


def test_a_grant_that_does_not_reach_the_institution_adds_no_department(cast, places, campaign):
    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    RoleGrant.objects.create(
        user=fire, role="county_officer", region_id="140213", department="public_security"
    )
    RoleGrant.objects.create(user=fire, role="county_officer", region_id="140213")  # education
    draft = start(fire, places.xiaodian)
    answer_all(fire, draft)
    draft.refresh_from_db()
    assert draft.departments == ["fire"]
    answer_all(cast.xiaodian, draft)
    draft.refresh_from_db()
    # Their education grant in 平城区 makes them no lead of a 小店区 record.
    assert draft.departments == ["education", "fire"]
    assert not scope_for(fire).may_conclude(draft)
    with pytest.raises(PermissionDenied):
        submit(fire, draft, result="suspend")


def test_a_drawn_inspector_acts_only_for_the_department_they_were_drawn_for(cast, places, campaign):
    round_ = Round.objects.create(campaign=campaign, level="city", region_id="140100")
    fire = UserFactory(grant=("county_officer", "140106", "fire"))
    RoleGrant.objects.create(user=fire, role="county_officer", region_id="140213")  # education
    PoolMember.objects.create(
        round=round_, user=fire, department="fire", home_region_id="140106", added_by=cast.taiyuan
    )
    draw = Draw.objects.create(
        round=round_, status="confirmed", algorithm="test", seed="1", frame_size=1,
        frame_sha256="0" * 64, required_institutions=1,
    )  # fmt: skip
    assignment = Assignment.objects.create(
        draw=draw, round=round_, institution=places.xiaodian, kind="random"
    )
    assignment.inspectors.add(fire)
    draft = start(fire, places.xiaodian)
    assert (draft.round, draft.departments) == (round_, ["fire"])
    answer_all(cast.xiaodian, draft)
    draft.refresh_from_db()
    assert draft.departments == ["education", "fire"]
    # Drawn as a fire officer: their education grant elsewhere does not lead the record.
    assert not scope_for(fire).may_conclude(draft)
    with pytest.raises(PermissionDenied):
        submit(fire, draft, result="suspend")
    submit(cast.xiaodian, draft, result="compliant")
