"""Complaint time limits (处置时限) per province: changed by whoever manages the province's
campaigns, applied to the cases that come after, never to those already running."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.scope import Scope
from complaints import rules
from complaints.models import Category, CategoryRule
from complaints.services import case_intake
from core.models import Region
from institutions.services import regions_load
from tests.conftest import PASSWORD
from tests.factories import UserFactory

URL = reverse("complaints:rules")


def values(**changed) -> dict[str, dict[str, object]]:
    """Every category at its seeded limits, with `changed` ({category: {field: value}})."""
    result = {
        category: dict(zip(rules.FIELDS, limits, strict=True))
        for category, limits in rules.DEFAULT_RULES.items()
    }
    for category, fields in changed.items():
        result[category] = {**result[category], **fields}
    return result


def posted(**changed) -> dict[str, object]:
    return {
        f"{category}-{field}": value
        for category, fields in values(**changed).items()
        for field, value in fields.items()
    }


def stored() -> list[tuple]:
    return list(
        CategoryRule.objects.order_by("category", "province_id").values_list(
            "category", "province_id", *rules.FIELDS
        )
    )


def new_case(county: str, category: str = Category.FEES):
    case, _code = case_intake(
        channel="phone", category=category, county=Region.objects.get(code=county),
        institution=None, institution_name="某培训机构", description="收费后停课，拒不退费",
        reporter_name="张女士", reporter_phone="13800001111", received_at=None,
        external_ref="", actor=None, files=None,
    )  # fmt: skip
    return case


@pytest.fixture
def neighbour(regions):
    """An admin of 内蒙古 (150000): the same role, another province."""
    regions_load(province_code="150000")
    return UserFactory(username="nmg_admin", grant=("admin", "150000"))


@pytest.mark.django_db
def test_a_new_limit_applies_to_cases_received_after_it_in_that_province_only(
    cast, regions, neighbour
):
    before = new_case("140105")
    assert before.deadline - before.received_at == dt.timedelta(hours=168)
    rules.category_rules_update(
        province=Region.objects.get(code="140000"), actor=cast.admin,
        scope=Scope.for_user(cast.admin), values=values(fees={"response_hours": 48}),
    )  # fmt: skip
    after = new_case("140105")
    assert after.deadline - after.received_at == dt.timedelta(hours=48)
    before.refresh_from_db()
    assert before.deadline - before.received_at == dt.timedelta(hours=168)  # kept
    # 内蒙古 keeps the common rule; 山西's other categories are as they were.
    elsewhere = new_case("150102")
    assert elsewhere.deadline - elsewhere.received_at == dt.timedelta(hours=168)
    shanxi = {
        r.category: r.response_hours for r in rules.category_rules(after.county.parent.parent)
    }
    assert shanxi[Category.FEES] == 48 and shanxi[Category.MINOR_OFFENCE] == 24
    # One row written (the changed category), with its author in the history and the log.
    own = CategoryRule.objects.filter(province_id="140000")
    assert list(own.values_list("category", flat=True)) == [Category.FEES]
    assert own.get().history.get().history_user == cast.admin
    event = AuditEvent.objects.get(reason="修改投诉处置时限")
    assert event.detail["before"]["fees"][0] == 168 and event.detail["after"]["fees"][0] == 48


@pytest.mark.django_db
def test_the_police_receipt_and_feedback_dates_follow_the_province_rule(cast, regions):
    from complaints.services import referral_create

    rules.category_rules_update(
        province=Region.objects.get(code="140000"), actor=cast.admin,
        scope=Scope.for_user(cast.admin),
        values=values(minor_offence={"referral_ack_hours": 12, "referral_feedback_days": 7}),
    )  # fmt: skip
    case = new_case("140105", Category.MINOR_OFFENCE)
    case.assignees.add(cast.xiaodian)  # the officer handling it refers it
    sent = timezone.now()
    referral = referral_create(
        case=case, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
        police_unit="小店分局", materials="举报材料", sent_at=sent,
    )  # fmt: skip
    assert referral.ack_due == sent + dt.timedelta(hours=12)
    assert referral.feedback_due == sent + dt.timedelta(days=7)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad, message",
    [
        ("0", "“收费、退费”的处置时限（小时）应为 1 至 720 的整数"),
        ("721", "应为 1 至 720 的整数"),
        ("-5", "应为 1 至 720 的整数"),
        ("一天", "应为 1 至 720 的整数"),
        ("", "应为 1 至 720 的整数"),
        ("2.5", "应为 1 至 720 的整数"),
        ("1_0", "应为 1 至 720 的整数"),  # int() would read 10
        ("+5", "应为 1 至 720 的整数"),
    ],
)
def test_a_bad_number_is_refused_with_a_reason_and_nothing_is_written(cast, regions, bad, message):
    before = stored()
    with pytest.raises(ValidationError) as refused:
        rules.category_rules_update(
            province=Region.objects.get(code="140000"), actor=cast.admin,
            scope=Scope.for_user(cast.admin),
            # The first category is valid and changed: it must not be saved either.
            values=values(minor_offence={"response_hours": 12}, fees={"response_hours": bad}),
        )  # fmt: skip
    assert message in str(refused.value.message_dict["fees-response_hours"])
    assert stored() == before
    assert not AuditEvent.objects.filter(reason="修改投诉处置时限").exists()


@pytest.mark.django_db
def test_full_width_digits_from_a_chinese_input_method_are_read(cast, regions):
    rules.category_rules_update(
        province=Region.objects.get(code="140000"), actor=cast.admin,
        scope=Scope.for_user(cast.admin), values=values(fees={"response_hours": "７２ "}),
    )  # fmt: skip
    assert rules.rule_for(Category.FEES, "140105").response_hours == 72


@pytest.mark.django_db
def test_every_category_must_be_given(cast, regions):
    partial = values()
    del partial[Category.OTHER]
    with pytest.raises(ValidationError, match="缺少“其他”的时限"):
        rules.category_rules_update(
            province=Region.objects.get(code="140000"), actor=cast.admin,
            scope=Scope.for_user(cast.admin), values=partial,
        )  # fmt: skip


@pytest.mark.django_db
def test_only_a_manager_of_the_whole_province_may_change_it(cast, regions, neighbour):
    shanxi = Region.objects.get(code="140000")
    before = stored()
    with pytest.raises(PermissionDenied):  # city staff: no campaign.manage
        rules.category_rules_update(
            province=shanxi, actor=cast.taiyuan, scope=Scope.for_user(cast.taiyuan),
            values=values(fees={"response_hours": 1}),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):  # an admin of another province
        rules.category_rules_update(
            province=shanxi, actor=neighbour, scope=Scope.for_user(neighbour),
            values=values(fees={"response_hours": 1}),
        )  # fmt: skip
    city_admin = UserFactory(username="ty_admin", grant=("admin", "140100"))
    assert rules.managed_provinces(Scope.for_user(city_admin)) == []
    assert stored() == before


@pytest.mark.django_db
def test_the_page_shows_saves_and_explains(client, cast, regions):
    client.force_login(cast.admin)
    page = client.get(URL).content.decode()
    assert "投诉处置时限" in page and "山西省" in page and 'value="168"' in page
    response = client.post(URL, posted(safety_hazard={"response_hours": "36"}))
    assert response.status_code == 302 and response.url == f"{URL}?province=140000"
    assert rules.rule_for(Category.SAFETY, "140105").response_hours == 36
    shown = client.get(response.url).content.decode()
    assert "已保存" in shown and 'value="36"' in shown
    # A bad value: the page again, the reason beside the field, the typed value kept.
    before = stored()
    again = client.post(URL, posted(safety_hazard={"response_hours": "99999"}))
    text = again.content.decode()
    assert again.status_code == 200 and "未保存" in text and "应为 1 至 720 的整数" in text
    assert 'value="99999"' in text and stored() == before
    # An empty box: one reason, the service's (not also "required").
    empty = client.post(URL, posted(safety_hazard={"response_hours": ""})).content.decode()
    assert empty.count("应为 1 至 720 的整数") == 1 and "必填" not in empty


@pytest.mark.django_db
def test_the_page_refuses_other_roles_and_other_provinces(client, cast, regions, neighbour):
    before = stored()
    client.force_login(cast.taiyuan)
    assert client.get(URL).status_code == 403
    assert client.post(URL, posted(fees={"response_hours": "1"})).status_code == 403
    # An admin of one city manages its campaigns but not the province's limits: no link.
    city_admin = UserFactory(username="ty_admin", grant=("admin", "140100"))
    client.force_login(city_admin)
    assert client.get(URL).status_code == 403
    listed = client.get(reverse("complaints:list")).content.decode()
    assert "category-rules-link" not in listed
    client.force_login(cast.admin)
    assert "category-rules-link" in client.get(reverse("complaints:list")).content.decode()
    client.force_login(neighbour)
    assert client.get(URL, {"province": "140000"}).status_code == 404
    response = client.post(URL, {**posted(fees={"response_hours": "1"}), "province": "140000"})
    assert response.status_code == 404
    assert stored() == before
    # Their own province's page is theirs.
    assert "内蒙古自治区" in client.get(URL).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_admin_sets_the_fee_complaint_limit_on_a_phone(page, live_server, cast, regions):
    page.goto(f"{live_server.url}/accounts/login/?next=/complaints/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("category-rules-link").click()
    fees = page.get_by_role("group", name="收费、退费")
    hours, ack = fees.get_by_label("处置时限（小时）"), fees.get_by_label("公安回执时限（小时）")
    hours.fill("72")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="已保存")).to_be_visible()
    expect(hours).to_have_value("72")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert rules.rule_for(Category.FEES, "140105").response_hours == 72
    # A value out of range: the reason on the page, nothing saved.
    ack.fill("500")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("error-fees-referral_ack_hours")).to_contain_text("1 至 168")
    assert rules.rule_for(Category.FEES, "140105").referral_ack_hours == 48
