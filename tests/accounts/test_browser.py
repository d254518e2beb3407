"""Real Chromium (Debian's) through Playwright, on a 360 px wide phone screen."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failed_responses(page):
    """Every response of 400 or more the page received: a missing script or style shows here."""
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return failed


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_county_officer_logs_in_on_a_phone_and_sees_the_chinese_dashboard(
    page, live_server, cast, places, failed_responses
):
    log_in(page, live_server, "xiaodian")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("小店区 · 县级工作台")
    expect(page.get_by_test_id("institution-total")).to_have_text("1")
    # Nothing overflows the 360 px screen sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The menu folds into the toggler on a phone and opens with a tap.
    page.get_by_role("button", name="菜单").click()
    # The menu slides open on a phone: wait until it has (a tap mid-slide can miss).
    expect(page.locator("#mainnav.show")).to_be_visible()
    page.get_by_role("link", name="培训机构", exact=True).click()
    # Measured once the list is there: mid-navigation there is no document yet.
    expect(page).to_have_url(f"{live_server.url}/institutions/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name=places.xiaodian.name).click()
    expect(page.get_by_test_id("institution-name")).to_have_text(places.xiaodian.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed_responses == []


def test_province_dashboard_draws_its_chart_from_vendored_echarts(
    page, live_server, cast, places, failed_responses
):
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "province")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("山西省 · 省级工作台")
    expect(page.locator("#child-region-chart canvas")).to_have_count(1)
    assert [u for u in outside if not u.startswith("data:")] == []
    assert failed_responses == []


def test_wrong_password_keeps_the_user_on_the_login_page(page, live_server, cast):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill("Wrong-pass-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
