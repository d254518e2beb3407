"""The REST API v1 resources: scope (404 outside, 403 for the wrong role), filters, ordering,
bounded pagination, and the writes that go through the pages' services (tokens:
tests/api/test_api_tokens.py; fuzzing against the schema: tests/api/test_api_fuzz.py)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import notify
from accounts.scope import scope_for
from api.urls import router
from inspections import services as inspection_services
from inspections.models import Finding
from institutions.models import Institution, Site
from ops.demo.institutions import credit_code
from tests.factories import InstitutionFactory
from tests.inspections.test_problems import inspected, seed_campaign
from tests.walk.url_walk_api import _dismissal, _referral, _refund, _site


@pytest.fixture
def problems(cast, places):
    """Problems 1.01 (education) and 2.22 (fire) in 小店区 and in 平城区, due in 7 days."""
    seed_campaign()
    return inspected(cast.xiaodian, places.xiaodian), inspected(cast.pingcheng, places.pingcheng)


def rows(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def finding(institution, code) -> Finding:
    return Finding.objects.get(task__institution=institution, item__code=code)


# -- every list view names what it may be ordered by --------------------------------------


@pytest.mark.parametrize("prefix,viewset,basename", router.registry, ids=lambda v: str(v))
def test_no_resource_lets_clients_order_by_every_field(prefix, viewset, basename):
    assert getattr(viewset, "ordering_fields", None) != "__all__"


def test_a_view_without_an_ordering_allow_list_cannot_be_ordered():
    from core.api.filters import OrderingFilter

    class View:
        ordering = None

    assert OrderingFilter().get_valid_fields(Institution.objects.all(), View()) == []


# -- scope across the new resources --------------------------------------------------------

NEW_LISTS = ["api:site-list", "api:round-list", "api:finding-list", "api:dismissal-list",
             "api:referral-list", "api:refund-list"]  # fmt: skip


@pytest.mark.parametrize("name", NEW_LISTS)
def test_new_lists_show_xiaodian_nothing_of_pingcheng(client, cast, places, problems, name):
    _site(places), _dismissal(places), _referral(places), _refund(places)
    client.force_login(cast.province)
    assert "140213" in client.get(reverse(name)).content.decode()
    client.force_login(cast.xiaodian)
    body = client.get(reverse(name)).content.decode()
    assert "140213" not in body and "平城" not in body


# -- sites and institutions: writes through institutions/services.py ----------------------


def test_a_county_officer_adds_and_edits_a_site_of_their_own_institution(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:site-list"),
        {"institution": places.xiaodian.pk, "name": " 二校区 ", "address": "小店区学府街1号"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    site = Site.objects.get()
    assert (site.name, site.institution, response.json()["county_code"]) == (
        "二校区", places.xiaodian, "140105",
    )  # fmt: skip
    assert site.history.get().history_user == cast.xiaodian
    url = reverse("api:site-detail", args=[site.pk])
    response = client.patch(url, {"floor_area": "120.50"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["floor_area"] == "120.50"


def test_a_site_cannot_be_added_to_an_institution_out_of_scope(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:site-list"),
        {"institution": places.pingcheng.pk, "name": "分校", "address": "平城区"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"institution": ["机构不存在或不在您的管辖范围内"]}
    assert not Site.objects.exists()


def test_a_site_out_of_scope_is_404_and_unchanged_and_city_staff_get_403(client, cast, places):
    site = Site.objects.get(pk=_site(places)["pk"])
    client.force_login(cast.xiaodian)
    url = reverse("api:site-detail", args=[site.pk])
    assert client.patch(url, {"name": "改"}, content_type="application/json").status_code == 404
    client.force_login(cast.taiyuan)
    assert client.patch(url, {"name": "改"}, content_type="application/json").status_code == 403
    site.refresh_from_db()
    assert site.name == "主校区"


def test_a_site_without_an_address_is_400_in_chinese(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:site-list"),
        {"institution": places.xiaodian.pk, "name": "二校区", "address": ""},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["address"] == ["该字段不能为空。"]
    assert not Site.objects.exists()


def institution_body(**overrides):
    import random

    body = {
        "name": "小店区新星书法培训学校",
        "credit_code": credit_code(random.Random(7), "140105"),
        "county_code": "140105",
        "category": "non_subject",
        "sector": "culture_art",
    }
    return body | overrides


def test_a_county_officer_registers_an_institution_through_the_service(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:institution-list"), institution_body(), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    made = Institution.objects.get(name="小店区新星书法培训学校")
    assert response.json()["id"] == made.pk and made.history.get().history_user == cast.xiaodian


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"county_code": "140213"}, {"county_code": ["所选县区不在您的管辖范围内"]}),
        ({"county_code": "999999"}, {"county_code": ["县区代码不存在"]}),
        ({"sector": ""}, {"sector": ["非学科类机构须选择行业"]}),
    ],
)
def test_bad_institution_input_is_400_in_chinese_and_writes_nothing(
    client, cast, places, overrides, errors
):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:institution-list"),
        institution_body(**overrides),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json() == errors
    assert Institution.objects.count() == 3


def test_a_duplicate_credit_code_is_refused_with_the_code(client, cast, places):
    client.force_login(cast.xiaodian)
    body = institution_body(credit_code=places.pingcheng.credit_code)
    response = client.post(reverse("api:institution-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["credit_code"] == [
        f"统一社会信用代码 {places.pingcheng.credit_code} 已登记，不能重复登记"
    ]


def test_an_institution_edit_is_scoped(client, cast, places):
    client.force_login(cast.xiaodian)
    own = reverse("api:institution-detail", args=[places.xiaodian.pk])
    response = client.patch(own, {"phone": "0351-1234567"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "0351-1234567"
    other = reverse("api:institution-detail", args=[places.pingcheng.pk])
    response = client.patch(other, {"phone": "1"}, content_type="application/json")
    assert response.status_code == 404
    places.pingcheng.refresh_from_db()
    assert places.pingcheng.phone != "1"


# -- findings: the problem list, report and re-inspection ----------------------------------


def test_findings_list_the_callers_problems_with_their_effective_deadline(
    client, cast, places, problems
):
    client.force_login(cast.xiaodian)
    listed = rows(client, "api:finding-list")
    assert {(r["code"], r["county_code"]) for r in listed} == {
        ("1.01", "140105"),
        ("2.22", "140105"),
    }
    week = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert {r["deadline"] for r in listed} == {week} and not any(r["is_overdue"] for r in listed)
    other = reverse("api:finding-detail", args=[finding(places.pingcheng, "1.01").pk])
    assert client.get(other).status_code == 404


def test_finding_filters_and_ordering(client, cast, places, problems):
    client.force_login(cast.province)
    assert len(rows(client, "api:finding-list")) == 4
    assert {r["county_code"] for r in rows(client, "api:finding-list", county="140105")} == {
        "140105"
    }
    assert {r["code"] for r in rows(client, "api:finding-list", section="二")} == {"2.22"}
    week = timezone.localdate() + dt.timedelta(days=7)
    assert len(rows(client, "api:finding-list", deadline_from=week, deadline_to=week)) == 4
    assert rows(client, "api:finding-list", deadline_to=timezone.localdate()) == []
    campaign_id = problems[0].round.campaign_id
    assert len(rows(client, "api:finding-list", campaign=campaign_id)) == 4
    assert rows(client, "api:finding-list", campaign=campaign_id + 1) == []
    scope = scope_for(cast.xiaodian)
    sent_back = finding(places.xiaodian, "1.01")
    inspection_services.finding_verify(
        finding=sent_back, actor=cast.xiaodian, scope=scope, passed=False, note="未整改",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )  # fmt: skip
    latest = rows(client, "api:finding-list", ordering="-deadline")
    assert latest[0]["id"] == sent_back.pk
    assert rows(client, "api:finding-list", ordering="deadline")[-1]["id"] == sent_back.pk
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        client.force_login(cast.province)
        overdue = rows(client, "api:finding-list", status="overdue")
        assert len(overdue) == 3 and sent_back.pk not in {r["id"] for r in overdue}
        assert all(r["is_overdue"] for r in overdue)


def test_an_officer_reports_and_verifies_a_problem_through_the_api(client, cast, places, problems):
    item = finding(places.xiaodian, "1.01")
    client.force_login(cast.xiaodian)
    report = reverse("api:finding-report", args=[item.pk])
    response = client.post(report, {"note": "已更换灭火器"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "reported"
    verify = reverse("api:finding-verify", args=[item.pk])
    response = client.post(verify, {"passed": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    item.refresh_from_db()
    assert item.verified_by == cast.xiaodian and item.history.first().history_user == cast.xiaodian
    response = client.post(report, {"note": "再报"}, content_type="application/json")
    assert response.status_code == 400 and response.json() == ["该问题已复查销号"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"passed": False, "note": "未整改"}, {"deadline": ["退回整改时请填写新的整改期限"]}),
        ({"passed": False, "note": "未整改", "deadline": "2020-01-01"},
         {"deadline": ["新的整改期限不能早于今天"]}),
        ({"passed": False, "deadline": "2099-01-01"}, {"note": ["退回时请写明未整改到位的情况"]}),
        ({}, {"passed": ["该字段是必填项。"]}),
    ],
)  # fmt: skip
def test_a_bad_reinspection_is_400_in_chinese_and_changes_nothing(
    client, cast, places, problems, body, errors
):
    item = finding(places.xiaodian, "1.01")
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("api:finding-verify", args=[item.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json() == errors
    item.refresh_from_db()
    assert (item.status, item.verified_at, item.reopened_count) == ("open", None, 0)


def test_reporting_a_problem_needs_the_role_and_the_scope(client, cast, places, problems):
    own = reverse("api:finding-report", args=[finding(places.xiaodian, "1.01").pk])
    foreign = reverse("api:finding-report", args=[finding(places.pingcheng, "1.01").pk])
    client.force_login(cast.province)  # reads every problem, changes none
    assert client.post(own, {"note": "x"}, content_type="application/json").status_code == 403
    client.force_login(cast.xiaodian)
    assert client.post(foreign, {"note": "x"}, content_type="application/json").status_code == 404
    client.force_login(cast.taiyuan)
    assert client.post(foreign, {"note": "x"}, content_type="application/json").status_code == 404
    assert set(Finding.objects.values_list("status", flat=True)) == {"open"}


# -- rectification tasks: filters, ordering, bounded pages --------------------------------


def test_rectification_filters_and_bounded_pages(client, cast, places, problems):
    more = [
        inspected(cast.xiaodian, InstitutionFactory(county_id="140105"), days=d) for d in (3, 20)
    ]
    client.force_login(cast.taiyuan)
    listed = rows(client, "api:rectification-list", county="140105")
    assert len(listed) == 6 and {r["county_code"] for r in listed} == {"140105"}
    soonest = timezone.localdate() + dt.timedelta(days=3)
    by_deadline = rows(client, "api:rectification-list", ordering="deadline")
    assert by_deadline[0]["deadline"] == soonest.isoformat()
    assert (
        rows(client, "api:rectification-list", ordering="-deadline")[0]["deadline"]
        == (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    )
    narrow = rows(client, "api:rectification-list", deadline_from=soonest, deadline_to=soonest)
    assert {r["inspection_id"] for r in narrow} == {more[0].pk}
    assert len(rows(client, "api:rectification-list", department="fire")) == 3
    campaign_id = problems[0].round.campaign_id
    assert len(rows(client, "api:rectification-list", campaign=campaign_id)) == 6
    page = client.get(reverse("api:rectification-list"), {"page_size": 4}).json()
    assert page["count"] == 6 and len(page["results"]) == 4 and page["next"]
    second = client.get(page["next"]).json()["results"]
    assert {r["id"] for r in page["results"]}.isdisjoint({r["id"] for r in second})
    with time_machine.travel(timezone.now() + dt.timedelta(days=4)):
        client.force_login(cast.taiyuan)
        overdue = rows(client, "api:rectification-list", county="140105", status="overdue")
        assert {r["inspection_id"] for r in overdue} == {more[0].pk}


def test_page_size_is_bounded(client, cast, regions):
    for n in range(205):
        Institution(name=f"机构{n}", credit_code=f"X{n:017d}", county_id="140105",
                    category="subject").save()  # fmt: skip
    client.force_login(cast.xiaodian)
    page = client.get(reverse("api:institution-list"), {"page_size": 1000}).json()
    assert page["count"] == 205 and len(page["results"]) == 200


def test_an_unknown_ordering_is_ignored_not_an_error(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("api:institution-list"), {"ordering": "legal_representative"})
    assert response.status_code == 200 and response.json()["count"] == 1


# -- inspections: evidence metadata --------------------------------------------------------


def test_evidence_metadata_links_to_the_scoped_photo_view(client, cast, places, problems):
    client.force_login(cast.xiaodian)
    url = reverse("api:inspection-evidence", args=[problems[0].pk])
    photos = client.get(url).json()
    assert [p["code"] for p in photos] == ["1.01", "2.22"]
    assert client.get(photos[0]["url"]).status_code == 200
    assert client.get(reverse("api:inspection-evidence", args=[problems[1].pk])).status_code == 404
    # A fire user sees its own section's photo only.
    from tests.factories import UserFactory

    client.force_login(UserFactory(grant=("department_user", "140105", "fire")))
    assert [p["code"] for p in client.get(url).json()] == ["2.22"]


# -- complaints: triage through the case page's service ------------------------------------


def _xiaodian_case(cast):
    from accounts.scope import Scope
    from complaints.services import case_create

    case, _code = case_create(
        actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian), channel="phone",
        category="safety_hazard", county_code="140105", institution=None,
        description="教室消防通道堵塞，请核查。", files=[],
    )  # fmt: skip
    return case


def test_a_county_officer_triages_a_complaint_through_the_api(client, cast, places):
    case = _xiaodian_case(cast)
    client.force_login(cast.xiaodian)
    url = reverse("api:complaint-triage", args=[case.pk])
    body = {"category": "fees", "assignees": [cast.xiaodian.pk], "note": "转收费组"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["category"]) == ("assigned", "fees")
    case.refresh_from_db()
    assert list(case.assignees.all()) == [cast.xiaodian]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"category": "fees", "assignees": []}, {"assignees": ["请至少选择一名承办人"]}),
        ({"category": "fees", "assignees": ["pingcheng"]}, None),
        ({"category": "不存在", "assignees": []}, None),
    ],
)
def test_a_bad_triage_is_400_and_changes_nothing(client, cast, places, body, errors):
    case = _xiaodian_case(cast)
    before = (case.status, case.category, set(case.assignees.all()), case.deadline)
    if body["assignees"] == ["pingcheng"]:
        body = body | {"assignees": [cast.pingcheng.pk]}
        errors = {"assignees": ["承办人须为该县（市、区）或所在市的教育部门人员"]}
    client.force_login(cast.xiaodian)
    url = reverse("api:complaint-triage", args=[case.pk])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    if errors is not None:
        assert response.json() == errors
    else:
        assert "category" in response.json()
    case.refresh_from_db()
    assert (case.status, case.category, set(case.assignees.all()), case.deadline) == before


def test_triage_needs_the_role_and_the_region(client, cast, places):
    case = _xiaodian_case(cast)
    url = reverse("api:complaint-triage", args=[case.pk])
    body = {"category": "fees", "assignees": [cast.xiaodian.pk]}
    for member, status in (("province", 403), ("auditor", 403), ("pingcheng", 404)):
        client.force_login(getattr(cast, member))
        assert client.post(url, body, content_type="application/json").status_code == status
    case.refresh_from_db()
    assert case.category == "safety_hazard"


# -- notifications: the caller's own --------------------------------------------------------


def test_notifications_are_the_callers_own_and_marked_read(client, cast):
    notify(users=[cast.xiaodian], kind="other", title="小店", key="k1")
    notify(users=[cast.xiaodian], kind="other", title="小店二", key="k2")
    notify(users=[cast.pingcheng], kind="other", title="平城", key="k1")
    client.force_login(cast.xiaodian)
    listed = rows(client, "api:notification-list")
    assert {n["title"] for n in listed} == {"小店", "小店二"}
    theirs = cast.pingcheng.notifications.get()
    assert client.post(reverse("api:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    mine = cast.xiaodian.notifications.get(key="k1")
    response = client.post(reverse("api:notification-read", args=[mine.pk]))
    assert response.status_code == 200 and response.json()["read_at"]
    assert [n["title"] for n in rows(client, "api:notification-list", unread=True)] == ["小店二"]
    assert client.post(reverse("api:notification-read-all")).json() == {"marked": 1}
    assert rows(client, "api:notification-list", unread=True) == []


# -- the schema and its documentation page -------------------------------------------------


def test_the_schema_documents_every_resource_and_the_token_scheme(client, cast):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in schema["paths"], prefix
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http", "scheme": "bearer",
    } or "Authorization" in str(schema["components"]["securitySchemes"]["tokenAuth"])  # fmt: skip
    params = {p["name"] for p in schema["paths"]["/api/v1/rectifications/"]["get"]["parameters"]}
    assert {"county", "status", "deadline_from", "deadline_to", "campaign", "ordering",
            "page", "page_size"} <= params  # fmt: skip


def test_the_docs_page_loads_only_the_apps_own_files_and_no_inline_script(client, cast):
    import re

    client.force_login(cast.xiaodian)
    body = client.get(reverse("api_docs")).content.decode()
    assert "swagger-ui-bundle.js" in body and "/static/api/docs.js" in body
    assert re.findall(r"<script>|<script [^>]*>[^<]+</script>", body) == []
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body
