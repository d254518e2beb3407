"""On a 360 px phone: the institution registers a member of staff and enters a charge that
breaks the fee rules, and sees the violation at once; the county officer opens the accounts
of every institution of the county in bulk and downloads the initial passwords once."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from institutions.models import InstitutionAccount
from personnel.models import StaffMember
from tests.accounts.test_browser import failed_responses, log_in  # noqa: F401 (fixture)
from tests.factories.personnel import id_number
from tests.inspections.test_problems import seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Jigou-Mima-2026!"


def test_the_institution_keeps_its_staff_and_fee_lists(
    page,
    live_server,
    cast,
    places,
    failed_responses,  # noqa: F811
):
    from accounts.scope import scope_for
    from institutions.accounts import institution_account_open

    seed_campaign()
    institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        username="jigou_lists", password=PASSWORD,
    )  # fmt: skip
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("jigou_lists")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("tab-staff").click()
    page.get_by_test_id("staff-create").click()
    page.get_by_label("姓名").fill("赵老师")
    number = id_number()
    page.get_by_label("身份证号").fill(number)
    page.get_by_label("入职日期").fill("2023-09-01")
    page.get_by_test_id("staff-save").click()
    expect(page.get_by_test_id("own-staff")).to_contain_text("赵老师")
    member = StaffMember.objects.get()
    expect(page.get_by_test_id("own-staff")).to_contain_text(member.id_masked)
    assert number not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_test_id("tab-fees").click()
    page.get_by_test_id("fee-create").click()
    today = timezone.localdate()
    page.get_by_label("课程").fill("少儿舞蹈")
    page.get_by_label("金额（元）").fill("9800")
    page.get_by_label("收费起始日期").fill(today.isoformat())
    page.get_by_label("收费截止日期").fill((today + dt.timedelta(days=300)).isoformat())
    page.get_by_label("收费日期").fill(today.isoformat())
    page.get_by_label("否").check()
    page.get_by_role("button", name="保存并核查").click()
    expect(page.get_by_text("该笔收费不符合收费规则")).to_be_visible()
    expect(page.get_by_test_id("violation").first).to_be_visible()
    expect(page.get_by_test_id("open-violations")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed_responses == []


def test_the_county_opens_every_institutions_account_and_downloads_the_sheet_once(
    page,
    live_server,
    cast,
    places,
    failed_responses,  # noqa: F811
):
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/institutions/")
    page.get_by_test_id("account-batches").click()
    expect(page.get_by_label("县（市、区）")).to_contain_text("小店区")
    page.get_by_test_id("batch-start").click()
    expect(page.get_by_text("已为小店区开通 1 个机构账号")).to_be_visible()
    account = InstitutionAccount.objects.get()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载初始密码表（仅一次）").click()
    with open(download.value.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = [row for row in sheet.values if row and row[2] == account.user.username]
    assert rows and account.user.check_password(rows[0][3])
    page.reload()
    expect(page.get_by_text("初始密码表已下载或已过期")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed_responses == []
