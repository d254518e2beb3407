"""查处问责 on a 360 px phone in Chromium: a county officer opens the institution whose
blocked exits were found, records 责令整改 with the notice's number, and sees it there."""

import pytest
from playwright.sync_api import expect

from enforcement.models import EnforcementAction
from tests.conftest import PASSWORD
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_an_order_with_its_document_number(page, live_server, cast, places):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)  # 2.22 major §二: exits too few or too narrow
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    page.get_by_test_id("enforcement-create").click()
    basis = page.get_by_label("处理依据")
    basis.select_option(label=basis.locator("option", has_text="2.22").inner_text())
    page.get_by_label("处理措施").select_option("order")
    page.get_by_label("文书编号").fill("小教责改字〔2023〕第0007号")
    page.get_by_test_id("enforcement-submit").click()

    page.wait_for_url(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    expect(page.get_by_test_id("enforcement-document")).to_have_text("小教责改字〔2023〕第0007号")
    expect(page.get_by_test_id("enforcement-action")).to_contain_text("责令整改")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    action = EnforcementAction.objects.get()
    assert (action.kind, action.recorded_by, action.section) == ("order", cast.xiaodian, "二")
