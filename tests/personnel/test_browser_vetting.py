"""Staff vetting on a 360 px phone in Chromium: a county officer imports 200 staff and asks
for their criminal-record checks; public security fills the sheet in and imports it with two
disqualifying records; two dismissals appear; the institution shows who is still unchecked.
No page or file on the way shows a whole ID number."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from personnel.models import BackgroundCheck, Dismissal, StaffMember
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.factories_personnel import id_number, unmasked_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["姓名*", "身份证号*", "所在机构统一社会信用代码*", "岗位", "入职日期", "离职日期",
          "教师资格证号", "平台信息是否完整"]  # fmt: skip


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def no_whole_ids(page):
    assert not unmasked_ids(page.content().encode()), page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_an_officer_and_public_security_vet_200_staff(page, live_server, cast, places, tmp_path):
    UserFactory(username="police", grant=("department_user", "140000", "public_security"))
    workbook = Workbook()
    workbook.active.append(HEADER)
    for i in range(200):
        workbook.active.append(
            [
                f"员工{i:03d}",
                id_number(),
                places.xiaodian.credit_code,
                "行政人员",
                "2023-09-01",
                "",
                "",
                "是",
            ]  # fmt: skip
        )
    staff_file = tmp_path / "从业人员.xlsx"
    workbook.save(staff_file)

    # The county officer imports the list: preview, then confirm.
    login(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/staff/import/")
    no_whole_ids(page)
    page.set_input_files("#id_file", str(staff_file))
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("count-created")).to_have_text("200")
    no_whole_ids(page)
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("run-done")).to_be_visible()
    assert StaffMember.objects.filter(institution=places.xiaodian).count() == 200

    # From the institution's page: ask for the checks of everyone there, export the sheet.
    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    expect(page.get_by_test_id("compliance-percent")).to_have_text("0%")
    page.get_by_test_id("institution-batch").click()
    expect(page.get_by_test_id("batch-institution")).to_contain_text(places.xiaodian.name)
    page.get_by_test_id("batch-submit").click()
    expect(page.get_by_test_id("batch-counts")).to_contain_text("共 200 人")
    no_whole_ids(page)
    with page.expect_download() as download:
        page.get_by_test_id("batch-export").click()
    sheet_path = tmp_path / "申请表.xlsx"
    download.value.save_as(sheet_path)
    assert not unmasked_ids(sheet_path.read_bytes())

    # Public security fills the sheet in: two disqualifying records, two rows not yet back.
    workbook = load_workbook(sheet_path)
    sheet = workbook.active
    assert sheet["A2"].value == "申请编号"
    for row in range(3, 203):
        for column, value in zip("HIJK", ["2023-11-20", "小店分局", f"XD2023-{row}", "无犯罪记录"],
                                 strict=True):  # fmt: skip
            sheet[f"{column}{row}"] = value
    sheet["K3"], sheet["L3"] = "有犯罪记录", "吸毒、贩毒"
    sheet["K4"], sheet["L4"] = "有犯罪记录", "暴力伤害"
    sheet.delete_rows(201, 2)
    results_file = tmp_path / "查询结果.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    results_file.write_bytes(buffer.getvalue())

    login(page, live_server, "police")
    page.goto(f"{live_server.url}/staff/checks/")
    page.get_by_test_id("result-import").click()
    page.set_input_files("#id_file", str(results_file))
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("count-updated")).to_have_text("198")
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    no_whole_ids(page)
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("run-done")).to_be_visible()
    assert BackgroundCheck.objects.filter(status="done").count() == 198

    # Two dismissal tasks, which the county officer sees.
    login(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/staff/dismissals/")
    expect(page.get_by_test_id("dismissal-count")).to_have_text("共 2 项")
    no_whole_ids(page)
    assert Dismissal.objects.filter(institution=places.xiaodian, status="open").count() == 2

    # The institution's compliance: 198 of 200 checked, the two still unchecked named.
    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    expect(page.get_by_test_id("compliance-percent")).to_have_text("99%")
    expect(page.get_by_test_id("unchecked").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("open-dismissals")).to_contain_text("待清退 2 人")
    no_whole_ids(page)
    page.goto(f"{live_server.url}/staff/")
    no_whole_ids(page)
