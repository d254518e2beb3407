"""The campaign's own numbers, not constants: the dismissal and fee-rectification limits, the
minors' referral limit, and sampling ratios below the notice's minimums only with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.scope import Scope, scope_for
from campaign.services import campaign_seed_2023, campaign_update
from fees import services as fee_services
from personnel import services as staff_services
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory

pytestmark = pytest.mark.django_db

FORM = {
    "county_screening": "2023-11-30", "city_spot_check": "2023-12-10",
    "province_supervision": "2023-12-20", "city_summary": "2023-12-20",
    "city_county_percent": "50", "city_institution_percent": "10",
    "province_institution_percent": "5", "escalate_days": "7",
}  # fmt: skip


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


def test_the_2023_campaign_carries_the_default_limits(campaign):
    assert (campaign.dismissal_days, campaign.fee_rectify_days) == (15, 30)
    assert campaign.minor_referral_days == 3 and campaign.quota_reason == ""


# -- the limits follow the campaign ------------------------------------------------------


def test_a_dismissal_deadline_follows_the_campaigns_setting(cast, places, campaign):
    police = UserFactory(grant=("department_user", "140000", "public_security"))
    for days in (15, 20):
        campaign.dismissal_days = days
        campaign.save()
        staff = StaffFactory(institution=places.xiaodian)
        batch = staff_services.batch_create(
            actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian), basis="institution",
            institution=places.xiaodian,
        )  # fmt: skip
        result = {"outcome": "record", "category": "abuse", "checked_on": timezone.localdate(),
                  "reference": f"XD-{days}", "checked_by": "小店分局"}  # fmt: skip
        dismissal = staff_services.check_record_result(
            check=batch.checks.get(staff=staff),
            actor=police,
            scope=Scope.for_user(police),
            result=result,
        )
        assert dismissal.deadline == timezone.localdate() + dt.timedelta(days=days)


def test_a_fee_violation_deadline_follows_the_campaigns_setting(cast, places, campaign):
    for days, contract in ((30, "HT-30"), (20, "HT-20")):
        campaign.fee_rectify_days = days
        campaign.save()
        record, _changes = fee_services.fee_record_create(
            institution=places.xiaodian, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
            amount=Decimal("6000.00"), class_hours=40, charged_on=dt.date(2023, 9, 1),
            supervised=True, contract_number=contract, period_from=dt.date(2023, 9, 1),
            period_to=dt.date(2023, 11, 30),
        )  # fmt: skip
        violation = record.violations.get(rule="amount_over_limit")
        assert violation.deadline == timezone.localdate() + dt.timedelta(days=days)


# -- the edit page -------------------------------------------------------------------------


def test_the_admin_sets_the_limits_on_the_edit_page_and_the_campaign_page_shows_them(
    client, cast, campaign
):
    client.force_login(cast.admin)
    url = reverse("campaign:edit", args=[campaign.pk])
    assert 'name="dismissal_days"' in client.get(url).content.decode()
    data = {**FORM, "dismissal_days": "20", "fee_rectify_days": "45", "minor_referral_days": "2"}
    assert client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.dismissal_days, campaign.fee_rectify_days) == (20, 45)
    assert campaign.minor_referral_days == 2
    event = AuditEvent.objects.filter(object_id=str(campaign.pk)).latest("pk")
    assert event.detail["days_before"]["dismissal_days"] == 15
    assert event.detail["days_after"]["dismissal_days"] == 20
    page = client.get(reverse("campaign:detail", args=[campaign.pk])).content.decode()
    assert (
        'data-testid="dismissal-days">20<' in page and 'data-testid="fee-rectify-days">45<' in page
    )


def test_a_ratio_below_the_notices_minimum_is_refused_without_a_reason(client, cast, campaign):
    client.force_login(cast.admin)
    url = reverse("campaign:edit", args=[campaign.pk])
    for field, value, minimum in (
        ("city_county_percent", "40", "50%"),
        ("city_institution_percent", "9.9", "10%"),
        ("province_institution_percent", "4", "5%"),
    ):
        response = client.post(url, {**FORM, field: value})
        page = response.content.decode()
        assert response.status_code == 200 and "低于通知" in page and minimum in page, field
    campaign.refresh_from_db()
    assert campaign.city_county_ratio == Decimal("0.5")
    assert campaign.province_institution_ratio == Decimal("0.05")
    assert campaign.quota_reason == ""
    assert not AuditEvent.objects.filter(object_id=str(campaign.pk)).exists()


def test_a_ratio_below_the_minimum_is_kept_with_its_reason_audited_and_shown(
    client, cast, campaign
):
    client.force_login(cast.admin)
    reason = "本市仅 3 个县区有培训机构，经市政府同意抽取 1 个县区"
    response = client.post(
        reverse("campaign:edit", args=[campaign.pk]),
        {**FORM, "city_county_percent": "40", "quota_reason": reason},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.city_county_ratio == Decimal("0.4") and campaign.quota_reason == reason
    event = AuditEvent.objects.get(object_id=str(campaign.pk))
    assert event.detail["quota_reason"] == reason and event.actor == cast.admin
    page = client.get(reverse("campaign:detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="quota-reason"' in page and reason in page
    # Back at the minimum: nothing left to explain, the reason goes.
    assert client.post(reverse("campaign:edit", args=[campaign.pk]), FORM).status_code == 302
    campaign.refresh_from_db()
    assert campaign.quota_reason == ""


@pytest.mark.parametrize(
    "reason, message",
    [("理由\x00不足", "空字符"), ("理由\x1b不足", "控制字符"), ("很" * 1001, "不能超过 1000 字")],
)
def test_a_bad_reason_is_refused_in_chinese_and_nothing_changes(cast, campaign, reason, message):
    with pytest.raises(ValidationError, match=message):
        campaign_update(
            campaign=campaign, actor=cast.admin, scope=scope_for(cast.admin), deadlines={},
            quotas={"city_county_ratio": Decimal("0.4")}, escalate_days=7, quota_reason=reason,
        )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.city_county_ratio == Decimal("0.5") and campaign.quota_reason == ""
    assert not AuditEvent.objects.filter(object_id=str(campaign.pk)).exists()


def test_control_characters_or_huge_text_on_the_page_are_a_chinese_400(client, cast, campaign):
    client.force_login(cast.admin)
    url = reverse("campaign:edit", args=[campaign.pk])
    for reason in ("理由\x00", "很" * 5000):
        response = client.post(url, {**FORM, "city_county_percent": "40", "quota_reason": reason})
        assert response.status_code in (200, 400) and "字符" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.city_county_ratio == Decimal("0.5") and campaign.quota_reason == ""


def test_limits_out_of_bounds_are_refused(cast, campaign):
    with pytest.raises(ValidationError, match="清退期限"):
        campaign_update(
            campaign=campaign, actor=cast.admin, scope=scope_for(cast.admin), deadlines={},
            quotas={}, escalate_days=7, days={"dismissal_days": 0},
        )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.dismissal_days == 15


def test_only_campaign_managers_change_the_limits(client, cast, campaign):
    for user in (cast.province, cast.taiyuan, cast.xiaodian):
        client.force_login(user)
        response = client.post(
            reverse("campaign:edit", args=[campaign.pk]), {**FORM, "dismissal_days": "20"}
        )
        assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.dismissal_days == 15
