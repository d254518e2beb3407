"""The campaign as data: deadlines, quotas, fee rules and the versioned checklist."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.scope import scope_for
from campaign.models import Campaign, ChecklistItem, FeeRule
from campaign.selectors import checklist_items_for
from campaign.services import DATA, campaign_seed_2023, campaign_update, checklist_load
from institutions.services import regions_load
from tests.factories import InstitutionFactory, UserFactory


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


def test_the_2023_campaign_carries_the_notices_numbers(campaign):
    deadlines = {p.kind: p.deadline for p in campaign.phases.all()}
    assert deadlines == {
        "county_screening": dt.date(2023, 11, 30),
        "city_spot_check": dt.date(2023, 12, 10),
        "province_supervision": dt.date(2023, 12, 20),
        "city_summary": dt.date(2023, 12, 20),
    }
    assert (
        campaign.city_county_ratio,
        campaign.city_institution_ratio,
        campaign.province_institution_ratio,
    ) == (
        Decimal("0.5"),
        Decimal("0.1"),
        Decimal("0.05"),
    )
    subject = FeeRule.objects.get(campaign=campaign, category="subject")
    non_subject = FeeRule.objects.get(campaign=campaign, category="non_subject")
    assert (subject.max_months, subject.max_hours, subject.max_amount) == (3, 60, None)
    assert (non_subject.max_months, non_subject.max_hours, non_subject.max_amount) == (
        3,
        60,
        Decimal("5000.00"),
    )


def test_the_default_checklist_covers_every_section_and_the_nine_fire_rules(campaign):
    items = ChecklistItem.objects.filter(template__campaign=campaign)
    assert set(items.values_list("section", flat=True)) == set("一二三四五六")
    fire = items.filter(section="二")
    assert fire.count() >= 30 and set(fire.values_list("department", flat=True)) == {"fire"}
    assert items.filter(severity="major", section="二").exists()
    codes = list(items.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert items.filter(applies_to="risky").exists() and items.filter(applies_to="kitchen").exists()


def test_seeding_twice_changes_nothing(campaign):
    again, created = campaign_seed_2023(province_code="140000")
    assert (again.pk, created) == (campaign.pk, False)
    assert Campaign.objects.count() == 1 and ChecklistItem.objects.count() == 79


def test_seed_command_and_unknown_province(regions, capsys):
    call_command("seed_campaign", province="140000")
    assert "检查表 79 项" in capsys.readouterr().out
    with pytest.raises(Exception, match="未找到省级行政区划"):
        call_command("seed_campaign", province="990000")


def test_a_new_checklist_version_leaves_the_old_one_untouched(campaign, tmp_path):
    old = campaign.checklists.get()
    data = json.loads((DATA / "checklist_2023.json").read_text(encoding="utf-8"))
    data["items"][0]["text"] = "改过的检查内容？"
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    new = checklist_load(campaign=campaign, path=path)
    old.refresh_from_db()
    assert (new.version, new.is_active, old.is_active) == (2, True, False)
    assert old.items.get(code="1.01").text != "改过的检查内容？"
    assert new.items.get(code="1.01").text == "改过的检查内容？"


def test_items_shown_depend_on_the_institution_and_the_department(campaign):
    template = campaign.checklists.get()
    plain = InstitutionFactory(category="subject", sector="", is_risky=False)
    risky = InstitutionFactory(category="non_subject", sector="sports", is_risky=True)
    officer = scope_for(UserFactory(grant=("county_officer", "140105")))
    fire = scope_for(UserFactory(grant=("department_user", "140100", "fire")))
    plain_items = checklist_items_for(template=template, institution=plain, scope=officer)
    risky_items = checklist_items_for(template=template, institution=risky, scope=officer)
    assert not plain_items.filter(applies_to__in=["risky", "non_subject", "kitchen"]).exists()
    assert plain_items.filter(applies_to="subject").exists()
    assert risky_items.filter(applies_to="risky").exists()
    kitchen = checklist_items_for(
        template=template, institution=plain, scope=officer, has_kitchen=True
    )
    assert kitchen.filter(applies_to="kitchen").exists()
    assert set(
        checklist_items_for(template=template, institution=plain, scope=fire).values_list(
            "section", flat=True
        )
    ) == {"二"}


def test_admin_edits_deadlines_and_quotas_with_history_and_audit(client, cast, campaign):
    client.force_login(cast.admin)
    url = reverse("campaign:edit", args=[campaign.pk])
    form = client.get(url).content.decode()
    assert 'value="50.0' in form or 'value="50' in form
    response = client.post(url, {
        "county_screening": "2024-11-29", "city_spot_check": "2024-12-09",
        "province_supervision": "2024-12-19", "city_summary": "2024-12-20",
        "city_county_percent": "60", "city_institution_percent": "12.5",
        "province_institution_percent": "5", "escalate_days": "5",
    })  # fmt: skip
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.city_institution_ratio == Decimal("0.125")
    assert campaign.phases.get(kind="county_screening").deadline == dt.date(2024, 11, 29)
    assert campaign.history.count() == 2
    assert AuditEvent.objects.filter(object_id=str(campaign.pk), actor=cast.admin).exists()


def test_deadlines_out_of_order_are_refused_and_nothing_changes(client, cast, campaign):
    client.force_login(cast.admin)
    response = client.post(reverse("campaign:edit", args=[campaign.pk]), {
        "county_screening": "2023-12-15", "city_spot_check": "2023-12-10",
        "province_supervision": "2023-12-20", "city_summary": "2023-12-20",
        "city_county_percent": "50", "city_institution_percent": "10",
        "province_institution_percent": "5", "escalate_days": "7",
    })  # fmt: skip
    assert response.status_code == 200
    assert "截止日期应依次为" in response.content.decode()
    assert campaign.phases.get(kind="county_screening").deadline == dt.date(2023, 11, 30)


def test_a_bad_percentage_is_refused_in_chinese(client, cast, campaign):
    client.force_login(cast.admin)
    response = client.post(
        reverse("campaign:edit", args=[campaign.pk]), {"city_county_percent": "150"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "未保存" in page
    campaign.refresh_from_db()
    assert campaign.city_county_ratio == Decimal("0.5")


def test_staff_who_cannot_manage_get_403_and_nothing_changes(client, cast, campaign):
    client.force_login(cast.province)
    response = client.post(reverse("campaign:edit", args=[campaign.pk]), {"escalate_days": "1"})
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.escalate_to_city_after_days == 7


def test_another_provinces_campaign_is_a_404(client, cast, campaign):
    regions_load(province_code="130000")
    hebei, _ = campaign_seed_2023(province_code="130000")
    client.force_login(cast.admin)
    assert client.get(reverse("campaign:detail", args=[hebei.pk])).status_code == 404
    assert client.post(reverse("campaign:edit", args=[hebei.pk]), {}).status_code == 404
    assert client.get(f"/api/v1/campaigns/{hebei.pk}/").status_code == 404


def test_service_refuses_an_out_of_province_edit(cast, campaign):
    regions_load(province_code="130000")
    hebei, _ = campaign_seed_2023(province_code="130000")
    with pytest.raises(ValidationError):
        campaign_update(
            campaign=hebei,
            actor=cast.admin,
            scope=scope_for(cast.admin),
            deadlines={},
            quotas={},
            escalate_days=1,
        )


def test_api_lists_campaigns_and_checklists_in_the_documented_shape(client, cast, campaign):
    client.force_login(cast.xiaodian)
    campaigns = client.get("/api/v1/campaigns/").json()["results"]
    assert campaigns[0]["province_code"] == "140000"
    assert {p["kind"] for p in campaigns[0]["phases"]} >= {"county_screening", "city_spot_check"}
    checklist = client.get("/api/v1/checklists/").json()["results"][0]
    item = checklist["items"][0]
    assert {"code", "section", "text", "severity", "applies_to"} <= item.keys()
    assert item["section"] in "一二三四五六" and item["severity"] in ("major", "general")


def test_fire_department_sees_only_fire_items_in_the_api(client, regions, campaign):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    items = client.get("/api/v1/checklists/").json()["results"][0]["items"]
    assert items and {i["section"] for i in items} == {"二"}


def test_campaign_page_shows_phases_quotas_rules_and_the_checklist(client, cast, campaign):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("campaign:detail", args=[campaign.pk])).content.decode()
    for text in ("县级排查整改", "2023-11-30", "50%", "10%", "5%", "5000.00", "二、消防安全"):
        assert text in page, text
    assert "修改截止日期和比例" not in page


def test_a_county_officer_records_a_publicity_activity(client, cast, campaign):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("campaign:publicity_create"), {
        "county": "140105", "kind": "demonstration", "held_on": "2023-11-20", "title": "消防安全现场演示",
        "times": "2", "reached": "350", "institutions_reached": "12", "description": "",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("campaign:publicity")).content.decode()
    assert "消防安全现场演示" in page and 'data-testid="total-times">2<' in page
    client.force_login(cast.pingcheng)
    assert "消防安全现场演示" not in client.get(reverse("campaign:publicity")).content.decode()


def test_publicity_for_another_county_is_refused_and_nothing_is_saved(client, cast, campaign):
    from campaign.models import PublicityActivity

    client.force_login(cast.xiaodian)
    response = client.post(reverse("campaign:publicity_create"), {
        "county": "140213", "kind": "reminder", "held_on": "2023-11-20", "title": "越权登记",
        "times": "1", "reached": "1", "institutions_reached": "1",
    })  # fmt: skip
    assert response.status_code == 200 and "未保存" in response.content.decode()
    assert not PublicityActivity.objects.exists()


def test_publicity_needs_a_title_and_a_real_date(client, cast, campaign):
    from campaign.models import PublicityActivity

    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("campaign:publicity_create"),
        {"county": "140105", "kind": "video", "held_on": "明天"},
    )
    page = response.content.decode()
    assert "未保存" in page and "该字段是必填项" in page and "输入一个有效的日期" in page
    assert not PublicityActivity.objects.exists()


def test_admin_changes_the_fee_rule_table_and_it_is_audited(client, cast, campaign):
    client.force_login(cast.admin)
    url = reverse("campaign:fee_rules", args=[campaign.pk])
    assert 'value="5000.00"' in client.get(url).content.decode()
    response = client.post(url, {
        "subject_max_months": "3", "subject_max_hours": "48", "subject_max_amount": "",
        "non_subject_max_months": "3", "non_subject_max_hours": "60", "non_subject_max_amount": "4000",
    })  # fmt: skip
    assert response.status_code == 302
    assert FeeRule.objects.get(campaign=campaign, category="subject").max_hours == 48
    assert FeeRule.objects.get(campaign=campaign, category="non_subject").max_amount == Decimal(
        "4000"
    )
    assert AuditEvent.objects.filter(reason="修改收费规则", actor=cast.admin).exists()


def test_a_bad_fee_limit_is_refused_and_nothing_changes(client, cast, campaign):
    client.force_login(cast.admin)
    response = client.post(
        reverse("campaign:fee_rules", args=[campaign.pk]), {"subject_max_hours": "-5"}
    )
    assert response.status_code == 200 and "未保存" in response.content.decode()
    assert FeeRule.objects.get(campaign=campaign, category="subject").max_hours == 60


def test_province_staff_cannot_change_fee_rules(client, cast, campaign):
    client.force_login(cast.province)
    assert (
        client.post(
            reverse("campaign:fee_rules", args=[campaign.pk]), {"subject_max_hours": "1"}
        ).status_code
        == 403
    )
    assert FeeRule.objects.get(campaign=campaign, category="subject").max_hours == 60


def test_load_checklist_command_adds_a_version_and_refuses_a_broken_file(
    campaign, tmp_path, capsys
):
    call_command("load_checklist", str(DATA / "checklist_2023.json"), campaign=campaign.pk)
    assert "第 2 版" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"name": "x", "items": [{"code": "9.01", "section": "九"}]}', encoding="utf-8"
    )
    with pytest.raises(Exception, match="检查表文件有误"):
        call_command("load_checklist", str(broken), campaign=campaign.pk)
    assert campaign.checklists.count() == 2 and campaign.checklists.get(is_active=True).version == 2
