"""An admin imports 1,000 fee records on a 360 px phone, sees each violation with the rule it
broke, records a refund, and the ledger export agrees with the figures on the page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from campaign.services import campaign_seed_2023
from fees.models import FeeRecord, FeeViolation, Refund
from tests.conftest import PASSWORD
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = [
    "机构统一社会信用代码*", "合同编号", "学员", "课程", "金额（元）*", "课时数", "收费起始日期*",
    "收费截止日期*", "收费日期*", "是否进入监管账户*",
]  # fmt: skip


def fee_sheet(path, codes):
    """1,000 charges: a quarter each over the amount, over the hours, over the period, and at
    every limit exactly; every 50th outside the supervised account."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    start = dt.date(2023, 9, 1)
    for n in range(1000):
        amount, hours, end = Decimal("5000.00"), 60, dt.date(2023, 11, 30)
        if n % 4 == 0:
            amount = Decimal("5000.01")
        elif n % 4 == 1:
            hours = 61
        elif n % 4 == 2:
            end = dt.date(2023, 12, 1)
        supervised = "否" if n % 50 == 3 else "是"
        sheet.append([codes[n % len(codes)], f"HT-{n:04d}", f"学员{n}", "舞蹈", amount, hours,
                      start, end, start, supervised])  # fmt: skip
    book.save(path)
    return str(path)


def figure(page, name):
    return page.get_by_test_id(f"figure-{name}").inner_text().replace(",", "")


def test_an_admin_imports_1000_fee_records_records_a_refund_and_the_ledger_agrees(
    page, live_server, cast, places, tmp_path
):
    campaign_seed_2023(province_code="140000")
    others = [InstitutionFactory(name=f"小店区收费测试学校{i}号") for i in range(4)]
    codes = [places.xiaodian.credit_code, *(i.credit_code for i in others)]
    sheet = fee_sheet(tmp_path / "全国平台收费明细.xlsx", codes)
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{live_server.url}/accounts/login/?next=/fees/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("import-link").click()
    page.locator("#id_file").set_input_files(sheet)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_test_id("count-created")).to_have_text(re.compile(r"1,?000"))
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    assert FeeRecord.objects.count() == 0
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("run-done")).to_be_visible()
    assert FeeRecord.objects.count() == 1000

    # The list: each violating charge carries the rule it broke.
    page.get_by_role("link", name="查看收费记录与违规").click()
    expect(page.get_by_test_id("figure-checked")).to_have_text(re.compile(r"1,?000"))
    assert figure(page, "violations") == "770"  # 250 × 3 rules + 20 off-platform
    expect(page.get_by_test_id("by-rule-amount_over_limit")).to_have_text("250")
    expect(page.get_by_test_id("by-rule-hours_over_limit")).to_have_text("250")
    expect(page.get_by_test_id("by-rule-period_over_limit")).to_have_text("250")
    expect(page.get_by_test_id("by-rule-off_platform")).to_have_text("20")
    page.get_by_label("违反规则").select_option("hours_over_limit")
    page.get_by_role("button", name="查询").click()
    first = page.get_by_test_id("record-row").first
    expect(first.locator('[data-rule="hours_over_limit"]')).to_have_text("收费课时超过规定")
    expect(page.get_by_test_id("record-count")).to_contain_text("250")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The ledger; one amount_over_limit charge gets its 0.01 yuan back.
    page.get_by_test_id("ledger-link").click()
    page.get_by_label("违反规则").select_option("amount_over_limit")
    page.get_by_label("搜索").fill("HT-0000")
    page.get_by_role("button", name="查询").click()
    page.get_by_test_id("violation-row").first.click()
    violation = page.get_by_test_id("violation")
    expect(violation).to_have_attribute("data-rule", "amount_over_limit")
    expect(page.get_by_test_id("violation-excess")).to_have_text("0.01")
    form = page.get_by_test_id("refund-form")
    form.get_by_label("退费金额（元）").fill("0.01")
    form.get_by_label("退费日期").fill("2023-10-08")
    form.get_by_label("退给").fill("学员0的家长")
    form.get_by_role("button", name="登记退费").click()
    expect(page.get_by_test_id("violation-status")).to_have_text("已销号")
    expect(page.get_by_test_id("refunded-total")).to_have_text("0.01")
    refund = Refund.objects.get()
    assert (refund.amount, refund.payee) == (Decimal("0.01"), "学员0的家长")

    # The ledger's figures and its export say the same.
    page.goto(f"{live_server.url}/fees/violations/")
    shown = {n: figure(page, n) for n in ("checked", "violations", "over", "refunded")}
    assert shown["refunded"] == "0.01"
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "ledger.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "机构名称")
    summary = {r[0]: r[1] for r in rows[1:header_at] if r[0]}
    assert str(summary["核查收费笔数"]) == shown["checked"]
    assert str(summary["违规条数"]) == shown["violations"]
    assert Decimal(str(summary["超出限额金额（元）"])) == Decimal(shown["over"])
    assert Decimal(str(summary["已退费金额（元）"])) == Decimal(shown["refunded"])
    body = rows[header_at + 1 :]
    assert len(body) == int(shown["violations"])
    closed = [r for r in body if r[20] == "已销号"]
    assert len(closed) == 1 and closed[0][3] == "HT-0000"
    assert Decimal(str(closed[0][17])) == Decimal("0.01")
    assert FeeViolation.objects.filter(status="closed").count() == 1
    assert failed == []
