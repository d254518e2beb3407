"""Public disclosure (一公开): the province publishes and withdraws (audited); the public
page shows only what is published, and never anything personal."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, User
from accounts.scope import scope_for
from campaign.models import Campaign
from campaign.services import campaign_seed_2023
from core.models import Region
from reporting import services_disclosure as services
from reporting.models import Publication
from sampling import services as sampling
from sampling.models import Draw
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_problems import inspected

SEED = "20231201"
MUST_REASON = "群众举报王某某线索"
INSPECTOR_NAMES = ("检查员赵大勇", "检查员钱小红", "检查员孙立军", "检查员李桂芳", "检查员周文华",
                   "检查员吴晓明")  # fmt: skip
PHONE = "13912345678"


def build_world(cast, places):
    """A campaign with a confirmed 太原市 draw (a named must-include with a reason), a major
    fire problem in 小店区 and a suspension in 平城区; people with names and phones."""
    campaign = campaign_seed_2023(province_code="140000")[0]
    places.xiaodian.legal_representative = "孙法人"
    places.xiaodian.phone = PHONE
    places.xiaodian.save()
    inspected(cast.xiaodian, places.xiaodian)  # 1.01 general §一, 2.22 major §二
    inspected(cast.pingcheng, places.pingcheng, codes=("1.01",), result="suspend")
    InstitutionFactory.create_batch(12, county=Region.objects.get(code="140106"))
    named = InstitutionFactory(name="迎泽区必查对象培训学校", county_id="140106")
    round_ = sampling.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    scope = scope_for(cast.taiyuan)
    for name, (code, department) in zip(
        INSPECTOR_NAMES,
        [
            ("140105", "education"),
            ("140106", "education"),
            ("140107", "fire"),
            ("140109", "fire"),
            ("140110", "culture_tourism"),
            ("140110", "science"),
        ],
        strict=True,
    ):
        person = UserFactory(full_name=name, grant=("county_officer", code, department))
        sampling.pool_add(round_=round_, user=person, actor=cast.taiyuan, scope=scope)
    draw = sampling.draw_preview(
        round_=round_, actor=cast.taiyuan, scope=scope, seed=SEED, named=[(named, MUST_REASON)]
    )
    draw = sampling.draw_confirm(draw=draw, actor=cast.taiyuan, scope=scope)
    return campaign, draw


@pytest.fixture
def world(cast, places):
    return build_world(cast, places)


def publish(user, campaign, reason="年度公开", **parts):
    parts = {"show_draws": True, "show_violations": True, "show_figures": True} | parts
    return services.publication_publish(
        campaign=campaign, actor=user, scope=scope_for(user), reason=reason, **parts
    )


def public_page(client, campaign) -> str:
    client.logout()
    response = client.get(reverse("disclosure:campaign", kwargs={"pk": campaign.pk}))
    assert response.status_code == 200
    return response.content.decode()


def personal_data(cast, draw) -> list[str]:
    """Everything personal the world holds: names of every user, phones, must reasons."""
    names = [u.full_name for u in User.objects.exclude(full_name="")]
    assert set(INSPECTOR_NAMES) <= set(names)
    reasons = [m["reason"] for m in draw.must_include]
    assert MUST_REASON in reasons
    return [*names, *(u.username for u in User.objects.all()), PHONE, "孙法人", *reasons]


# -- services ---------------------------------------------------------------------------


def test_publish_and_withdraw_are_audited_and_kept_in_history(cast, world):
    campaign, _draw = world
    first = publish(cast.province, campaign, reason="按通知要求公开", show_figures=False)
    # By type and id: a draw's audit row may carry the same number.
    events = AuditEvent.objects.filter(object_type="reporting.Publication")
    event = events.get(kind="other", object_id=str(first.pk))
    assert event.actor == cast.province and event.reason == "按通知要求公开"
    assert event.detail["event"] == "publish" and event.detail["figures"] is False

    second = publish(cast.province, campaign, reason="增加主要数据")
    first.refresh_from_db()
    assert first.withdrawn_at is not None and "增加主要数据" in first.withdraw_reason
    assert events.get(object_id=str(second.pk)).detail["replaces"] == first.pk

    services.publication_withdraw(
        campaign=campaign, actor=cast.province, scope=scope_for(cast.province), reason="数据更正"
    )
    second.refresh_from_db()
    assert second.withdrawn_by == cast.province and second.withdraw_reason == "数据更正"
    withdrawal = events.filter(object_id=str(second.pk)).latest("id")
    assert withdrawal.detail["event"] == "withdraw" and withdrawal.reason == "数据更正"
    assert second.history.count() == 2  # created, then withdrawn
    assert Publication.objects.filter(withdrawn_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [({"reason": "  "}, "请填写公开说明"),
     ({"show_draws": False, "show_violations": False, "show_figures": False}, "至少选择一项")],
)  # fmt: skip
def test_bad_publish_input_writes_nothing(cast, world, kwargs, message):
    campaign, _draw = world
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        publish(cast.province, campaign, **kwargs)
    assert not Publication.objects.exists() and AuditEvent.objects.count() == before


def test_withdraw_needs_a_reason_and_something_published(cast, world):
    campaign, _draw = world
    scope = scope_for(cast.province)
    with pytest.raises(ValidationError, match="没有公开"):
        services.publication_withdraw(campaign=campaign, actor=cast.province, scope=scope,
                                      reason="撤回")  # fmt: skip
    publish(cast.province, campaign)
    with pytest.raises(ValidationError, match="撤回原因"):
        services.publication_withdraw(campaign=campaign, actor=cast.province, scope=scope,
                                      reason="")  # fmt: skip
    assert Publication.objects.get().withdrawn_at is None


@pytest.mark.parametrize("member", ["taiyuan", "xiaodian", "admin", "auditor", "outsider"])
def test_only_province_staff_publish(cast, world, member):
    campaign, _draw = world
    user = getattr(cast, member)
    with pytest.raises(PermissionDenied):
        publish(user, campaign)
    assert not Publication.objects.exists()


# -- the public page ----------------------------------------------------------------------


def test_unpublished_page_says_so_and_shows_nothing(client, cast, places, world):
    campaign, draw = world
    body = public_page(client, campaign)
    assert "暂未公开任何信息" in body
    assert (
        SEED not in body and places.xiaodian.name not in body and places.pingcheng.name not in body
    )
    # Withdrawn is the same as never published.
    publish(cast.province, campaign)
    services.publication_withdraw(
        campaign=campaign, actor=cast.province, scope=scope_for(cast.province), reason="撤回"
    )
    body = public_page(client, campaign)
    assert "暂未公开任何信息" in body and SEED not in body and places.xiaodian.name not in body
    index = client.get(reverse("disclosure:index")).content.decode()
    assert campaign.name not in index


def test_published_page_shows_draws_violations_figures_and_nothing_personal(
    client, cast, places, world, django_assert_max_num_queries
):
    campaign, draw = world
    publish(cast.province, campaign)
    client.logout()
    url = reverse("disclosure:campaign", kwargs={"pk": campaign.pk})
    with django_assert_max_num_queries(12):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and "sessionid" not in response.cookies
    # (a) the draw: seed, frame size, required vs drawn, the drawn institutions
    assert SEED in body and f"{draw.required_institutions} / {len(draw.institutions)}" in body
    assert str(draw.frame_size) in body and draw.frame_sha256 in body
    drawn = list(draw.round.assignments.filter(kind="random").select_related("institution"))
    assert drawn and all(a.institution.name in body for a in drawn)
    # (b) the major fire problem and the suspension, with their rectification status
    fire = places.xiaodian.rectification_tasks.get(department="fire").findings.get()
    assert fire.item.text in body and places.xiaodian.name in body
    assert places.pingcheng.name in body and "停业整改" in body and "整改中" in body
    # …but not the general §一 problem of 小店区
    general = places.xiaodian.rectification_tasks.get(department="education").findings.get()
    assert general.item.text not in body
    # (c) the figures
    assert 'data-testid="fig-screened">2<' in body and 'data-testid="fig-found">3<' in body
    # nothing personal
    for text in personal_data(cast, draw):
        assert text not in body, text
    assert campaign.name in client.get(reverse("disclosure:index")).content.decode()


def test_a_closed_problem_shows_as_rectified(client, cast, places, world):
    campaign, _draw = world
    from inspections.models import Finding

    fire = places.xiaodian.rectification_tasks.get(department="fire").findings.get()
    Finding.objects.filter(pk=fire.pk).update(status=Finding.Status.CLOSED)
    publish(cast.province, campaign, show_draws=False, show_figures=False)
    body = public_page(client, campaign)
    assert "已整改" in body and fire.item.text in body


def test_only_the_published_parts_show(client, cast, places, world):
    campaign, draw = world
    publish(cast.province, campaign, show_draws=False, show_violations=False)
    body = public_page(client, campaign)
    assert 'data-testid="figures"' in body
    assert SEED not in body and 'data-testid="draws"' not in body
    assert places.pingcheng.name not in body and 'data-testid="violations"' not in body
    publish(cast.province, campaign, reason="公开抽样", show_violations=False, show_figures=False)
    body = public_page(client, campaign)
    assert SEED in body and 'data-testid="figures"' not in body
    assert 'data-testid="violations"' not in body


def test_an_unknown_campaign_is_404(client, regions):
    assert client.get(reverse("disclosure:campaign", kwargs={"pk": 999999})).status_code == 404


# -- the province's page --------------------------------------------------------------------


def _post(client, user, name, campaign, data):
    client.force_login(user)
    return client.post(reverse(f"disclosure:{name}", kwargs={"pk": campaign.pk}), data)


def test_province_publishes_and_withdraws_through_the_page(client, cast, world):
    campaign, _draw = world
    p = f"p{campaign.pk}"
    response = _post(client, cast.province, "publish", campaign,
                     {f"{p}-show_draws": "on", f"{p}-reason": "按通知公开"})  # fmt: skip
    assert response.status_code == 302
    current = Publication.objects.get()
    assert current.show_draws and not current.show_violations and not current.show_figures
    page = client.get(reverse("disclosure:manage")).content.decode()
    assert "已公开" in page and "按通知公开" in page
    response = _post(client, cast.province, "withdraw", campaign,
                     {f"w{campaign.pk}-reason": "暂缓公开"})  # fmt: skip
    assert response.status_code == 302
    current.refresh_from_db()
    assert current.withdraw_reason == "暂缓公开"


def test_bad_input_on_the_page_is_400_with_a_chinese_message(client, cast, world):
    campaign, _draw = world
    p = f"p{campaign.pk}"
    response = _post(client, cast.province, "publish", campaign, {f"{p}-reason": "公开"})
    assert response.status_code == 400 and "请至少选择一项公开内容" in response.content.decode()
    response = _post(client, cast.province, "withdraw", campaign, {f"w{campaign.pk}-reason": "x"})
    assert response.status_code == 400 and "当前没有公开的信息" in response.content.decode()
    assert not Publication.objects.exists()


@pytest.mark.parametrize("member", ["taiyuan", "xiaodian", "admin", "auditor", "outsider"])
def test_wrong_role_is_403_and_nothing_changes(client, cast, world, member):
    campaign, _draw = world
    publish(cast.province, campaign)
    user = getattr(cast, member)
    response = _post(client, user, "withdraw", campaign, {f"w{campaign.pk}-reason": "撤回"})
    assert response.status_code == 403
    response = _post(client, user, "publish", campaign,
                     {f"p{campaign.pk}-show_figures": "on", f"p{campaign.pk}-reason": "x"})  # fmt: skip
    assert response.status_code == 403
    assert Publication.objects.get().withdrawn_at is None and Publication.objects.count() == 1


def test_another_provinces_campaign_is_404_and_unchanged(client, cast, regions):
    other = Region.objects.create(code="150000", name="内蒙古自治区", level="province")
    campaign = Campaign.objects.create(
        name="内蒙古专项行动", province=other, starts_on=dt.date(2023, 11, 1),
        ends_on=dt.date(2024, 1, 31),
    )  # fmt: skip
    p = f"p{campaign.pk}"
    response = _post(client, cast.province, "publish", campaign,
                     {f"{p}-show_figures": "on", f"{p}-reason": "公开"})  # fmt: skip
    assert response.status_code == 404 and not Publication.objects.exists()
    assert "内蒙古专项行动" not in client.get(reverse("disclosure:manage")).content.decode()
    with pytest.raises(PermissionDenied):
        publish(cast.province, campaign)


def test_draw_fixture_is_confirmed(world):
    _campaign, draw = world
    assert draw.status == Draw.Status.CONFIRMED and draw.must_include
