"""Province staff publish the campaign on a phone; a member of the public, not logged in,
reads the disclosure page at 360 px: draws, serious violations, figures, nothing personal."""

import pytest
from playwright.sync_api import expect

from reporting.models import Publication
from tests.conftest import PASSWORD
from tests.reporting.test_disclosure import INSPECTOR_NAMES, MUST_REASON, SEED, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_province_publishes_and_the_public_reads_it_on_a_phone(page, live_server, cast, places):
    campaign, draw = build_world(cast, places)
    page.set_viewport_size({"width": 360, "height": 740})
    public_url = f"{live_server.url}/public/campaigns/{campaign.pk}/"

    page.goto(public_url)  # nothing yet
    expect(page.get_by_test_id("nothing-published")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("province")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{live_server.url}/public/campaigns/manage/")
    card = page.get_by_test_id(f"campaign-{campaign.pk}")
    expect(card.get_by_test_id("state")).to_have_text("未公开")
    card.get_by_label("公开说明").fill("按通知要求向社会公开")
    card.get_by_test_id("publish").click()
    expect(card.get_by_test_id("state")).to_have_text("已公开")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert Publication.objects.get().published_by == cast.province

    page.context.clear_cookies()  # now a member of the public
    page.goto(public_url)
    expect(page.get_by_test_id("public-title")).to_have_text(campaign.name)
    expect(page.get_by_test_id("draw-seed")).to_have_text(SEED)
    expect(page.get_by_test_id("draw-quota")).to_have_text(
        f"{draw.required_institutions} / {len(draw.institutions)}"
    )
    expect(page.get_by_test_id("draw-institutions").locator("li")).to_have_count(
        len(draw.institutions)
    )
    violations = page.get_by_test_id("violation")
    expect(violations).to_have_count(2)
    expect(page.get_by_test_id("violations")).to_contain_text(places.pingcheng.name)
    expect(page.get_by_test_id("fig-screened")).to_have_text("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    text = page.inner_text("body")
    for secret in (*INSPECTOR_NAMES, MUST_REASON, cast.province.full_name, "13912345678"):
        assert secret not in text
