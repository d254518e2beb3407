"""A parent files a complaint on a 360 px phone and looks it up by its code; the county
assigns it, refers it to the police and records the police's feedback."""

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from accounts.models import AuditEvent
from complaints import captcha, ratelimit
from complaints.models import Case, Referral
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset("127.0.0.1")
    yield
    ratelimit.reset("127.0.0.1")


def captcha_answer(page) -> str:
    """What the parent reads off the image: the answer kept in their session."""
    from django.conf import settings

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    return SessionStore(session_key=cookie["value"])[captcha.SESSION_KEY]["answer"]


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_parent_files_a_complaint_on_a_phone_and_looks_it_up(page, live_server, cast, places):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.goto(f"{live_server.url}/public/complaints/")
    expect(page.get_by_role("heading", name="校外培训投诉举报")).to_be_visible()
    expect(page.get_by_test_id("captcha-image")).to_be_visible()
    assert page.get_by_test_id("captcha-image").evaluate("img => img.naturalWidth") == 180
    no_sideways_scroll(page)

    page.get_by_label("反映问题的类别").select_option("fees")
    page.get_by_label("所在县（市、区）").select_option("140105")
    page.get_by_label("涉及的培训机构").fill(places.xiaodian.name)
    page.get_by_label("反映内容").fill("机构一次性收了一年的学费，现在停课了不给退。")
    page.get_by_label("您的称呼").fill("王女士")
    page.get_by_label("联系电话").fill("13912345678")
    # A wrong sum first: refused, nothing kept, a new question drawn, the text still there.
    page.get_by_label("验证码").fill("999")
    page.get_by_test_id("submit-complaint").click()
    expect(page.get_by_test_id("error-captcha")).to_contain_text("验证码不正确")
    assert not Case.objects.exists()
    expect(page.get_by_label("反映内容")).to_have_value(
        "机构一次性收了一年的学费，现在停课了不给退。"
    )
    page.get_by_label("验证码").fill(captcha_answer(page))
    page.get_by_test_id("submit-complaint").click()

    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    no_sideways_scroll(page)
    case = Case.objects.get()
    assert case.institution == places.xiaodian and case.contact_masked == "王** 139****5678"

    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_test_id("lookup").click()
    expect(page.get_by_test_id("lookup-status")).to_have_text("待分办")
    body = page.locator("main").inner_text()
    assert "学费" not in body and case.number not in body and "王" not in body
    no_sideways_scroll(page)
    assert failed == []


def test_the_county_assigns_refers_and_records_the_police_feedback(page, live_server, cast, places):
    from complaints.services import case_submit_public

    case, _code = case_submit_public(
        category="minor_offence", county_code="140105", institution_name=places.xiaodian.name,
        description="孩子说舞蹈老师在更衣室有不当触碰，请尽快核查。", reporter_phone="13800001111",
    )  # fmt: skip
    page.goto(f"{live_server.url}/accounts/login/?next=/complaints/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    row = page.get_by_test_id("case-row").filter(has_text=case.number)
    expect(row).to_contain_text("涉未成年人")
    expect(row).not_to_contain_text("更衣室")
    row.click()

    # Not yet assigned: the details stay hidden, even from this county's officer.
    expect(page.get_by_test_id("details-hidden")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_label(re.compile(r"（xiaodian）")).check()
    page.get_by_test_id("triage").click()
    expect(page.get_by_test_id("case-status")).to_have_text("办理中")
    expect(page.get_by_test_id("case-description")).to_contain_text("更衣室")
    expect(page.get_by_test_id("case-contact")).to_contain_text("138****1111")
    # The full number only with a typed reason, which the audit log keeps.
    no_sideways_scroll(page)
    page.get_by_test_id("reveal-reason").fill("回访家长核实情况")
    page.get_by_test_id("reveal-contact").click()
    expect(page.get_by_test_id("contact-full")).to_contain_text("13800001111")
    assert AuditEvent.objects.filter(reason="查看投诉人联系方式：回访家长核实情况").exists()

    page.get_by_label("移送材料").fill("投诉记录一份；机构基本情况")
    page.get_by_test_id("refer").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已移送公安")
    expect(page.get_by_test_id("referral-stage")).to_have_text("待接收")

    # The police unit's reply arrives on paper; the county records it.
    page.get_by_label("公安受案编号").fill("A1401052023110001")
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("referral-stage")).to_have_text("已接收")
    page.get_by_label("处理结果").select_option("filed")
    page.get_by_label("反馈内容").fill("已立案侦查，涉事人员已被控制。")
    page.get_by_test_id("record-feedback").click()
    expect(page.get_by_test_id("referral-stage")).to_have_text("已反馈")
    expect(page.get_by_test_id("referral-feedback")).to_contain_text("已立案侦查")
    no_sideways_scroll(page)

    referral = Referral.objects.get()
    assert referral.sent_by == cast.xiaodian and referral.police_unit == "小店区公安（分）局"
    assert referral.police_case_number == "A1401052023110001" and referral.outcome == "filed"
