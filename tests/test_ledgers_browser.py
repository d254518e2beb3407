"""太原市 staff open 台账 on a phone and download the inspection ledger."""

import pytest
from openpyxl import load_workbook

from .conftest import PASSWORD
from .test_problems import inspected, seed_campaign


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
