"""太原市 staff open 台账 on a phone and download the inspection ledger."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.inspections.test_problems import inspected, seed_campaign


@pytest.mark.django_db(transaction=True)
def test_city_staff_download_the_inspection_ledger(page, live_server, cast, places, tmp_path):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("taiyuan")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/ledgers/")
    card = page.get_by_test_id("ledger-inspections")
    card.get_by_label("地区").select_option("140105")
    with page.expect_download() as download:
        card.get_by_test_id("download-inspections").click()
    path = tmp_path / "inspections.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("小店区")
    assert rows[2][0] == "小店区博雅舞蹈培训学校"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_staff_export_a_ledger_in_the_background(page, live_server, cast, places, tmp_path):
    """From the hub: 后台导出 → confirm → 我的导出 follows the worker → download the xlsx."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("taiyuan")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/ledgers/")
    card = page.get_by_test_id("ledger-problems")
    card.get_by_label("地区").select_option("140105")
    card.get_by_test_id("background-problems").click()
    expect(page.get_by_test_id("export-query")).to_contain_text("地区：小店区")
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        page.get_by_test_id("start-export").click()
        expect(page.get_by_test_id("export-runs")).to_be_visible()
        link = page.locator("[data-testid^=download-run-]")
        expect(link).to_be_visible(timeout=60_000)  # htmx polls until the worker is done
    expect(page.get_by_test_id("export-runs")).to_contain_text("保留至")
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "problems.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("问题清单-")
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("小店区") and "问题清单" in rows[0][0]
    assert [r[0] for r in rows[2:]] == ["小店区博雅舞蹈培训学校"] * 2
