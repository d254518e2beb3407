"""An admin imports a messy sheet through the real pages in Chromium."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from institutions.models import Institution
from tests.conftest import PASSWORD
from tests.institutions.test_import import code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_downloads_the_template_fixes_errors_and_imports(page, live_server, cast, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/institutions/")
    page.get_by_test_id("institution-import").click()

    with page.expect_download() as download:
        page.get_by_test_id("download-template").click()
    template = tmp_path / "模板.xlsx"
    download.value.save_as(template)

    good, bad = code(), code("140213")
    book = load_workbook(template)
    sheet = book["机构名录"]
    sheet.insert_rows(1)
    sheet["A1"] = "2023年山西省校外培训机构名录"  # a title row above the header, as offices do
    sheet.append(["  小店区星火舞蹈培训学校 ", good, "", "非学科类", "文化艺术", "小店区"])
    sheet.append(
        [
            "平城区明德英语培训学校",
            bad[:-1] + ("0" if bad[-1] != "0" else "1"),
            "",
            "学科类",
            "",
            "平城区",
        ]
    )
    sheet.append(["迎泽区育才编程培训中心", code("140106"), "", "非学科类", "科技", "火星区"])
    book.save(template)

    page.set_input_files("#id_file", str(template))
    page.get_by_role("button", name="上传并检查").click()
    errors = page.get_by_test_id("error-table")
    expect(errors).to_contain_text("校验位不正确")
    expect(errors).to_contain_text("找不到县区“火星区”")
    expect(page.get_by_test_id("count-errors")).to_have_text("2")
    assert page.get_by_test_id("confirm-import").count() == 0
    assert Institution.objects.count() == 0

    sheet.delete_rows(4, 2)
    sheet.append(["平城区明德英语培训学校", bad, "", "学科类", "", "平城区"])
    sheet.append(["迎泽区育才编程培训中心", code("140106"), "", "非学科类", "科技", "迎泽区"])
    book.save(template)
    page.get_by_role("link", name="重新上传").first.click()
    page.set_input_files("#id_file", str(template))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("run-done")).to_be_visible()

    page.get_by_role("link", name="查看机构名录").click()
    expect(page.get_by_role("link", name="小店区星火舞蹈培训学校")).to_be_visible()
    assert Institution.objects.count() == 3
