"""Each dashboard in Chromium as its role: the county officer on a 360 px phone, city and
province staff on a desktop; each clicks through from a figure to what lies behind it."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from playwright.sync_api import expect

from core.models import Region
from tests.conftest import PASSWORD
from tests.factories import InstitutionFactory
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}
    }


@pytest.fixture
def seeded(cast, places):
    """小店区: the dance school screened with two problems, a sports club not yet screened."""
    seed_campaign()
    InstitutionFactory(
        name="小店区飞跃篮球俱乐部", county=Region.objects.get(code="140105"), sector="sports"
    )
    with time_machine.travel(dt.datetime(2023, 11, 20, 9, tzinfo=SHANGHAI), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)


@pytest.fixture
def failed(page):
    found = []
    page.on("response", lambda r: found.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return found


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_county_officer_on_a_phone_opens_the_unscreened_institutions(
    page, live_server, seeded, failed
):
    log_in(page, live_server, "xiaodian")
    expect(page.get_by_test_id("board-county")).to_be_visible()
    expect(page.get_by_test_id("board-sectors")).to_contain_text("体育")
    expect(page.get_by_test_id("board-problems")).to_contain_text("二、消防安全")
    # The county phase is 排查整改: screened and rectified side by side, and whether done.
    expect(page.get_by_test_id("screened")).to_have_text("1 / 2")
    expect(page.get_by_test_id("rectified")).to_have_text("0 / 2")
    expect(page.get_by_test_id("phase-state")).to_contain_text("排查整改未完成")
    expect(page.get_by_test_id("phase-state")).to_contain_text("2 项排查问题逾期未销号")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("unscreened-link").click()
    expect(page.get_by_test_id("list-title")).to_have_text("小店区 · 未排查机构 共 1 家")
    expect(page.get_by_test_id("screening-list")).to_contain_text("小店区飞跃篮球俱乐部")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed == []


def test_city_and_province_staff_see_their_boards_and_drill_down(page, live_server, seeded, failed):
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    log_in(page, live_server, "taiyuan")
    expect(page.get_by_test_id("board-city")).to_be_visible()
    expect(page.locator("#coverage-chart canvas")).to_have_count(1)
    expect(page.get_by_test_id("region-row-140105")).to_contain_text("50.0%")
    page.get_by_test_id("region-row-140105").get_by_role("link", name="小店区").click()
    expect(page.get_by_test_id("board-county")).to_be_visible()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("小店区 · 县级工作台")

    page.context.clear_cookies()
    log_in(page, live_server, "province")
    expect(page.get_by_test_id("board-province")).to_be_visible()
    expect(page.locator("#trend-chart canvas")).to_have_count(1)
    expect(page.get_by_test_id("freshness")).to_contain_text("以下数字为汇总结果")
    ranking = page.get_by_test_id("board-ranking")
    # 大同市 has screened none of its one institution: furthest behind; 太原市 1 of 3.
    expect(ranking.get_by_role("listitem").first).to_contain_text("大同市")
    expect(ranking.get_by_role("listitem").nth(1)).to_contain_text("33.3%")
    ranking.get_by_role("link", name="太原市").click()
    expect(page.get_by_test_id("board-city")).to_be_visible()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("太原市 · 市级工作台")
    assert [u for u in outside if not u.startswith("data:")] == []
    assert failed == []
