"""The city work summary end to end in Chromium: 太原市 staff fill it in, submit it and
download the Word file; province staff return it with a comment; the city revises and
resubmits; the province accepts it and downloads the roll-up. The city pages at 360 px."""

import io
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from campaign.services import campaign_seed_2023
from reporting.models import CitySummary
from tests.conftest import PASSWORD
from tests.inspections.test_problems import inspected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "工作组织开展情况": "成立专项行动工作专班，召开部署会。",
    "典型经验做法": "推行“一机构一档案”。",
    "存在的问题": "个别机构消防通道堵塞。",
    "下一步工作打算": "开展“回头看”。",
}


def login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def test_city_submits_province_returns_city_resubmits_province_accepts(
    page, live_server, cast, places
):
    campaign = campaign_seed_2023(province_code="140000")[0]
    inspected(cast.xiaodian, places.xiaodian)
    page.set_viewport_size({"width": 360, "height": 740})
    detail = f"{live_server.url}/summaries/{campaign.pk}/140100/"

    # 太原市 staff: open the summary from the list, fill it in and submit.
    login(page, live_server, "taiyuan")
    page.goto(f"{live_server.url}/summaries/")
    row = page.get_by_test_id("city-140100")
    expect(row.get_by_test_id("status")).to_have_text("未开始")
    row.get_by_role("link", name="打开").click()
    expect(page.get_by_test_id("figures-source")).to_contain_text("实时数据")
    expect(page.get_by_test_id("counties")).to_contain_text("小店区")
    for label, text in TEXTS.items():
        page.get_by_label(label).fill(text)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("summary-status")).to_have_text("已报送")
    expect(page.get_by_test_id("figures-source")).to_contain_text("第 1 次报送")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_download() as info:
        page.get_by_test_id("download-word").click()
    document = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "关于太原市开展" in text and TEXTS["典型经验做法"] in text

    # Province: return it with a comment.
    login(page, live_server, "province")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("board-summaries")).to_contain_text("太原市")
    page.goto(detail)
    page.get_by_test_id("return").click()  # without a comment: refused
    expect(page.get_by_test_id("review-errors")).to_contain_text("退回修改须填写审核意见")
    page.get_by_label("审核意见").fill("请补充各县区数据分析")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("summary-status")).to_have_text("已退回修改")

    # 太原市: revise and resubmit.
    login(page, live_server, "taiyuan")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(detail)
    expect(page.get_by_test_id("return-comment")).to_contain_text("请补充各县区数据分析")
    page.get_by_label("存在的问题").fill("个别机构消防通道堵塞；小店区整改进度偏慢。")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("summary-status")).to_have_text("已报送")
    expect(page.get_by_test_id("submissions")).to_contain_text("第 2 次报送")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Province: accept, then download the roll-up.
    login(page, live_server, "province")
    page.goto(detail)
    page.get_by_label("审核意见").fill("同意")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("summary-status")).to_have_text("已通过")
    page.goto(f"{live_server.url}/summaries/")
    expect(page.get_by_test_id("city-140100").get_by_test_id("status")).to_have_text("已通过")
    expect(page.get_by_test_id("waiting")).to_contain_text("大同市")
    with page.expect_download() as info:
        page.get_by_test_id("rollup-docx").click()
    rollup = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    rollup_text = "\n".join(p.text for p in rollup.paragraphs)
    assert "小店区整改进度偏慢" in rollup_text
    with page.expect_download() as info:
        page.get_by_test_id("rollup-xlsx").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    summary = CitySummary.objects.get()
    assert (summary.status, summary.revision) == ("accepted", 2)


def test_a_city_fire_department_adds_its_part_and_the_bureau_sees_it(page, live_server, cast):
    """Cheap: the summary is begun through the service; the fire user writes its part."""
    from accounts.scope import scope_for
    from core.models import Region
    from reporting.services_summary import summary_save
    from tests.factories import UserFactory

    campaign = campaign_seed_2023(province_code="140000")[0]
    summary_save(campaign=campaign, city=Region.objects.get(code="140100"), actor=cast.taiyuan,
                 scope=scope_for(cast.taiyuan), narratives={}, version=0)  # fmt: skip
    UserFactory(username="fire_ty", grant=("department_user", "140100", "fire"))
    login(page, live_server, "fire_ty")
    page.goto(f"{live_server.url}/summaries/{campaign.pk}/140100/")
    form = page.get_by_test_id("section-form-fire")
    form.get_by_label("本部门工作情况").fill("联合抽查培训机构，当场整改堵塞的安全出口。")
    form.get_by_test_id("save-section").click()
    expect(page.get_by_test_id("narratives")).to_contain_text("六、消防救援部门工作情况")
    expect(page.get_by_test_id("narratives")).to_contain_text("当场整改堵塞的安全出口")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert CitySummary.objects.get().sections.get().text.startswith("联合抽查")
