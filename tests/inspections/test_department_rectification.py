"""A department user follows up its own department's rectification tasks (报整改、复查销号):
fire rescue of 小店区 reports and closes fire rescue's problems there, as the education
officer does for education's, and touches nothing of another department or county. The
problem page and list say which department that is (负责部门)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.scope import Scope, scope_for
from inspections import services
from inspections.models import Finding
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_problems import finding, inspected, seed_campaign

REPORT, VERIFY = "inspections:finding_report", "inspections:finding_verify"
API_REPORT, API_VERIFY = "api:finding-report", "api:finding-verify"


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def fire(regions):
    return UserFactory(username="fire_xiaodian", grant=("department_user", "140105", "fire"))


@pytest.fixture
def sports_school(regions):
    """A risky sports institution of 小店区: its 1.13 problem falls to sports, its 1.01 to
    education, both in §一 (which sports owns as a section too)."""
    return InstitutionFactory(
        name="小店区飞跃跆拳道培训中心", county_id="140105", sector="sports", is_risky=True
    )


@pytest.fixture
def problems(cast, places, campaign, sports_school):
    """In 小店区: 1.01 (education's task) and 2.22 (fire's); at the sports school 1.01
    (education's) and 1.13 (sports'). In 迎泽区: 2.22 (fire's)."""
    inspected(cast.xiaodian, places.xiaodian)
    inspected(cast.xiaodian, sports_school, codes=("1.01", "1.13"))
    yingze = UserFactory(grant=("county_officer", "140106"))
    inspected(yingze, places.yingze, codes=("2.22",))


def unchanged(problem: Finding) -> bool:
    problem.refresh_from_db()
    return (problem.status, problem.report_note, problem.verified_at, problem.reopened_count) == (
        "open", "", None, 0,
    )  # fmt: skip


def report_and_close(user, problem):
    scope = scope_for(user)
    services.finding_report(finding=problem, actor=user, scope=scope, note="已更换灭火器")
    services.finding_verify(finding=problem, actor=user, scope=scope, passed=True, note="合格")


# -- services ---------------------------------------------------------------------------


def test_a_fire_user_reports_and_closes_a_fire_task_problem(fire, places, problems):
    problem = finding(places.xiaodian, "2.22")
    assert problem.task.department == "fire"
    report_and_close(fire, problem)
    problem.refresh_from_db()
    assert (problem.status, problem.report_note, problem.verified_by) == (
        "closed", "已更换灭火器", fire,
    )  # fmt: skip
    assert problem.history.first().history_user == fire
    problem.task.refresh_from_db()
    assert problem.task.closed_at is not None


@pytest.mark.parametrize(
    ("institution", "code"),
    [("xiaodian", "1.01"), ("sports", "1.13"), ("sports", "1.01")],
    ids=["education-task", "sports-task", "education-task-sports-school"],
)
def test_a_fire_user_cannot_touch_another_departments_task(
    fire, places, sports_school, problems, institution, code
):
    problem = finding(sports_school if institution == "sports" else places.xiaodian, code)
    assert problem.task.department != "fire"
    scope = scope_for(fire)
    with pytest.raises(PermissionDenied):
        services.finding_report(finding=problem, actor=fire, scope=scope, note="已整改")
    with pytest.raises(PermissionDenied):
        services.finding_verify(finding=problem, actor=fire, scope=scope, passed=True)
    assert unchanged(problem)


def test_a_sports_user_closes_sports_problem_but_not_educations_in_the_same_section(
    sports_school, problems
):
    """Both are §一 problems of one institution: the task's department decides, not the
    section, which sports owns too."""
    sports = UserFactory(grant=("department_user", "140105", "sports"))
    education = finding(sports_school, "1.01")
    with pytest.raises(PermissionDenied):
        report_and_close(sports, education)
    assert unchanged(education)
    own = finding(sports_school, "1.13")
    assert own.task.department == "sports"
    report_and_close(sports, own)
    own.refresh_from_db()
    assert own.status == "closed"


def test_a_fire_user_of_another_county_cannot_touch_xiaodians_fire_problem(
    client, places, problems
):
    yingze_fire = UserFactory(grant=("department_user", "140106", "fire"))
    problem = finding(places.xiaodian, "2.22")
    with pytest.raises(PermissionDenied):
        report_and_close(yingze_fire, problem)
    client.force_login(yingze_fire)
    assert client.get(reverse("inspections:finding", args=[problem.pk])).status_code == 404
    for name, data in ((REPORT, {"note": "已整改"}), (VERIFY, {"passed": "yes"})):
        assert client.post(reverse(name, args=[problem.pk]), data).status_code == 404
    for name, data in ((API_REPORT, {"note": "已整改"}), (API_VERIFY, {"passed": True})):
        response = client.post(
            reverse(name, args=[problem.pk]), data, content_type="application/json"
        )
        assert response.status_code == 404
    assert unchanged(problem)
    # Their own county's fire problem is theirs.
    own = finding(places.yingze, "2.22")
    report_and_close(yingze_fire, own)
    own.refresh_from_db()
    assert own.status == "closed"


def test_a_city_fire_user_closes_fire_problems_across_the_city_only(places, problems):
    city_fire = UserFactory(grant=("department_user", "140100", "fire"))
    report_and_close(city_fire, finding(places.xiaodian, "2.22"))
    assert finding(places.xiaodian, "2.22").status == "closed"
    assert unchanged(finding(places.xiaodian, "1.01"))


def test_the_education_officer_still_closes_every_departments_problem(
    cast, places, sports_school, problems
):
    for problem in (finding(places.xiaodian, "2.22"), finding(sports_school, "1.13")):
        report_and_close(cast.xiaodian, problem)
        problem.refresh_from_db()
        assert problem.status == "closed"


# -- the pages and the API: every POST they accept ------------------------------------


def test_a_fire_user_reports_and_closes_through_the_pages(client, fire, places, problems):
    problem = finding(places.xiaodian, "2.22")
    client.force_login(fire)
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert 'data-testid="report-form"' in page and 'data-testid="verify-form"' in page
    assert "负责部门：消防救援（记录整改情况、复查销号）" in page
    response = client.post(reverse(REPORT, args=[problem.pk]), {"note": "已更换灭火器"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.report_note) == ("reported", "已更换灭火器")
    response = client.post(
        reverse(VERIFY, args=[problem.pk]), {"passed": "yes", "note": "复查合格"}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.verified_by) == ("closed", fire)


def test_a_fire_user_sends_a_problem_back_with_a_new_deadline(client, fire, places, problems):
    import datetime as dt

    from django.utils import timezone

    problem = finding(places.xiaodian, "2.22")
    client.force_login(fire)
    new_deadline = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(
        reverse(VERIFY, args=[problem.pk]),
        {"passed": "no", "note": "灭火器仍未更换", "deadline": new_deadline.isoformat()},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.reopened_count, problem.deadline) == ("open", 1, new_deadline)


def test_a_fire_user_reports_and_closes_through_the_api(client, fire, places, problems):
    problem = finding(places.xiaodian, "2.22")
    client.force_login(fire)
    response = client.post(
        reverse(API_REPORT, args=[problem.pk]), {"note": "已整改"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "reported"
    response = client.post(
        reverse(API_VERIFY, args=[problem.pk]), {"passed": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_another_departments_problem_is_404_on_every_post_and_unchanged(
    client, fire, places, sports_school, problems
):
    client.force_login(fire)
    for problem in (finding(places.xiaodian, "1.01"), finding(sports_school, "1.13")):
        assert client.get(reverse("inspections:finding", args=[problem.pk])).status_code == 404
        for name, data in ((REPORT, {"note": "已整改"}), (VERIFY, {"passed": "yes"})):
            assert client.post(reverse(name, args=[problem.pk]), data).status_code == 404
        for name, data in ((API_REPORT, {"note": "已整改"}), (API_VERIFY, {"passed": True})):
            response = client.post(
                reverse(name, args=[problem.pk]), data, content_type="application/json"
            )
            assert response.status_code == 404
        assert unchanged(problem)


def test_a_sports_user_sees_an_education_problem_without_the_forms_and_cannot_post(
    client, sports_school, problems
):
    """§一 is a sports section, so the education problem shows; it is not sports' to close."""
    sports = UserFactory(grant=("department_user", "140105", "sports"))
    problem = finding(sports_school, "1.01")
    client.force_login(sports)
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert "负责部门：教育" in page and 'data-testid="report-form"' not in page
    for name, data in ((REPORT, {"note": "已整改"}), (VERIFY, {"passed": "yes"})):
        assert client.post(reverse(name, args=[problem.pk]), data).status_code == 404
    assert unchanged(problem)


def test_a_role_without_the_right_is_still_403(client, cast, places, problems):
    problem = finding(places.xiaodian, "2.22")
    vetting = UserFactory(grant=("vetting_officer", "140105"))
    for user in (cast.province, vetting):
        client.force_login(user)
        for name, data in ((REPORT, {"note": "已整改"}), (VERIFY, {"passed": "yes"})):
            assert client.post(reverse(name, args=[problem.pk]), data).status_code == 403
    assert unchanged(problem)


def test_the_list_says_which_department_closes_each_problem(client, fire, cast, places, problems):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:problems")).content.decode()
    assert "负责部门：消防救援" in page and "负责部门：教育" in page and "负责部门：体育" in page
    assert 'data-testid="closing-rule"' in page
    client.force_login(fire)
    response = client.get(reverse("inspections:problems"))
    assert [f.item.code for f in response.context["page"]] == ["2.22"]
    assert "负责部门：消防救援" in response.content.decode()


# -- bad input on the report form ------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("已整改\x07", "不能包含控制字符"),
        ("已整改\x00", "空字符"),
        ("整" * 2001, "2000"),
        ("整" * 200_000, "2000"),
        ("  \n ", "请填写整改情况"),
    ],
    ids=["control", "nul", "too-long", "huge", "blank"],
)
def test_bad_report_input_is_refused_in_chinese_and_nothing_is_written(
    client, fire, places, problems, note, message
):
    problem = finding(places.xiaodian, "2.22")
    client.force_login(fire)
    response = client.post(reverse(REPORT, args=[problem.pk]), {"note": note})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert unchanged(problem)


@pytest.mark.parametrize(
    ("note", "message"),
    [("已整改\x1b", "不能包含控制字符"), ("整" * 2001, "不能超过 2000 个字")],
    ids=["control", "too-long"],
)
def test_the_services_refuse_bad_notes_too(fire, places, problems, note, message):
    problem = finding(places.xiaodian, "2.22")
    scope = scope_for(fire)
    with pytest.raises(ValidationError, match=message):
        services.finding_report(finding=problem, actor=fire, scope=scope, note=note)
    with pytest.raises(ValidationError, match=message):
        services.finding_verify(finding=problem, actor=fire, scope=scope, passed=True, note=note)
    assert unchanged(problem)


# -- in a browser --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_fire_rescue_reports_and_closes_its_problem(page, live_server, cast, places):
    from playwright.sync_api import expect

    from tests.accounts.test_browser import log_in

    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, ("1.01", "2.22"))
    UserFactory(username="fire_xiaodian", grant=("department_user", "140105", "fire"))
    log_in(page, live_server, "fire_xiaodian")
    page.goto(live_server.url + reverse("inspections:problems"))
    cards = page.get_by_test_id("problem-cards").get_by_role("link")
    expect(cards).to_have_count(1)  # its §二 problem only, not education's 1.01
    expect(cards.first).to_contain_text("负责部门：消防救援")
    cards.first.click()
    expect(page.get_by_test_id("closing-department")).to_contain_text("负责部门：消防救援")
    page.get_by_label("整改情况").fill("已更换过期灭火器并张贴检验标签")
    page.get_by_role("button", name="记录整改情况").click()
    expect(page.get_by_text("已记录整改情况，等待复查")).to_be_visible()
    page.get_by_label("整改到位，销号").check()
    page.get_by_role("button", name="提交复查结论").click()
    expect(page.get_by_text("复查合格，问题已销号")).to_be_visible()
    expect(page.get_by_test_id("verify-form")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    problem = finding(places.xiaodian, "2.22")
    assert (problem.status, problem.verified_by.username) == ("closed", "fire_xiaodian")
    assert finding(places.xiaodian, "1.01").status == "open"


# -- a department user of education (issue #20) -----------------------------------------


def _education_department_user():
    """A department_user grant of education, as an old row or a shell could still hold it:
    the pages and the import refuse to give one (accounts/delegation.py)."""
    return UserFactory(grant=("department_user", "140105", "education"))


def test_a_department_user_of_education_closes_no_other_departments_problem(
    client, places, sports_school, problems
):
    user = _education_department_user()
    others = (finding(places.xiaodian, "2.22"), finding(sports_school, "1.13"))
    for problem in others:
        assert problem.task.department != "education"
        with pytest.raises(PermissionDenied):
            report_and_close(user, problem)
    client.force_login(user)
    for problem in others:
        for name, data in ((REPORT, {"note": "已整改"}), (VERIFY, {"passed": "yes"})):
            assert client.post(reverse(name, args=[problem.pk]), data).status_code in (403, 404)
        assert unchanged(problem)
    # Education's own task is its department's.
    own = finding(places.xiaodian, "1.01")
    report_and_close(user, own)
    own.refresh_from_db()
    assert own.status == "closed"


@pytest.mark.parametrize(
    ("role", "region", "closes_fire"),
    [
        ("department_user", "140105", False),
        ("county_officer", "140105", True),
        ("city_staff", "140100", True),
    ],
)
def test_only_educations_own_roles_act_on_every_departments_task(
    places, problems, role, region, closes_fire
):
    scope = Scope.for_region(role, region, department="education")
    fire_problem = finding(places.xiaodian, "2.22")
    covers = scope.covers_task(
        "rectification.change", county_code="140105", sector="", department="fire"
    )
    task_q = scope.task_q(
        "rectification.change",
        region="task__institution__county__code",
        sector="task__institution__sector",
        department="task__department",
    )
    listed = Finding.objects.filter(task_q, pk=fire_problem.pk).exists()
    assert covers is closes_fire and listed is closes_fire
