import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from institutions.models import Institution, validate_credit_code


def test_credit_code_checksum_is_enforced(places):
    validate_credit_code(places.xiaodian.credit_code)
    broken = places.xiaodian.credit_code[:-1] + (
        "0" if places.xiaodian.credit_code[-1] != "0" else "1"
    )
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        validate_credit_code(broken)
    bad = Institution(name="x", credit_code=broken, county_id="140105", category="subject")
    with pytest.raises(ValidationError):
        bad.full_clean()


def test_list_page_shows_institutions_in_scope(client, cast, places):
    client.force_login(cast.taiyuan)
    page = client.get(reverse("institutions:list")).content.decode()
    assert places.xiaodian.name in page and places.yingze.name in page
    assert places.pingcheng.name not in page


def test_list_page_filters_by_region_and_search(client, cast, places):
    client.force_login(cast.province)
    page = client.get(reverse("institutions:list") + "?region=140213").content.decode()
    assert places.pingcheng.name in page and places.xiaodian.name not in page
    page = client.get(reverse("institutions:list") + "?q=育才").content.decode()
    assert places.yingze.name in page and places.pingcheng.name not in page


def test_region_filter_cannot_widen_the_scope(client, cast, places):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("institutions:list") + "?region=140213").content.decode()
    assert places.pingcheng.name not in page


def test_detail_page(client, cast, places):
    client.force_login(cast.pingcheng)
    page = client.get(reverse("institutions:detail", args=[places.pingcheng.pk])).content.decode()
    assert places.pingcheng.credit_code in page and "大同市" in page


def test_api_lists_with_the_documented_fields(client, cast, places):
    client.force_login(cast.taiyuan)
    data = client.get("/api/v1/institutions/?county=140105").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert {"id", "name", "credit_code", "county_code", "category"} <= row.keys()
    assert (row["county_code"], row["category"]) == ("140105", "non_subject")


def test_api_county_filter_cannot_widen_the_scope(client, cast, places):
    client.force_login(cast.xiaodian)
    assert client.get("/api/v1/institutions/?county=140213").json()["count"] == 0


def test_api_token_authentication(client, cast, places):
    from api.services import token_create

    _, secret = token_create(actor=cast.pingcheng, name="同步")
    response = client.get("/api/v1/institutions/", headers={"Authorization": f"Token {secret}"})
    assert [r["name"] for r in response.json()["results"]] == [places.pingcheng.name]


def test_api_regions(client, cast):
    client.force_login(cast.xiaodian)
    data = client.get("/api/v1/regions/").json()
    assert {(r["code"], r["level"], r["parent_code"]) for r in data} == {
        ("140000", "province", None),
        ("140100", "city", "140000"),
        ("140105", "county", "140100"),
    }


def test_api_refuses_writes_to_roles_that_only_read(client, cast, places):
    # Province staff read the register but do not keep it (tests/api/test_api.py: the writes).
    client.force_login(cast.province)
    response = client.post("/api/v1/institutions/", {"name": "x"})
    assert response.status_code == 403
    assert Institution.objects.count() == 3


def test_every_demo_role_lands_on_its_own_page(client, db):
    from django.core.management import call_command

    call_command("seed_demo", institutions=200)
    expected = {
        "county_xiaodian": "县级工作台",
        "county_pingcheng": "县级工作台",
        "city_taiyuan": "市级工作台",
        "province": "省级工作台",
        "dept_fire": "部门工作台",
        "dept_police": "部门工作台",
        "dept_sports": "部门工作台",
        "admin": "系统管理",
        "auditor": "审计日志",
    }
    from ops.management.commands.seed_demo import DEMO_PASSWORD

    for username, title in expected.items():
        client.logout()
        response = client.post(
            reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.status_code == 200, username
        assert title in response.content.decode(), username


def test_seed_demo_is_repeatable_and_realistic(db, capsys):
    from django.core.management import call_command
    from stdnum.cn import uscc

    call_command("seed_demo", institutions=500)
    call_command("seed_demo", institutions=500)
    out = capsys.readouterr().out
    assert "新增 0 家" in out and "演示县级排查记录：新增 0 条" in out
    assert "演示收费记录：新增 0 笔" in out
    codes = list(Institution.objects.values_list("credit_code", flat=True))
    assert len(codes) == 500 and all(uscc.is_valid(c) for c in codes)
    assert Institution.objects.filter(category="subject").exists()
    assert Institution.objects.filter(is_risky=True, sector="sports").exists()
    assert Institution.objects.values("county").distinct().count() > 50
    # Part of the province already screened, with problems in every state, written once.
    from inspections.models import Finding, Inspection

    screened = Inspection.objects.filter(status="submitted", round__level="county")
    assert 0 < screened.count() < 500
    assert {"open", "reported", "closed"} <= set(Finding.objects.values_list("status", flat=True))
    assert all(
        f.task.institution_id == f.answer.inspection.institution_id
        for f in Finding.objects.select_related("task", "answer__inspection")
    )
    # A term of charges checked against the rule table: most within the limits, violations
    # of more than one rule, and refunds in 小店区 that closed theirs.
    from fees.models import FeeRecord, FeeViolation, Refund

    assert FeeRecord.objects.filter(checked_at__isnull=False).count() > 100
    rules = set(FeeViolation.objects.values_list("rule", flat=True))
    assert {"amount_over_limit", "period_over_limit"} <= rules
    assert 0 < FeeViolation.objects.count() < FeeRecord.objects.count() / 2
    # Each refund closed what it covers on its charge (one charge may have two violations).
    closed = FeeViolation.objects.filter(status="closed")
    assert Refund.objects.count() > 0
    assert set(closed.values_list("record_id", flat=True)) == set(
        Refund.objects.values_list("record_id", flat=True)
    )
