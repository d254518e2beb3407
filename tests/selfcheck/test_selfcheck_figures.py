"""Self-inspection figures on the boards, and the problems that contradict a self-assessment."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.scope import scope_for
from core.models import Region
from progress import dashboards
from tests.inspections.test_problems import inspected
from tests.selfcheck.test_selfcheck import account_of, self_inspected

pytestmark = pytest.mark.django_db


@pytest.fixture
def contradicted(cast, places, campaign):
    """小店区's institution said everything but 1.01 was 合规; the officer found 1.01 and the
    major hazard 2.22. 平城区's said 1.01 was not met and has not been inspected."""
    self_inspected(account_of(cast.xiaodian, places.xiaodian), non_compliant=("1.01",))
    self_inspected(account_of(cast.pingcheng, places.pingcheng), non_compliant=("1.01",))
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"))


@pytest.fixture
def campaign(regions):
    from tests.inspections.test_problems import seed_campaign

    return seed_campaign()


def test_the_boards_count_self_inspections_and_flag_the_contradicted(cast, contradicted):
    county = dashboards.region_board(
        scope=scope_for(cast.xiaodian), region=Region.objects.get(code="140105")
    )
    assert (county.total.self_checked, county.total.contradicted) == (1, 1)
    province = dashboards.region_board(
        scope=scope_for(cast.province), region=Region.objects.get(code="140000")
    )
    assert province.total.self_checked == 2 and province.total.contradicted == 1
    by_city = {f.code: f for f in province.children}
    assert by_city["140100"].self_checked == 1 and by_city["140100"].contradicted == 1
    assert by_city["140200"].self_checked == 1 and by_city["140200"].contradicted == 0


def test_the_board_links_to_the_contradicted_problems(client, cast, contradicted, campaign):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("progress:region") + "?region=140105").content.decode()
    assert 'data-testid="board-selfcheck"' in page
    listed = client.get(
        reverse("inspections:problems"),
        {"self_said": "compliant", "campaign": campaign.pk, "region": "140105"},
    )
    codes = [f.item.code for f in listed.context["page"]]
    assert codes == ["2.22"]  # 1.01 the institution had found itself
    everything = client.get(reverse("inspections:problems"), {"region": "140105"})
    assert sorted(f.item.code for f in everything.context["page"]) == ["1.01", "2.22"]


def test_the_regions_export_carries_the_self_inspection_columns(client, cast, contradicted):
    client.force_login(cast.province)
    response = client.get(
        reverse("progress:table_export", args=["regions"]) + "?region=140000&format=xlsx"
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.values)
    header = next(r for r in rows if r and "自查率" in r)
    taiyuan = next(r for r in rows if r and r[0] == "太原市")
    assert taiyuan[header.index("已提交自查")] == 1
    assert taiyuan[header.index("自查称合规的重大隐患")] == 1


def test_the_list_narrows_to_a_region(client, cast, places, contradicted):
    client.force_login(cast.province)
    page = client.get(reverse("selfcheck:list") + "?region=140200").content.decode()
    assert places.pingcheng.name in page and places.xiaodian.name not in page


def test_the_city_summary_counts_self_inspections_per_county(contradicted, campaign):
    from reporting.selectors_summary import city_figures
    from reporting.tables_summary import county_table, key_figures

    figures = city_figures(campaign=campaign, city=Region.objects.get(code="140100"))
    assert figures["total"]["self_checked"] == 1 and figures["total"]["contradicted"] == 1
    xiaodian = next(r for r in figures["counties"] if r["code"] == "140105")
    assert xiaodian["self_checked"] == 1 and xiaodian["self_rate"] == 100.0
    labels = dict(key_figures(figures)[0][1])
    assert labels["已提交自查的机构"] == 1 and labels["自查称合规、检查发现的重大隐患"] == 1
    headers, _rows = county_table(figures)
    assert "自查率%" in headers
