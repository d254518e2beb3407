import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import Region


@pytest.fixture(autouse=True)
def no_regions(db):
    # The suite loads 山西 once for every test (conftest.django_db_setup); these tests load
    # regions into an empty table themselves. TRUNCATE is undone with the test's transaction.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE institutions_region, institutions_historicalregion CASCADE")


def test_load_regions_loads_shanxi_with_its_11_cities_and_117_counties(db, capsys):
    call_command("load_regions", province="140000")
    assert capsys.readouterr().out.strip() == "created=129 updated=0 unchanged=0"
    assert Region.objects.get(code="140000").name == "山西省"
    assert Region.objects.filter(level="city").count() == 11
    assert Region.objects.filter(level="county").count() == 117
    xiaodian = Region.objects.get(code="140105")
    assert (xiaodian.name, xiaodian.parent.name, xiaodian.parent.parent.name) == (
        "小店区",
        "太原市",
        "山西省",
    )
    # The 2018–19 changes: 云冈区 (140214) replaced 南郊区, 平城区 (140213) 城区 and 矿区.
    assert Region.objects.get(code="140214").name == "云冈区"
    assert not Region.objects.filter(name="南郊区").exists()


def test_load_regions_twice_changes_nothing(db, capsys):
    call_command("load_regions", province="140000")
    history_rows = Region.history.count()
    call_command("load_regions", province="140000")
    assert capsys.readouterr().out.strip().endswith("created=0 updated=0 unchanged=129")
    assert Region.history.count() == history_rows


def test_load_regions_repairs_a_changed_name(db, capsys):
    call_command("load_regions", province="140000")
    Region.objects.filter(code="140105").update(name="小店")
    call_command("load_regions", province="140000")
    assert "updated=1" in capsys.readouterr().out
    assert Region.objects.get(code="140105").name == "小店区"


def test_another_province_loads_the_same_way(db):
    call_command("load_regions", province="130000")
    assert Region.objects.get(code="130000").name == "河北省"
    assert Region.objects.filter(level="city", parent_id="130000").count() == 11


def test_a_municipality_gets_one_city_node(db):
    call_command("load_regions", province="110000")
    assert Region.objects.get(code="110101").parent_id == "110100"
    assert Region.objects.get(code="110100").name == "北京市"


@pytest.mark.parametrize("code", ["990000", "14x", "1"])
def test_load_regions_refuses_an_unknown_code(db, code):
    with pytest.raises(CommandError):
        call_command("load_regions", province=code)
    assert not Region.objects.exists()
