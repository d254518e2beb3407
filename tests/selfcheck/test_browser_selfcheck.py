"""The chain of #21 on a 360 px phone: the institution self-inspects (one item not met, with a
photo) and submits; the county officer's screening form shows that self-answer beside the
item; the officer records the problem; the institution sends a receipt with a photo; the
officer closes it."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from accounts.scope import scope_for
from inspections.models import Finding
from institutions.accounts import institution_account_open
from selfcheck.models import SelfAnswer, SelfInspection, SelfPhoto
from tests.accounts.test_browser import failed_responses, log_in  # noqa: F401 (fixture)
from tests.inspections.test_problems import seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"已保存 \d\d:\d\d:\d\d")
PASSWORD = "Jigou-Mima-2026!"


def photo(path, colour) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def sign_in_as_institution(page, live_server):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("jigou_chain")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def fill_every_section_compliant(page):
    for section in page.locator(".inspection-section").all():
        toggle = section.locator(".section-toggle")
        if toggle.get_attribute("aria-expanded") == "false":
            toggle.click()
        section.get_by_role("button", name="本节全部合规").click()
    # The measured items take a number inside every limit.
    for box in page.locator('input[data-field="number"]').all():
        box.fill("5")


def test_self_inspection_to_a_closed_problem(
    page,
    live_server,
    cast,
    places,
    tmp_path,
    failed_responses,  # noqa: F811
):
    seed_campaign()
    institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        username="jigou_chain", password=PASSWORD,
    )  # fmt: skip

    # The institution self-inspects on its phone: everything 合规 but 1.01, photographed.
    sign_in_as_institution(page, live_server)
    page.get_by_test_id("selfcheck-link").click()
    page.get_by_test_id("selfcheck-start").click()
    expect(page.get_by_test_id("selfcheck-title")).to_have_text("自查自评")
    fill_every_section_compliant(page)
    item = page.get_by_test_id("item-1.01")
    item.get_by_text("不合规", exact=True).click()
    item.get_by_label("问题描述").fill("安全管理制度未上墙")
    item.locator('input[type="file"]').set_input_files(photo(tmp_path / "self.jpg", "purple"))
    expect(page.get_by_test_id("thumbs-1.01").locator("img")).to_have_count(1)
    expect(page.locator("#inspection-form")).to_have_attribute("data-pending", "0")
    expect(page.get_by_test_id("save-state")).to_have_text(SAVED)
    total = page.get_by_test_id("progress-total").inner_text()
    expect(page.get_by_test_id("progress-done")).to_have_text(total)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    plan = timezone.localdate() + dt.timedelta(days=5)
    page.get_by_label("计划整改完成日期").fill(plan.isoformat())
    page.get_by_test_id("submit-selfcheck").click()
    expect(page.get_by_text("自查表已提交")).to_be_visible()
    expect(page.get_by_test_id("selfcheck-status")).to_have_text("已提交")
    expect(page.get_by_test_id("fix-item-1.01")).to_contain_text("安全管理制度未上墙")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    record = SelfInspection.objects.get()
    assert record.status == "submitted"
    assert SelfAnswer.objects.get(item__code="1.01").fix_by == plan
    assert SelfPhoto.objects.count() == 1

    # The county officer screens the institution: the self-answer sits beside 1.01.
    page.context.clear_cookies()
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    page.get_by_test_id("inspection-start").click()
    beside = page.get_by_test_id("self-answer-1.01")
    expect(beside).to_contain_text("机构自查：")
    expect(beside).to_contain_text("不合规")
    expect(beside).to_contain_text("安全管理制度未上墙")
    expect(beside.get_by_role("link", name="自查照片 1")).to_be_visible()
    expect(page.get_by_test_id("self-answer-1.02")).to_contain_text("合规")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    fill_every_section_compliant(page)
    item = page.get_by_test_id("item-1.01")
    item.locator('label[for="v-1.01-non_compliant"]').click()
    item.get_by_label("问题描述").fill("核实：制度仍未上墙")
    item.locator('input[type="file"]').set_input_files(photo(tmp_path / "site.jpg", "gray"))
    expect(page.get_by_test_id("thumbs-1.01").locator("img")).to_have_count(1)
    expect(page.locator("#inspection-form")).to_have_attribute("data-pending", "0")
    page.get_by_label("限期整改").check()
    page.get_by_label("整改期限").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    page.get_by_test_id("submit-inspection").click()
    expect(page.get_by_test_id("inspection-status")).to_have_text("已提交")
    problem = Finding.objects.get(task__institution=places.xiaodian)
    assert problem.item.code == "1.01"

    # The institution sends its receipt with a photo.
    sign_in_as_institution(page, live_server)
    page.get_by_test_id("own-problem").get_by_role("link").click()
    page.get_by_label("整改情况").fill("制度已制作上墙")
    page.set_input_files("#id_photos", photo(tmp_path / "fixed.jpg", "orange"))
    page.get_by_test_id("receipt-submit").click()
    expect(page.get_by_text("整改回执已报送，等待检查部门复查销号")).to_be_visible()

    # The officer closes it.
    page.context.clear_cookies()
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/inspections/problems/{problem.pk}/")
    expect(page.get_by_test_id("receipt-photos").get_by_role("img")).to_have_count(1)
    page.get_by_label("整改到位，销号").check()
    page.get_by_role("button", name="提交复查结论").click()
    expect(page.get_by_text("复查合格，问题已销号")).to_be_visible()
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert failed_responses == []
