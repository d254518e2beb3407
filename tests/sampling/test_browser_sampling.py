"""太原市 staff draw the city sample in Chromium: quota, seed, preview, a joint team short of
a department (named, confirm withheld), the pool completed, confirm, teams, export, verify;
the province does the same at 5%."""

import io
import subprocess
import sys

import pytest
from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.scope import scope_for
from campaign.services import campaign_seed_2023
from core.models import Region
from sampling import services
from sampling.models import Assignment, Draw
from tests.conftest import PASSWORD
from tests.factories import InstitutionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_city_staff_draw_confirm_see_teams_export_and_verify(page, live_server, cast, tmp_path):
    campaign = campaign_seed_2023(province_code="140000")[0]
    page.set_viewport_size({"width": 1280, "height": 900})
    sizes = {"140105": 30, "140106": 25, "140107": 20, "140108": 12, "140109": 8, "140110": 5}
    for code, n in sizes.items():
        InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    for code, department in [("140105", "education"), ("140106", "education"),
                             ("140107", "fire"), ("140109", "fire")]:  # fmt: skip
        person = UserFactory(grant=("county_officer", code, department))
        services.pool_add(
            round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan)
        )
    # The institutions are culture & art: their supervisor, culture & tourism, is not in the
    # pool yet; this officer of it (city level: no county of the drawn ones) is registered in
    # between.
    UserFactory(full_name="文旅局林检查", grant=("department_user", "140100", "culture_tourism"))
    login(page, live_server, "taiyuan")
    page.goto(f"{live_server.url}/sampling/")
    page.get_by_role("link", name="太原市 · 市级抽查").click()
    expect(page.get_by_test_id("quota")).to_contain_text("尚未确认抽样结果")
    expect(page.get_by_test_id("pool").locator("li")).to_have_count(4)

    page.get_by_label("随机种子").fill("20231201")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("draw-status")).to_have_text("预览")
    expect(page.get_by_test_id("seed")).to_have_text("20231201")
    units = Region.objects.filter(level="county", code__startswith="1401").count()
    required_counties = min(-(-units // 2), len(sizes))
    expect(page.get_by_test_id("county-quota")).to_contain_text(f"应抽 {required_counties} 个")
    expect(page.get_by_test_id("institution-quota")).to_contain_text("应抽 10 家")  # ⌈10% × 100⌉
    # No culture & tourism inspector: named in Chinese with how many to add, no confirm button.
    expect(page.get_by_test_id("team-gap")).to_have_count(1)
    expect(page.get_by_test_id("team-gap")).to_contain_text("文化和旅游")
    expect(page.get_by_test_id("team-gap")).to_contain_text("至少补充 1 人")
    expect(page.get_by_test_id("drawn")).to_contain_text("缺 文化和旅游")
    expect(page.get_by_test_id("confirm")).to_have_count(0)

    page.get_by_role("link", name="前往检查人员库").click()
    page.get_by_test_id("pool-form").locator("select").select_option(label="文旅局林检查")
    page.get_by_test_id("pool-form").get_by_role("button", name="加入").click()
    expect(page.get_by_test_id("pool").locator("li")).to_have_count(5)
    page.get_by_label("随机种子").fill("20231201")
    page.get_by_label("重新抽样（或再次预览）的原因").fill("补充文旅部门检查人员后重新预览")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("team-gaps")).to_have_count(0)
    page.get_by_test_id("confirm").click()

    draw = Draw.objects.get(status="confirmed")
    expect(page.get_by_test_id("quota-institutions")).to_have_text(f"{len(draw.institutions)} / 10")
    cards = page.get_by_test_id("assignments").locator(".list-group-item")
    expect(cards).to_have_count(Assignment.objects.filter(draw=draw).count())
    expect(cards.first).to_contain_text("检查组")
    expect(cards.first).to_contain_text("文旅局林检查")
    for assignment in Assignment.objects.filter(draw=draw):  # the whole joint team, every time
        team = {g.department for u in assignment.inspectors.all() for g in u.grants.all()}
        assert team == {"education", "culture_tourism", "fire"}

    page.get_by_role("link", name=f"抽样记录 #{draw.pk}（随机种子 20231201）").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "record.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).active
    labels = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert labels["随机种子"] == "20231201" and labels["抽样框机构数"] == 100

    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("verify-result")).to_contain_text("复核一致")
    # And from the shell, as an outsider to the web would check it.
    check = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "verify_draw", str(draw.pk)],
        capture_output=True, text=True, check=False, cwd=settings.BASE_DIR,
        env=_env(),
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_province_staff_draw_five_percent_on_a_phone(page, live_server, cast):
    campaign = campaign_seed_2023(province_code="140000")[0]
    for code, n in {"140105": 40, "140213": 30, "140802": 10}.items():
        InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140000"))
    for code, department in [("140106", "education"), ("140214", "education"),
                             ("140107", "fire"), ("140215", "fire"),
                             ("140109", "culture_tourism")]:  # fmt: skip
        person = UserFactory(grant=("county_officer", code, department))
        services.pool_add(
            round_=round_, user=person, actor=cast.province, scope=scope_for(cast.province)
        )
    login(page, live_server, "province")
    page.goto(f"{live_server.url}/sampling/")
    page.get_by_role("link", name="山西省 · 省级督导检查").click()
    # The round's page first: measured mid-navigation there is no document yet.
    expect(page.get_by_test_id("preview")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("preview").click()  # no seed typed: the system makes one and shows it
    seed = page.get_by_test_id("seed").inner_text()
    assert len(seed) == 12 and seed.isdigit()
    expect(page.get_by_test_id("institution-quota")).to_contain_text("应抽 4 家")  # ⌈5% × 80⌉
    expect(page.get_by_test_id("allocation")).to_contain_text("太原市")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("quota-institutions")).to_have_text("4 / 4")
    assert Draw.objects.get(status="confirmed").seed == seed


def _env():
    import os

    return {**os.environ, "DATABASE_URL": _database_url()}


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
