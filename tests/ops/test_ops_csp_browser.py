"""The strict Content-Security-Policy holds in Chromium: every main page, opened by the
anonymous visitor, a county officer on a phone, city and province staff on a desktop,
reports no CSP violation (a refused inline script or style, eval, an outside host)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from tests.conftest import PASSWORD
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# The page's own record of violations, installed before any page script runs (Playwright
# injects it through the DevTools protocol, which the policy does not govern).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
    " @ " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "csp"}
    }


@pytest.fixture
def seeded(cast, places):
    seed_campaign()
    with time_machine.travel(dt.datetime(2023, 11, 20, 9, tzinfo=SHANGHAI), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
    return places


@pytest.fixture
def watched(page):
    """The page, and every CSP complaint it makes: console errors and violation events."""
    complaints = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: complaints.append(f"page error: {error}"))
    return page, complaints


def visit(page, complaints, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy, url
    page.wait_for_load_state("networkidle")
    complaints.extend(page.evaluate("window.__cspViolations || []"))


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def nav_links(page) -> list[str]:
    return page.eval_on_selector_all("#mainnav a.nav-link", "links => links.map(a => a.href)")


def test_public_pages_break_no_policy(watched, live_server, seeded):
    page, complaints = watched
    for path in ("/accounts/login/", "/public/complaints/", "/public/campaigns/"):
        visit(page, complaints, live_server.url + path)
    assert complaints == []


@pytest.mark.parametrize("username", ["xiaodian", "taiyuan", "province", "admin"])
def test_every_main_page_of_a_role_breaks_no_policy(watched, live_server, seeded, username):
    page, complaints = watched
    if username != "xiaodian":
        page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, username)
    visit(page, complaints, live_server.url + "/")
    links = nav_links(page)
    assert len(links) >= 3
    for url in links:
        visit(page, complaints, url)
    if username == "xiaodian":
        # Progress bars get their width from data-width through static/js/widths.js.
        visit(page, complaints, live_server.url + "/")
        bar = page.locator(".progress-bar[data-width]").first
        assert bar.evaluate("el => el.style.width") == bar.get_attribute("data-width") + "%"
        visit(page, complaints, f"{live_server.url}/institutions/{seeded.xiaodian.pk}/")
    if username == "province":
        # Swagger UI (vendored from a pip package) renders the API docs under the same policy.
        visit(page, complaints, live_server.url + "/api/docs/")
        page.locator(".swagger-ui .opblock").first.wait_for()
        complaints.extend(page.evaluate("window.__cspViolations"))
        visit(page, complaints, live_server.url + "/api/tokens/")
    if username in ("taiyuan", "province"):
        # A chart's tooltip on hover must not write style attributes either.
        visit(page, complaints, live_server.url + "/")
        chart = page.locator("#child-region-chart")
        assert chart.count() == 1
        chart.hover()
        page.mouse.move(200, 200)
        complaints.extend(page.evaluate("window.__cspViolations"))
    assert complaints == []


def test_the_watch_reports_an_inline_script_and_style(watched, live_server, seeded):
    """The checks above would catch a violation: a page under our policy with both."""
    page, complaints = watched
    policy = page.request.get(live_server.url + "/accounts/login/").headers[
        "content-security-policy"
    ]
    page.route(
        live_server.url + "/csp-probe/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body='<p style="color: red">x</p><script>document.title = "ran";</script>',
        ),
    )
    page.goto(live_server.url + "/csp-probe/")
    page.wait_for_load_state("load")
    complaints.extend(page.evaluate("window.__cspViolations"))
    assert page.title() != "ran"
    assert any("script-src" in c for c in complaints)
    assert any("style-src" in c for c in complaints)
