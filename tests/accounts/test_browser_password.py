"""The first sign-in of a county officer whose account an admin made, in real Chromium on a
phone: sent to the change page, changes the password, works, signs out and back in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.accounts.test_browser import failed_responses, log_in  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Neue-Pass-2024!"


def test_a_county_officer_changes_the_chosen_password_at_the_first_sign_in(
    page,
    live_server,
    cast,
    places,
    failed_responses,  # noqa: F811
):
    User.objects.filter(username="xiaodian").update(must_change_password=True)
    log_in(page, live_server, "xiaodian")

    expect(page).to_have_url(f"{live_server.url}/account/password/")
    expect(page.get_by_test_id("forced-reason")).to_have_text(
        "初始密码或管理员重置的密码须修改后才能使用系统。"
    )
    # Anywhere else leads back here until the password is changed.
    page.goto(f"{live_server.url}/inspections/problems/")
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("原密码").fill("Test-pass-2023")
    page.get_by_label(re.compile("^新密码")).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()

    expect(page.get_by_test_id("dashboard-title")).to_have_text("小店区 · 县级工作台")
    expect(page.get_by_role("alert")).to_contain_text("密码已修改")
    assert not User.objects.get(username="xiaodian").must_change_password

    page.get_by_role("button", name="菜单").click()
    # The menu slides open on a phone: wait until it has (a tap mid-slide can miss).
    expect(page.locator("#mainnav.show")).to_be_visible()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("小店区 · 县级工作台")
    assert failed_responses == []
