"""Who writes which part of a city's work summary (review of issue #18 item 5).

The notice: "各市教育行政部门要协调相关部门汇总梳理专项行动工作总结…报送省教育厅". The narrative
and the submission are the city education bureau's; city staff of another department write
their own department's part, as the city's department users do. On the province's side,
only the education department reviews; the others read. Figures frozen before a column
existed show a dash, and the summary's figures do not add up staff rows they never use.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import AuditEvent, Notification
from accounts.scope import scope_for
from progress import dashboards
from reporting.models import CitySummary, SummaryEvent, SummarySection, SummarySubmission
from reporting.selectors_summary import city_figures
from reporting.tables_summary import county_table
from tests.factories import UserFactory
from tests.reporting import test_summary
from tests.reporting.test_summary import TEXTS, _url, review, save, submit

campaign, taiyuan_city = test_summary.campaign, test_summary.taiyuan_city

FIRE_TEXT = "市消防救援支队联合教育部门抽查培训机构。"


@pytest.fixture
def city_fire(cast):
    """太原市 city staff of the fire department: summary.change, but not the bureau."""
    return UserFactory(username="taiyuan_fire_staff", grant=("city_staff", "140100", "fire"))


@pytest.fixture
def dept_fire(cast):
    return UserFactory(username="taiyuan_fire_dept", grant=("department_user", "140100", "fire"))


def _state():
    return (
        list(CitySummary.objects.values("status", "version", "revision", "organisation")),
        list(SummarySection.objects.values("department", "text", "version")),
        SummarySubmission.objects.count(),
        SummaryEvent.objects.count(),
        AuditEvent.objects.filter(kind=AuditEvent.Kind.SUMMARY).count(),
    )


def test_the_scope_says_only_city_education_writes_the_summary(cast, city_fire):
    assert scope_for(cast.taiyuan).writes_summary("140100")
    assert not scope_for(cast.taiyuan).writes_summary("140200")
    assert not scope_for(city_fire).writes_summary("140100")
    assert not scope_for(cast.province).writes_summary("140100")
    assert not scope_for(cast.xiaodian).writes_summary("140100")
    # City staff of a section department write their department's part instead.
    assert scope_for(city_fire).summary_section_departments("140100") == {"fire"}
    assert scope_for(city_fire).summary_section_departments("140200") == frozenset()
    assert scope_for(cast.taiyuan).summary_section_departments("140100") == frozenset()


def test_city_staff_of_another_department_cannot_write_or_submit_the_summary(
    cast, city_fire, campaign, taiyuan_city
):
    before = _state()
    with pytest.raises(PermissionDenied):
        save(city_fire, campaign, taiyuan_city)  # nor begin it
    assert _state() == before
    save(cast.taiyuan, campaign, taiyuan_city)
    before = _state()
    with pytest.raises(PermissionDenied):
        save(city_fire, campaign, taiyuan_city, texts={**TEXTS, "problems": "消防改写"})
    with pytest.raises(PermissionDenied):
        submit(city_fire, campaign, taiyuan_city)
    assert _state() == before


def test_city_fire_staff_write_the_fire_part_on_the_page_and_not_the_narrative(
    client, cast, city_fire, campaign, taiyuan_city
):
    save(cast.taiyuan, campaign, taiyuan_city)
    client.force_login(city_fire)
    page = client.get(_url("detail", campaign)).content.decode()
    assert 'data-testid="narrative-form"' not in page
    assert 'data-testid="section-form-fire"' in page
    before = _state()
    response = client.post(_url("save", campaign), {**TEXTS, "version": 1, "submit": "1"})
    assert response.status_code == 403 and _state() == before
    url = _url("section", campaign, department="fire")
    assert client.post(url, {"text": FIRE_TEXT, "version": 0}).status_code == 302
    assert SummarySection.objects.get().updated_by == city_fire
    api = reverse("api:summary-section", args=[CitySummary.objects.get().pk])
    response = client.post(
        api, {"department": "fire", "text": "第二稿", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 200 and SummarySection.objects.get().text == "第二稿"
    # Another department's part stays refused.
    police = _url("section", campaign, department="public_security")
    assert client.post(police, {"text": "x", "version": 0}).status_code == 403


def test_a_return_tells_the_bureau_about_the_narrative_and_the_departments_about_their_parts(
    cast, city_fire, dept_fire, campaign, taiyuan_city
):
    save(cast.taiyuan, campaign, taiyuan_city)
    submit(cast.taiyuan, campaign, taiyuan_city)
    review(cast.province, campaign, taiyuan_city, accept=False, comment="请补充消防部门内容")
    bureau = Notification.objects.filter(user=cast.taiyuan)
    assert [n.title for n in bureau] == ["太原市工作总结被退回修改"]
    for user in (city_fire, dept_fire):
        [notice] = Notification.objects.filter(user=user)
        assert "本部门内容" in notice.title + notice.body and "请补充消防部门内容" in notice.body
    submit(cast.taiyuan, campaign, taiyuan_city)
    review(cast.province, campaign, taiyuan_city, accept=True)
    assert Notification.objects.filter(user=cast.taiyuan, title__contains="审核通过").count() == 1
    # The departments have nothing left to write: no news for them on acceptance.
    assert Notification.objects.filter(user__in=[city_fire, dept_fire]).count() == 2


def test_province_staff_of_other_departments_read_and_download_but_see_no_review_controls(
    client, cast, campaign
):
    sports = UserFactory(username="prov_sports2", grant=("province_staff", "140000", "sports"))
    client.force_login(sports)
    page = client.get(reverse("summaries:list")).content.decode()
    assert 'data-testid="summary-list"' in page and 'data-testid="rollup-xlsx"' in page
    assert 'data-testid="waiting"' not in page
    assert client.get(reverse("summaries:rollup_xlsx", args=[campaign.pk])).status_code == 200
    client.force_login(cast.province)
    assert 'data-testid="waiting"' in client.get(reverse("summaries:list")).content.decode()


def test_a_department_user_before_the_bureau_began_is_told_when_to_write(
    client, dept_fire, city_fire, campaign
):
    for user in (dept_fire, city_fire):
        client.force_login(user)
        page = client.get(_url("detail", campaign)).content.decode()
        assert 'data-testid="section-waiting"' in page
        assert "市教育局开始编写工作总结后" in page and 'data-testid="narrative-form"' not in page


def test_the_bureau_gets_its_form_and_not_the_departments_sentence(client, cast, campaign):
    client.force_login(cast.taiyuan)
    page = client.get(_url("detail", campaign)).content.decode()
    assert 'data-testid="narrative-form"' in page and 'data-testid="section-waiting"' not in page


def test_figures_frozen_before_the_new_columns_show_a_dash_per_county(campaign, taiyuan_city):
    figures = city_figures(campaign=campaign, city=taiyuan_city)
    for row in [*figures["counties"], figures["total"]]:
        del row["staff_platform"], row["actions"]
    headers, rows = county_table(figures)
    for label in ("平台信息完整", "处理措施"):
        column = headers.index(label)
        assert {row[column] for row in rows} == {"—"}
    assert rows[-1][headers.index("在营机构")] == figures["total"]["total"]


def test_the_summary_figures_do_not_add_up_staff_rows_and_the_boards_still_do(
    monkeypatch, campaign, taiyuan_city
):
    calls = []
    real = dashboards.staff_rows
    monkeypatch.setattr(dashboards, "staff_rows", lambda *a, **k: calls.append(a) or real(*a, **k))
    city_figures(campaign=campaign, city=taiyuan_city)
    assert calls == []
    scope = scope_for(UserFactory(grant=("city_staff", "140100")))
    dashboards.live_facts(scope, campaign, "1401", campaign.starts_on)
    assert len(calls) == 1
