"""The province admin opens 30 accounts from a sheet in real Chromium; one of the new users
signs in with the initial password from the once-only sheet and must change it first."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.models import User
from tests.accounts.test_browser import failed_responses, log_in  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Neue-Pass-2024!"


def test_the_province_admin_imports_30_accounts_and_one_signs_in(
    page,
    live_server,
    cast,
    places,
    tmp_path,
    failed_responses,  # noqa: F811
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/accounts/manage/")
    page.get_by_test_id("account-import").click()

    with page.expect_download() as download:
        page.get_by_test_id("download-template").click()
    template = tmp_path / "账号导入模板.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book.active
    sheet.delete_rows(2)  # the sample row
    for i in range(1, 31):
        region = "149999" if i == 17 else ("140105" if i % 2 else "140106")
        sheet.append([f"新同事{i}", f"newcomer{i:02d}", f"1390000{i:04d}", region,
                      "县级检查人员", "教育"])  # fmt: skip
    book.save(template)

    page.set_input_files("#id_file", str(template))
    page.get_by_role("button", name="上传并检查").click()
    errors = page.get_by_test_id("error-table")
    expect(errors).to_contain_text("18")  # row 18: the header is row 1
    expect(errors).to_contain_text("地区代码（D列）")
    expect(errors).to_contain_text("行政区划代码“149999”不存在")
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    assert page.get_by_test_id("confirm-import").count() == 0
    assert not User.objects.filter(username__startswith="newcomer").exists()

    sheet["D18"] = "140105"
    book.save(template)
    page.get_by_role("link", name="重新上传").first.click()
    page.set_input_files("#id_file", str(template))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_test_id("count-created")).to_have_text("30")
    expect(page.get_by_test_id("create-table")).to_contain_text("newcomer17")
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("run-done")).to_be_visible()
    assert User.objects.filter(username__startswith="newcomer").count() == 30

    with page.expect_download() as download:
        page.get_by_test_id("download-passwords").click()
    sheet_path = tmp_path / "初始密码表.xlsx"
    download.value.save_as(sheet_path)
    rows = [list(r) for r in load_workbook(sheet_path).active.iter_rows(values_only=True)]
    issued = {r[1]: r[2] for r in rows if r[1] and str(r[1]).startswith("newcomer")}
    assert len(issued) == 30

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("newcomer01")
    page.get_by_label("密码").fill(issued["newcomer01"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    page.get_by_label("原密码").fill(issued["newcomer01"])
    page.get_by_label(re.compile("^新密码")).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("小店区 · 县级工作台")
    assert not User.objects.get(username="newcomer01").must_change_password
    assert failed_responses == []
