"""A county officer may not close a suspected offence against a minor unreferred: they write
why it need not go to the police, the city approves, and then it closes."""

import pytest
from playwright.sync_api import expect

from accounts.scope import Scope
from complaints import no_referral
from complaints.models import Case
from tests.complaints.test_complaints import officer_case
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "经调取监控并询问在场学生，教师仅口头提醒纪律，不涉嫌违法犯罪。"


def test_an_officer_closes_a_minor_case_after_the_city_approves_not_referring(
    page, live_server, cast
):
    case = officer_case(cast.xiaodian, category="minor_offence")
    page.goto(f"{live_server.url}/accounts/login/?next=/complaints/{case.pk}/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("close-blocker")).to_contain_text("须移送公安机关")

    # Closing unreferred is refused, in Chinese, and nothing changes.
    page.get_by_label("办理结果").fill("经核查已处理完毕")
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("close-error")).to_contain_text("上级教育部门审核同意不移送")
    assert Case.objects.get(pk=case.pk).status == "assigned"

    page.get_by_label("不移送公安的理由").fill(REASON)
    page.get_by_test_id("propose-no-referral").click()
    expect(page.get_by_test_id("no-referral-pending")).to_be_visible()
    expect(page.get_by_test_id("no-referral-reason")).to_have_text(REASON)

    # The city's education staff approve (their own page is covered by the service tests).
    no_referral.no_referral_review(
        case=case, actor=cast.taiyuan, scope=Scope.for_user(cast.taiyuan), approve=True,
        proposed_at=Case.objects.get(pk=case.pk).no_referral_proposed_at,
    )  # fmt: skip
    page.reload()
    expect(page.get_by_test_id("no-referral-reviewed")).to_contain_text("已审核同意不移送")
    page.get_by_label("办理结果").fill("经核查不涉嫌违法犯罪，市级审核同意不移送")
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("case-status")).to_have_text("已办结")
    case.refresh_from_db()
    assert case.closed_by == cast.xiaodian and case.no_referral_reviewed_by == cast.taiyuan
