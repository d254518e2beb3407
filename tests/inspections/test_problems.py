"""The problem list, its export, report and re-inspection through the pages, the
rectification notice, and the inspection and rectification API."""

import datetime as dt
import io
from urllib.parse import quote

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import scope_for
from campaign.services import campaign_seed_2023
from inspections import selectors, services
from inspections.models import Finding, Inspection
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_inspections import answer_all, photograph, start, submit

# -- building submitted inspections: the helpers of test_inspections.py ----------------


def seed_campaign():
    return campaign_seed_2023(province_code="140000")[0]


def inspected(user, institution, codes=("1.01", "2.22"), *, days=7, result="rectify"):
    """A submitted inspection whose `codes` are non-compliant, each with a photo."""
    inspection = start(user, institution)
    answer_all(user, inspection, non_compliant=codes)
    for code in codes:
        photograph(user, inspection, code)
    return submit(user, inspection, result=result, days=days)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def both(cast, places, campaign):
    """Problems 1.01 (education, general) and 2.22 (fire, major) in 小店区 and in 平城区."""
    return (
        inspected(cast.xiaodian, places.xiaodian),
        inspected(cast.pingcheng, places.pingcheng),
    )


def finding(institution, code) -> Finding:
    return Finding.objects.get(task__institution=institution, item__code=code)


def listed(client, **params) -> list[tuple[str, str]]:
    response = client.get(reverse("inspections:problems"), params)
    assert response.status_code == 200
    return [(f.task.institution.name, f.item.code) for f in response.context["page"]]


# -- the problem list -------------------------------------------------------------------


def test_the_list_shows_the_county_problems_only_with_the_major_hazard_badge(
    client, cast, places, both
):
    client.force_login(cast.xiaodian)
    body = client.get(reverse("inspections:problems")).content.decode()
    assert places.xiaodian.name in body and "重大隐患" in body
    assert "平城" not in body and places.pingcheng.credit_code not in body
    assert sorted(listed(client)) == [
        (places.xiaodian.name, "1.01"),
        (places.xiaodian.name, "2.22"),
    ]


def test_the_filters_narrow_the_list(client, cast, places, both):
    client.force_login(cast.province)
    assert len(listed(client)) == 4
    assert {c for _n, c in listed(client, section="二")} == {"2.22"}
    assert {c for _n, c in listed(client, severity="major")} == {"2.22"}
    assert {c for _n, c in listed(client, department="education")} == {"1.01"}
    assert {n for n, _c in listed(client, region="140105")} == {places.xiaodian.name}
    assert {n for n, _c in listed(client, region="140200")} == {places.pingcheng.name}
    assert {n for n, _c in listed(client, q="启明")} == {places.pingcheng.name}
    week = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert len(listed(client, deadline_from=week, deadline_to=week)) == 4
    assert listed(client, deadline_to=timezone.localdate().isoformat()) == []
    services.finding_report(
        finding=finding(places.xiaodian, "1.01"), actor=cast.xiaodian,
        scope=scope_for(cast.xiaodian), note="已整改",
    )  # fmt: skip
    assert listed(client, status="reported") == [(places.xiaodian.name, "1.01")]
    # A value that is not a choice is ignored rather than emptying the list.
    assert len(listed(client, section="九")) == 4


def test_the_overdue_filter_lists_open_problems_past_their_deadline(client, cast, places, both):
    scope = scope_for(cast.xiaodian)
    closed = finding(places.xiaodian, "1.01")
    services.finding_report(finding=closed, actor=cast.xiaodian, scope=scope, note="已整改")
    services.finding_verify(finding=closed, actor=cast.xiaodian, scope=scope, passed=True)
    client.force_login(cast.xiaodian)
    assert listed(client, status="overdue") == []
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        client.force_login(cast.xiaodian)
        assert listed(client, status="overdue") == [(places.xiaodian.name, "2.22")]
        body = client.get(reverse("inspections:problems")).content.decode()
        assert body.count('data-testid="overdue"') == 2  # card and table row of 2.22 only


def test_the_list_takes_the_same_number_of_queries_for_5_and_60_problems(
    client, cast, places, campaign
):
    codes = [f"1.{n:02d}" for n in range(1, 13)] + [f"2.{n:02d}" for n in range(20, 32)]
    inspected(cast.xiaodian, places.xiaodian, codes[:5])
    client.force_login(cast.xiaodian)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("inspections:problems")).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        inspected(cast.xiaodian, InstitutionFactory(county_id="140105"), codes[:19])
    assert Finding.objects.count() == 62
    assert queries() == few


# -- the export -------------------------------------------------------------------------


def test_the_export_has_chinese_headers_no_formulas_and_is_audited(client, cast, places, both):
    Finding.objects.filter(item__code="2.22").update(description='=HYPERLINK("http://x")')
    client.force_login(cast.xiaodian)
    response = client.get(reverse("inspections:problems_export"), {"severity": "major"})
    assert response.status_code == 200
    assert quote("问题清单") in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1] == [
        "机构名称", "统一社会信用代码", "所在县区", "检查日期", "检查项编号", "检查内容", "板块",
        "严重程度", "问题描述", "整改要求", "责任部门", "整改期限", "状态", "是否逾期", "复查时间",
        "复查意见", "撤销原因",
    ]  # fmt: skip
    assert len(rows) == 3  # title, header, the one major hazard in 小店区
    line = dict(zip(rows[1], rows[2], strict=True))
    assert line["机构名称"] == places.xiaodian.name and line["所在县区"] == "小店区"
    assert line["检查项编号"] == "2.22" and line["严重程度"] == "重大隐患"
    assert line["问题描述"] == '\'=HYPERLINK("http://x")'
    assert line["责任部门"] == "消防救援" and line["状态"] == "待整改" and line["是否逾期"] == "否"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row), (
        "no cell may be a formula"
    )
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert event.actor == cast.xiaodian and event.detail["ledger"] == "problems"
    assert event.detail["filters"] == {"severity": "major"}


def test_the_csv_export_stays_inside_the_scope(client, cast, places, both):
    client.force_login(cast.taiyuan)
    response = client.get(reverse("inspections:problems_export"), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert places.xiaodian.name in text and "平城" not in text


# -- report and re-inspection -------------------------------------------------------------


def test_an_officer_records_the_fix_and_closes_the_problem(client, cast, places, both):
    problem = finding(places.xiaodian, "1.01")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert 'data-testid="report-form"' in page and 'data-testid="verify-form"' in page
    response = client.post(
        reverse("inspections:finding_report", args=[problem.pk]), {"note": "已更换灭火器"}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.report_note) == ("reported", "已更换灭火器")
    response = client.post(
        reverse("inspections:finding_verify", args=[problem.pk]),
        {"passed": "yes", "note": "复查合格"},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.verified_by, problem.verify_note) == (
        "closed", cast.xiaodian, "复查合格",
    )  # fmt: skip
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert "已复查销号" in page and 'data-testid="verify-form"' not in page


def test_a_failed_reinspection_sends_the_problem_back(client, cast, places, both):
    problem = finding(places.xiaodian, "1.01")
    client.force_login(cast.xiaodian)
    client.post(reverse("inspections:finding_report", args=[problem.pk]), {"note": "已整改"})
    new_deadline = timezone.localdate() + dt.timedelta(days=20)
    response = client.post(
        reverse("inspections:finding_verify", args=[problem.pk]),
        {"passed": "no", "note": "灭火器仍过期", "deadline": new_deadline.isoformat()},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.reopened_count) == ("open", 1)
    assert problem.deadline == new_deadline and problem.effective_deadline == new_deadline
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert f"整改期限改为 {new_deadline:%Y-%m-%d}" in page and "灭火器仍过期" in page
    assert 'data-testid="original-deadline"' in page


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("finding_report", {"note": "   "}, "请填写整改情况"),
        ("finding_verify", {"note": "看过了"}, "请选择复查结论"),
        ("finding_verify", {"passed": "no", "note": ""}, "退回时请写明未整改到位的情况"),
        ("finding_verify", {"passed": "no", "note": "仍未整改"}, "退回整改时请填写新的整改期限"),
        (
            "finding_verify",
            {"passed": "no", "note": "仍未整改", "deadline": "2020-01-01"},
            "新的整改期限不能早于今天",
        ),
        (
            "finding_verify",
            {"passed": "no", "note": "仍未整改", "deadline": "下周"},
            "整改期限格式不正确",
        ),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    client, cast, places, both, action, data, message
):
    problem = finding(places.xiaodian, "1.01")
    client.force_login(cast.xiaodian)
    response = client.post(reverse(f"inspections:{action}", args=[problem.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    problem.refresh_from_db()
    assert (problem.status, problem.report_note, problem.verified_at) == ("open", "", None)
    assert (problem.deadline, problem.reopened_count) == (None, 0)


def test_a_closed_problem_cannot_be_reported_again(client, cast, places, both):
    problem = finding(places.xiaodian, "1.01")
    scope = scope_for(cast.xiaodian)
    services.finding_verify(finding=problem, actor=cast.xiaodian, scope=scope, passed=True)
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("inspections:finding_report", args=[problem.pk]), {"note": "再报一次"}
    )
    assert response.status_code == 400 and "该问题已复查销号" in response.content.decode()
    problem.refresh_from_db()
    assert (problem.status, problem.report_note) == ("closed", "")


def test_another_countys_problem_is_404_and_unchanged(client, cast, places, both):
    problem = finding(places.pingcheng, "1.01")
    client.force_login(cast.xiaodian)
    assert client.get(reverse("inspections:finding", args=[problem.pk])).status_code == 404
    for action, data in (("finding_report", {"note": "x"}), ("finding_verify", {"passed": "yes"})):
        response = client.post(reverse(f"inspections:{action}", args=[problem.pk]), data)
        assert response.status_code == 404
    problem.refresh_from_db()
    assert (problem.status, problem.report_note, problem.verified_at) == ("open", "", None)


def test_a_fire_officer_sees_section_two_only_and_cannot_close_others(client, cast, places, both):
    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    client.force_login(fire)
    assert listed(client) == [(places.xiaodian.name, "2.22")]
    education = finding(places.xiaodian, "1.01")
    response = client.post(
        reverse("inspections:finding_verify", args=[education.pk]), {"passed": "yes"}
    )
    assert response.status_code == 404
    education.refresh_from_db()
    assert education.status == "open"
    hazard = finding(places.xiaodian, "2.22")
    response = client.post(
        reverse("inspections:finding_verify", args=[hazard.pk]), {"passed": "yes", "note": "已整改"}
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == "closed"


# A department user holds the right for its own department's tasks:
# tests/inspections/test_department_rectification.py.
@pytest.mark.parametrize("member", ["province", "admin", "auditor"])
def test_a_role_without_the_rectification_right_gets_403(client, cast, places, both, member):
    user = getattr(cast, member)
    problem = finding(places.xiaodian, "2.22")
    client.force_login(user)
    response = client.post(
        reverse("inspections:finding_verify", args=[problem.pk]), {"passed": "yes"}
    )
    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.status == "open"


def test_a_reader_sees_the_problem_without_the_forms(client, cast, places, both):
    client.force_login(cast.province)
    page = client.get(
        reverse("inspections:finding", args=[finding(places.pingcheng, "2.22").pk])
    ).content.decode()
    assert "重大隐患" in page and 'data-testid="report-form"' not in page


# -- the rectification notice -------------------------------------------------------------


def test_the_notice_lists_each_problem_its_requirement_and_deadline(client, cast, places, both):
    inspection = both[0]
    client.force_login(cast.xiaodian)
    response = client.get(reverse("inspections:notice", args=[inspection.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    year = timezone.localtime(inspection.submitted_at).year
    assert f"小店区安检〔{year}〕第 {inspection.pk} 号" in body
    assert places.xiaodian.name in body and places.xiaodian.credit_code in body
    for problem in Finding.objects.filter(task__inspection=inspection):
        assert problem.item.text in body and problem.requirement in body
        assert problem.description in body
    deadline = inspection.rectify_deadline
    assert f"{deadline:%Y-%m-%d}" in body
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in body
    assert "限期整改" in body and str(cast.xiaodian) in body
    assert "被检查单位负责人（签字）" in body and "小店区教育局" in body
    assert "依法依规" in body and "js/print.js" in body and "data-print" in body


@pytest.mark.parametrize(
    ("grant", "sector", "shown"),
    [
        pytest.param(("department_user", "140100", "fire"), "culture_art", "2.22", id="fire"),
        pytest.param(("department_user", "140000", "sports"), "sports", "1.01", id="sports"),
    ],
)
def test_the_notice_shows_a_department_only_its_own_sections_problems(
    client, cast, campaign, grant, sector, shown
):
    institution = InstitutionFactory(county_id="140105", sector=sector)
    record = inspected(cast.xiaodian, institution, ("1.01", "2.22", "4.02"))
    problems = {f.item.code: f for f in Finding.objects.filter(task__inspection=record)}
    client.force_login(UserFactory(grant=grant))
    body = client.get(reverse("inspections:notice", args=[record.pk])).content.decode()
    # The same sections as the inspection page and the problem list: 四 (minors) is
    # public security's and education's, and its finding is not even hinted at.
    assert problems[shown].item.text in body and problems[shown].description in body
    for code in {"1.01", "2.22", "4.02"} - {shown}:
        assert problems[code].item.text not in body and problems[code].description not in body
    assert body.count('<td class="num">') == 1
    client.force_login(cast.xiaodian)
    body = client.get(reverse("inspections:notice", args=[record.pk])).content.decode()
    for problem in problems.values():
        assert problem.item.text in body and problem.description in body
    assert body.count('<td class="num">') == 3


@pytest.mark.parametrize(
    ("grant", "covers"),
    [
        pytest.param(("department_user", "140100", "fire"), "消防救援部门负责的检查项（二、消防安全）", id="fire"),
        pytest.param(
            ("department_user", "140000", "sports"),
            "体育部门负责的检查项（一、机构安全管理；六、安全教育宣传）",
            id="sports",
        ),
    ],
)  # fmt: skip
def test_a_departments_notice_says_what_it_covers_and_never_that_nothing_was_found(
    client, cast, campaign, grant, covers
):
    # The only problem is §四 (minors), hidden from both; the conclusion is 限期整改.
    record = inspected(
        cast.xiaodian, InstitutionFactory(county_id="140105", sector="sports"), ("4.02",)
    )
    client.force_login(UserFactory(grant=grant))
    body = client.get(reverse("inspections:notice", args=[record.pk])).content.decode()
    assert f"本通知书仅列出{covers}" in body and "限期整改" in body
    assert "本部门负责的检查项未发现问题" in body and "按上述要求" not in body
    assert "未发现安全问题" not in body and "本次检查未发现问题" not in body
    # Education reads the whole notice: no note on what it covers.
    client.force_login(cast.xiaodian)
    body = client.get(reverse("inspections:notice", args=[record.pk])).content.decode()
    assert "本通知书仅列出" not in body and "未发现" not in body
    assert body.count('<td class="num">') == 1


def test_the_notice_of_a_draft_or_another_county_is_404(client, cast, places, both):
    draft = start(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)
    assert client.get(reverse("inspections:notice", args=[draft.pk])).status_code == 404
    assert client.get(reverse("inspections:notice", args=[both[1].pk])).status_code == 404


# -- the API ----------------------------------------------------------------------------


def test_the_inspection_api_shape(client, cast, places, both):
    client.force_login(cast.xiaodian)
    data = client.get(reverse("api:inspection-list")).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert set(row) == {
        "id", "institution_id", "institution_name", "county_code", "round_level", "status",
        "result", "submitted_at", "rectify_deadline", "answers", "evidence_count",
    }  # fmt: skip
    assert (row["institution_name"], row["county_code"], row["round_level"]) == (
        places.xiaodian.name, "140105", "county",
    )  # fmt: skip
    assert (row["status"], row["result"], row["evidence_count"]) == ("submitted", "rectify", 2)
    answers = {a["code"]: a for a in row["answers"]}
    assert answers["2.22"]["value"] == "non_compliant"
    assert answers["2.22"]["note"] == "2.22 现场发现问题" and answers["2.22"]["evidence_count"] == 1
    assert set(answers["1.01"]) == {"code", "value", "number", "text", "note", "evidence_count"}


def test_the_inspection_api_shows_a_fire_user_only_section_two_answers(client, cast, places, both):
    client.force_login(UserFactory(grant=("department_user", "140105", "fire")))
    row = client.get(reverse("api:inspection-list")).json()["results"][0]
    assert {a["code"][0] for a in row["answers"]} == {"2"} and row["evidence_count"] == 1


def test_the_rectification_api_derives_status_and_stays_in_scope(client, cast, places, both):
    client.force_login(cast.xiaodian)
    data = client.get(reverse("api:rectification-list")).json()
    assert {r["institution_name"] for r in data["results"]} == {places.xiaodian.name}
    assert {r["department"] for r in data["results"]} == {"education", "fire"}
    fire = next(r for r in data["results"] if r["department"] == "fire")
    assert fire["status"] == "open" and fire["deadline"] == both[0].rectify_deadline.isoformat()
    assert fire["findings"] == [
        {
            "id": finding(places.xiaodian, "2.22").pk,
            "code": "2.22",
            "section": "二",
            "status": "open",
            "severity": "major",
            "requirement": finding(places.xiaodian, "2.22").requirement,
            "deadline": both[0].rectify_deadline.isoformat(),
        }
    ]
    assert client.get(reverse("api:rectification-list"), {"county": "140213"}).json()["count"] == 0
    scope = scope_for(cast.xiaodian)
    services.finding_verify(
        finding=finding(places.xiaodian, "1.01"), actor=cast.xiaodian, scope=scope, passed=True
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        client.force_login(cast.xiaodian)
        statuses = {
            r["department"]: r["status"]
            for r in client.get(reverse("api:rectification-list")).json()["results"]
        }
        assert statuses == {"education": "closed", "fire": "overdue"}
        overdue = client.get(reverse("api:rectification-list"), {"status": "overdue"}).json()
        assert [r["department"] for r in overdue["results"]] == ["fire"]
        closed = client.get(reverse("api:rectification-list"), {"status": "closed"}).json()
        assert [r["department"] for r in closed["results"]] == ["education"]


def test_province_filters_rectifications_by_county_and_xiaodian_never_sees_pingcheng(
    client, cast, places, both
):
    client.force_login(cast.province)
    data = client.get(reverse("api:rectification-list"), {"county": "140213"}).json()
    assert data["count"] == 2 and {r["county_code"] for r in data["results"]} == {"140213"}
    pingcheng_task = both[1].tasks.first()
    client.force_login(cast.xiaodian)
    detail = client.get(reverse("api:rectification-detail", args=[pingcheng_task.pk]))
    assert detail.status_code == 404
    assert "平城" not in client.get(reverse("api:rectification-list")).content.decode()
    assert "平城" not in client.get(reverse("api:inspection-list")).content.decode()


@pytest.mark.parametrize("name", ["api:inspection-list", "api:rectification-list"])
def test_the_api_lists_take_a_constant_number_of_queries(client, cast, places, campaign, name):
    inspected(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        inspected(cast.xiaodian, InstitutionFactory(county_id="140105"), ("1.01", "1.02", "2.22"))
    assert Inspection.objects.count() == 4
    assert queries() == few


# -- in a browser, on a phone -------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_an_officer_closes_a_problem_and_opens_the_notice(
    page, live_server, cast, places
):
    from playwright.sync_api import expect

    from tests.accounts.test_browser import log_in

    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, ("1.01",))
    log_in(page, live_server, "xiaodian")
    page.goto(live_server.url + reverse("inspections:problems"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("problem-cards").get_by_role("link").first.click()
    page.get_by_label("整改情况").fill("已按标准调整场地")
    page.get_by_role("button", name="记录整改情况").click()
    expect(page.get_by_text("已记录整改情况，等待复查")).to_be_visible()
    page.get_by_label("整改到位，销号").check()
    page.get_by_role("button", name="提交复查结论").click()
    expect(page.get_by_text("复查合格，问题已销号")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("notice-link").click()
    expect(page.get_by_test_id("notice-problems")).to_contain_text("培训场地条件")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_test_id("print").click()
    assert page.evaluate("window.printed") is True


# -- a problem sent back gets a new deadline ----------------------------------------------


def test_a_problem_sent_back_is_due_on_its_new_deadline_everywhere(client, cast, places, both):
    """The task was due in 7 days; 1.01 is sent back with 20 days, 2.22 is left alone."""
    scope = scope_for(cast.xiaodian)
    today = timezone.localdate()
    reopened = finding(places.xiaodian, "1.01")
    services.finding_report(finding=reopened, actor=cast.xiaodian, scope=scope, note="已整改")
    services.finding_verify(
        finding=reopened, actor=cast.xiaodian, scope=scope, passed=False, note="仍不达标",
        deadline=today + dt.timedelta(days=20),
    )  # fmt: skip
    later = today + dt.timedelta(days=20)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        client.force_login(cast.xiaodian)
        assert listed(client, status="overdue") == [(places.xiaodian.name, "2.22")]
        assert listed(client, deadline_from=later.isoformat()) == [(places.xiaodian.name, "1.01")]
        week = (today + dt.timedelta(days=7)).isoformat()
        assert listed(client, deadline_to=week) == [(places.xiaodian.name, "2.22")]
        page = client.get(reverse("inspections:finding", args=[reopened.pk])).content.decode()
        assert 'data-testid="overdue"' not in page and f"{later:%Y-%m-%d}" in page
        # The ledger: its deadline and "not overdue"; the other one overdue.
        sheet = load_workbook(
            io.BytesIO(client.get(reverse("inspections:problems_export")).content)
        ).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        lines = {r[4]: dict(zip(rows[1], r, strict=True)) for r in rows[2:]}
        assert lines["1.01"]["整改期限"].date() == later and lines["1.01"]["是否逾期"] == "否"
        assert lines["2.22"]["是否逾期"] == "是"
        # The API: each problem's own deadline; the education task is due later, not overdue.
        tasks = {
            r["department"]: r
            for r in client.get(reverse("api:rectification-list")).json()["results"]
        }
        assert tasks["education"]["status"] == "open"
        assert tasks["education"]["deadline"] == later.isoformat()
        assert tasks["education"]["findings"][0]["deadline"] == later.isoformat()
        assert tasks["fire"]["status"] == "overdue"
        # The county's progress counts one overdue problem, not two.
        progress = selectors.county_progress(scope=scope, region_prefix="140105")
        assert progress["overdue"] == 1
        notice = client.get(reverse("inspections:notice", args=[both[0].pk])).content.decode()
        assert f"{later:%Y-%m-%d}" in notice
    with time_machine.travel(timezone.now() + dt.timedelta(days=21)):
        client.force_login(cast.xiaodian)
        assert sorted(c for _n, c in listed(client, status="overdue")) == ["1.01", "2.22"]


def test_a_problem_cannot_be_sent_back_without_a_future_deadline(cast, places, both):
    scope = scope_for(cast.xiaodian)
    problem = finding(places.xiaodian, "1.01")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for deadline, message in ((None, "请填写新的整改期限"), (yesterday, "不能早于今天")):
        with pytest.raises(ValidationError, match=message):
            services.finding_verify(
                finding=problem, actor=cast.xiaodian, scope=scope, passed=False, note="未整改",
                deadline=deadline,
            )  # fmt: skip
        problem.refresh_from_db()
        assert (problem.status, problem.deadline, problem.reopened_count) == ("open", None, 0)
    # Today itself is allowed.
    services.finding_verify(
        finding=problem, actor=cast.xiaodian, scope=scope, passed=False, note="未整改",
        deadline=timezone.localdate(),
    )  # fmt: skip
    problem.refresh_from_db()
    assert problem.deadline == timezone.localdate() and problem.history.count() == 2


def test_the_list_narrows_to_one_campaign_as_the_dashboards_count(client, cast, places, both):
    campaign = both[0].round.campaign
    client.force_login(cast.xiaodian)
    assert len(listed(client, campaign=campaign.pk)) == 2
    assert listed(client, campaign=campaign.pk + 1000) == []
    page = client.get(reverse("inspections:problems"), {"campaign": campaign.pk}).content.decode()
    assert f'name="campaign" value="{campaign.pk}"' in page  # kept when other filters change
