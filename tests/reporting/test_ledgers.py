"""The 台账 page and the two ledgers it added: inspection records and publicity activities."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import scope_for
from campaign.services import publicity_create
from core.models import Region
from tests.factories import UserFactory
from tests.inspections.test_problems import inspected, seed_campaign


def sheet_rows(response):
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    return book.active, list(book.active.iter_rows(values_only=True))


def body_rows(rows, first="机构名称"):
    at = next(i for i, r in enumerate(rows) if r[0] == first)
    return rows[at], rows[at + 1 :]


@pytest.fixture
def both(cast, places):
    seed_campaign()
    return (
        inspected(cast.xiaodian, places.xiaodian),
        inspected(cast.pingcheng, places.pingcheng, codes=("2.22",), result="suspend"),
    )


@pytest.fixture
def activities(cast, regions):
    campaign = seed_campaign()

    def add(user, county, day, title):
        return publicity_create(
            actor=user, scope=scope_for(user), campaign=campaign,
            county=Region.objects.get(code=county), kind="reminder", held_on=day,
            title=title, times=2, reached=300, institutions_reached=12,
        )  # fmt: skip

    return (
        add(cast.xiaodian, "140105", dt.date(2023, 12, 1), "=冬季防火提醒"),
        add(cast.xiaodian, "140105", dt.date(2023, 12, 9), "家长端推广"),
        add(cast.pingcheng, "140213", dt.date(2023, 12, 2), "平城区宣传周"),
    )


# -- the inspection ledger ---------------------------------------------------------------


def test_inspection_ledger_has_one_row_per_submitted_inspection_with_counts(client, cast, both):
    client.force_login(cast.province)
    _, rows = sheet_rows(client.get(reverse("ledgers:inspections")))
    title = rows[0][0]
    assert title.startswith("山西省“") and "检查记录台账" in title and "导出时间" in title
    header, body = body_rows(rows)
    assert list(header) == [
        "机构名称", "统一社会信用代码", "所在县区", "检查层级", "提交日期", "检查结论",
        "问题数", "检查人数",
    ]  # fmt: skip
    by_name = {r[0]: r for r in body}
    assert set(by_name) == {"小店区博雅舞蹈培训学校", "平城区启明美术培训学校"}
    xiaodian = by_name["小店区博雅舞蹈培训学校"]
    assert xiaodian[2:4] == ("小店区", "县级排查")
    assert xiaodian[5:] == ("限期整改", 2, 1)
    assert by_name["平城区启明美术培训学校"][5:] == ("停业整改", 1, 1)


def test_a_county_officer_gets_only_their_county_even_asking_for_another(client, cast, both):
    client.force_login(cast.xiaodian)
    for params in ({}, {"region": "140213"}, {"region": "140200"}):
        _, rows = sheet_rows(client.get(reverse("ledgers:inspections"), params))
        assert rows[0][0].startswith("小店区")
        _, body = body_rows(rows)
        assert [r[0] for r in body] == ["小店区博雅舞蹈培训学校"]


def test_city_staff_get_their_city_and_filters_narrow(client, cast, both):
    client.force_login(cast.taiyuan)
    url = reverse("ledgers:inspections")
    _, rows = sheet_rows(client.get(url))
    assert rows[0][0].startswith("太原市")
    assert [r[0] for r in body_rows(rows)[1]] == ["小店区博雅舞蹈培训学校"]
    for params in ({"result": "suspend"}, {"region": "140106"}, {"from": "2099-01-01"}):
        assert body_rows(sheet_rows(client.get(url, params))[1])[1] == []
    _, rows = sheet_rows(client.get(url, {"region": "140105", "result": "rectify"}))
    assert rows[0][0].startswith("小店区") and len(body_rows(rows)[1]) == 1


def test_a_fire_officer_counts_only_fire_problems(client, cast, both):
    fire = UserFactory(username="fire", grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    _, rows = sheet_rows(client.get(reverse("ledgers:inspections")))
    assert [(r[0], r[6]) for r in body_rows(rows)[1]] == [("小店区博雅舞蹈培训学校", 1)]


def test_bad_input_falls_back_to_own_scope_never_500(client, cast, both):
    client.force_login(cast.taiyuan)
    for params in (
        {"region": "999999"}, {"region": "'; drop"}, {"from": "2023-02-30"}, {"to": "昨天"},
        {"campaign": "abc"}, {"campaign": "999999"}, {"sector": "x"}, {"result": "x"},
    ):  # fmt: skip
        _, rows = sheet_rows(client.get(reverse("ledgers:inspections"), params))
        assert rows[0][0].startswith("太原市")
        assert len(body_rows(rows)[1]) == 1


def test_the_download_is_audited_and_csv_works(client, cast, both):
    client.force_login(cast.taiyuan)
    response = client.get(reverse("ledgers:inspections"), {"format": "csv", "region": "140105"})
    assert response.status_code == 200
    assert "小店区博雅舞蹈培训学校" in response.content.decode("utf-8-sig")
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).latest("pk")
    assert event.detail["ledger"] == "inspections"
    assert event.detail["filters"]["region"] == "140105"


# -- the publicity ledger ----------------------------------------------------------------


def test_publicity_ledger_content_scope_and_period(client, cast, activities):
    client.force_login(cast.xiaodian)
    url = reverse("ledgers:publicity")
    _, rows = sheet_rows(client.get(url, {"region": "140213"}))
    assert rows[0][0].startswith("小店区") and "安全教育宣传活动台账" in rows[0][0]
    header, body = body_rows(rows, first="县区")
    assert header[:4] == ("县区", "日期", "形式", "主题")
    # A title that looks like a formula is written as text.
    assert [r[3] for r in body] == ["'=冬季防火提醒", "家长端推广"]
    assert body[0][2] == "发布安全提醒" and body[0][4:7] == (2, 300, 12)
    _, rows = sheet_rows(client.get(url, {"from": "2023-12-05", "to": "2023-12-31"}))
    assert [r[3] for r in body_rows(rows, first="县区")[1]] == ["家长端推广"]

    client.force_login(cast.province)
    _, rows = sheet_rows(client.get(url, {"region": "140213"}))
    assert [r[3] for r in body_rows(rows, first="县区")[1]] == ["平城区宣传周"]


# -- the hub -----------------------------------------------------------------------------

ALL = {
    "institutions",
    "inspections",
    "problems",
    "rectification",
    "staff",
    "fees",
    "complaints",
    "publicity",
}


def cards(response):
    html = response.content.decode()
    return {key for key in [*ALL, "sampling"] if f'data-testid="ledger-{key}"' in html}


def test_the_hub_lists_only_permitted_ledgers(client, cast, regions):
    client.force_login(cast.xiaodian)
    assert cards(client.get(reverse("ledgers:index"))) == ALL | {"sampling"}
    fire = UserFactory(username="fire", grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    response = client.get(reverse("ledgers:index"))
    assert cards(response) == {
        "institutions",
        "inspections",
        "problems",
        "rectification",
        "publicity",
    }
    assert reverse("personnel:export") not in response.content.decode()
    client.force_login(cast.auditor)
    assert client.get(reverse("ledgers:index")).status_code == 403
    client.force_login(cast.outsider)
    assert client.get(reverse("ledgers:index")).status_code == 403


def test_the_hub_offers_only_regions_in_scope_and_explains_an_unknown_one(client, cast, regions):
    client.force_login(cast.xiaodian)
    html = client.get(reverse("ledgers:index")).content.decode()
    assert 'value="140105"' in html and 'value="140213"' not in html
    for code in ("999999", "140213"):
        response = client.get(reverse("ledgers:index"), {"region": code})
        assert response.status_code == 200
        assert "未找到该地区或不在您的管辖范围内" in response.content.decode()


def test_every_ledger_on_the_hub_downloads_for_city_staff(client, cast, both, activities):
    """太原市 staff download every ledger the page offers, each an xlsx with a title line."""
    from reporting.ledgers import ledgers_for

    client.force_login(cast.taiyuan)
    for ledger in ledgers_for(scope_for(cast.taiyuan)):
        response = client.get(reverse(ledger.url_name), {"format": "xlsx", "region": "140100"})
        assert response.status_code == 200, ledger.key
        assert response["Content-Type"].startswith("application/vnd.openxmlformats"), ledger.key
        load_workbook(io.BytesIO(response.content))
