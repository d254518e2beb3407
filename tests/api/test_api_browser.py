"""On a 360 px phone, a county officer creates an API token, sees it once, uses it, revokes it."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from api.services import digest
from tests.accounts.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def failed(page):
    """Every response of 400 or more the page received (a missing script or style shows)."""
    seen = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return seen


def call(live_server, secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (our own server)
        f"{live_server.url}/api/v1/regions/", headers={"Authorization": f"Token {secret}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            json.load(response)
            return response.status
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def test_a_county_officer_creates_a_token_sees_it_once_and_revokes_it(
    page, live_server, cast, places, failed
):
    log_in(page, live_server, "xiaodian")
    page.get_by_role("button", name="菜单").click()
    # The menu slides open on a phone: wait until it has, then follow the link.
    expect(page.locator("#mainnav.show")).to_be_visible()
    page.get_by_test_id("user-menu").click()  # the token page is the user's own
    page.get_by_role("link", name="API 令牌").click()
    page.wait_for_url(f"{live_server.url}/api/tokens/")
    expect(page.get_by_role("heading", name="API 令牌", exact=True)).to_be_visible()
    page.get_by_label("名称").fill("县局数据同步")
    page.get_by_role("button", name="创建").click()
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("aq_")
    assert ApiToken.objects.get().digest == digest(secret)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert call(live_server, secret) == 200

    # Shown once: the page opened again lists the token by its prefix only.
    page.goto(f"{live_server.url}/api/tokens/")
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    row = page.get_by_test_id("token-row")
    expect(row).to_contain_text("县局数据同步")
    expect(row).to_contain_text(secret[:10])
    assert secret not in page.content()

    row.get_by_role("button", name="吊销").click()
    expect(page.get_by_role("alert")).to_contain_text("令牌“县局数据同步”已吊销")
    expect(page.get_by_test_id("token-row")).to_contain_text("已吊销")
    assert call(live_server, secret) == 401
    assert failed == []


def test_the_docs_page_renders_the_schema_from_the_apps_own_files(page, live_server, cast, failed):
    log_in(page, live_server, "xiaodian")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("安全守护 API")
    expect(page.get_by_text("/api/v1/rectifications/", exact=True).first).to_be_visible()
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) <= {live_server.url.split("//")[1]}
    assert failed == []
