"""The top menu in real Chromium: one line on a 1366 px office screen for every working role;
folded behind the toggler on a 360 px phone, with thumb-sized entries and 退出 in the user menu."""

import pytest
from playwright.sync_api import expect

from tests.accounts.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ONE_LINE = """() => {
  const nav = document.querySelector('[data-testid=navbar]');
  const links = [...nav.querySelectorAll('.nav-link')];
  const tops = new Set(links.map(l => Math.round(l.getBoundingClientRect().top)));
  const tallest = Math.max(...links.map(l => l.getBoundingClientRect().height));
  const style = getComputedStyle(nav);
  const inner = nav.getBoundingClientRect().height
    - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return {rows: tops.size, tallest, inner, count: links.length,
          wide: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "admin"])
def test_the_menu_fits_one_line_at_1366_px(page, live_server, cast, member):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, member)
    expect(page.get_by_test_id("current-user")).to_be_visible()
    got = page.evaluate(ONE_LINE)
    assert got["count"] >= 4 and got["rows"] == 1, got
    # The bar is one link tall (the brand may add a few pixels), and no link broke in two.
    assert got["inner"] <= got["tallest"] + 4, got
    assert got["tallest"] < 48, got
    assert got["wide"] <= 1366, got
    # What belongs to the person waits in their menu, not on the bar.
    expect(page.get_by_role("button", name="退出")).to_be_hidden()
    expect(page.get_by_role("button", name="English")).to_be_hidden()


def test_on_a_phone_the_toggler_opens_thumb_sized_entries_and_the_user_menu_holds_logout(
    page, live_server, cast
):
    log_in(page, live_server, "xiaodian")
    page.get_by_role("button", name="菜单").click()
    expect(page.locator("#mainnav.show")).to_be_visible()
    heights = page.locator("#mainnav .nav-link").evaluate_all(
        "links => links.map(l => l.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("user-menu").click()
    logout = page.get_by_role("button", name="退出")
    expect(logout).to_be_visible()
    assert logout.bounding_box()["height"] >= 44
    expect(page.get_by_role("link", name="API 令牌")).to_be_visible()
    logout.click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_the_auditor_gets_no_api_token_entry(page, live_server, cast):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "auditor")
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("link", name="API 令牌")).to_have_count(0)
