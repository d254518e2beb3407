"""On a 360 px phone: the county officer opens an institution's account on its page and reads
the one-time password; the institution signs in with it, must change it, and lands on its
own page with the problem found at its premises."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.test_browser import failed_responses, log_in  # noqa: F401 (fixture)
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Jigou-Mima-2026!"


def test_the_county_opens_an_account_and_the_institution_signs_in(
    page,
    live_server,
    cast,
    places,
    failed_responses,  # noqa: F811
):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    panel = page.get_by_test_id("institution-accounts")
    expect(panel).to_contain_text("尚未开通机构账号")
    panel.get_by_test_id("account-open").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("机构账号已开通")
    username = page.get_by_test_id("username-value").input_value()
    password = page.get_by_test_id("password-value").input_value()
    assert username == places.xiaodian.credit_code
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/account/password/")
    page.get_by_label("原密码").fill(password)
    page.get_by_label(re.compile("^新密码")).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text(places.xiaodian.name)
    expect(page.get_by_test_id("own-problem")).to_have_count(1)
    expect(page.get_by_test_id("own-problems")).to_contain_text("1.01")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed_responses == []


def test_the_institution_sends_a_receipt_with_a_photo_and_the_officer_closes_it(
    page,
    live_server,
    cast,
    places,
    tmp_path,
    failed_responses,  # noqa: F811
):
    import io

    from PIL import Image

    from accounts.scope import scope_for
    from inspections.models import Finding
    from institutions.accounts import institution_account_open
    from ops.management.commands.seed_demo import DEMO_PASSWORD

    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        username="jigou_test", password=DEMO_PASSWORD,
    )  # fmt: skip
    photo = tmp_path / "整改后.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("jigou_test")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("own-problem").get_by_role("link").click()
    page.get_by_label("整改情况").fill("已建立安全管理制度并上墙公示")
    page.set_input_files("#id_photos", str(photo))
    page.get_by_test_id("receipt-submit").click()
    expect(page.get_by_text("整改回执已报送，等待检查部门复查销号")).to_be_visible()
    expect(page.get_by_test_id("own-problem")).to_contain_text("已报整改")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    problem = Finding.objects.get(task__institution=places.xiaodian)
    page.context.clear_cookies()
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/inspections/problems/{problem.pk}/")
    expect(page.get_by_test_id("report-note")).to_contain_text("已建立安全管理制度并上墙公示")
    thumb = page.get_by_test_id("receipt-photos").get_by_role("img")
    expect(thumb).to_have_count(1)
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 640
    page.get_by_label("整改到位，销号").check()
    page.get_by_role("button", name="提交复查结论").click()
    expect(page.get_by_text("复查合格，问题已销号")).to_be_visible()
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert failed_responses == []
