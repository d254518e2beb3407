"""A province admin manages an account through the real pages in Chromium on a 360 px phone."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_province_admin_creates_grants_resets_and_switches_off_an_account(page, live_server, cast):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    log_in(page, live_server, "admin")
    page.get_by_test_id("manage-accounts").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("账号管理")
    assert fits(page)

    page.get_by_test_id("user-new").click()
    page.get_by_label("用户名").fill("wang.wu")
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_label("地区").select_option("140105")
    page.get_by_label("角色").select_option("county_officer")
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("账号已创建")
    first = page.get_by_test_id("password-value").input_value()
    user = User.objects.get(username="wang.wu")
    assert user.check_password(first) and user.must_change_password
    assert fits(page)

    page.get_by_role("link", name="查看账号").click()
    page.locator("#id_grant-role").select_option("vetting_officer")
    page.locator("#id_grant-region").select_option("140105")
    page.get_by_role("button", name="添加授权").click()
    expect(page.get_by_test_id("grant-row")).to_have_count(2)
    assert fits(page)

    page.get_by_role("button", name="重置密码").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("密码已重置")
    second = page.get_by_test_id("password-value").input_value()
    assert second != first and User.objects.get(pk=user.pk).check_password(second)

    page.get_by_role("link", name="查看账号").click()
    page.get_by_role("button", name="停用账号").click()
    expect(page.get_by_test_id("account-status")).to_have_text("已停用")
    assert not User.objects.get(pk=user.pk).is_active
    expect(page.get_by_test_id("history")).to_contain_text("授予")
    assert failed == []
