"""Withdrawing a recorded enforcement action (撤销): a correction with who, when and why; the
row and its history stay, the public page and the summary counts leave it out, lists and
the ledger show it struck through; scope (404 / 403, nothing changed) and bad input."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, RoleGrant
from accounts.scope import scope_for
from core.models import Region
from enforcement import selectors
from enforcement.models import EnforcementAction
from enforcement.services import action_withdraw
from inspections.models import Finding, Inspection
from reporting import selectors_disclosure
from reporting.selectors_summary import city_figures
from tests.enforcement import test_enforcement as te
from tests.enforcement.test_enforcement import Kind, Trigger, finding, order, record
from tests.factories import UserFactory

# The enforcement tests' fixtures: the 2023 campaign, its hazards, a 小店区 fire officer.
campaign, hazards, fire = te.campaign, te.hazards, te.fire


def withdraw_url(action):
    return reverse("enforcement:withdraw", kwargs={"pk": action.pk})


def test_a_withdrawn_action_stays_with_who_when_why_and_leaves_the_counts(
    cast, places, hazards, fire
):
    fine = order(fire, places, kind=Kind.FINE, amount=Decimal("5000"), document_number="罚1")
    kept = order(fire, places)
    done = action_withdraw(action=fine, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
                           reason="文书编号录错，重新登记")  # fmt: skip
    assert done.withdrawn_by == cast.xiaodian and done.withdrawn_at is not None
    assert done.withdrawn_reason == "文书编号录错，重新登记"
    assert [h.history_type for h in done.history.order_by("history_id")] == ["+", "~"]
    event = AuditEvent.objects.get(detail__event="enforcement_withdraw")
    assert event.actor == cast.xiaodian and event.object_id == str(fine.pk)
    # Still listed (struck through), no longer counted or published.
    assert set(selectors.action_list(scope=scope_for(cast.xiaodian))) == {fine, kept}
    e = city_figures(campaign=hazards, city=Region.objects.get(code="140100"))["enforcement"]
    assert (e["actions"], e["fine"], e["fined_amount"]) == (1, 0, "0.00")
    public = selectors_disclosure.public_actions(hazards)
    assert [a.document_number for a in public] == [kept.document_number]
    with pytest.raises(ValidationError) as again:
        action_withdraw(action=fine, actor=fire, scope=scope_for(fire), reason="再撤")
    assert "已撤销" in str(again.value)


def test_an_action_on_a_withdrawn_finding_is_not_published(cast, places, hazards, fire):
    order(fire, places)
    Finding.objects.filter(pk=finding(places.xiaodian, "2.22").pk).update(
        status=Finding.Status.WITHDRAWN
    )
    assert selectors_disclosure.public_actions(hazards) == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "请填写撤销原因"), ("  ", "请填写撤销原因"), ("录错\x01", "控制字符"),
     ("录错\x00", "空字符"), ("长" * 501, "不能超过 500 个字符"), (None, "请填写撤销原因")],
)  # fmt: skip
def test_bad_reasons_are_refused_in_chinese_and_nothing_changes(
    cast, places, hazards, reason, message
):
    action = order(cast.xiaodian, places)
    with pytest.raises(ValidationError) as refused:
        action_withdraw(action=action, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
                        reason=reason)  # fmt: skip
    assert message in " ".join(refused.value.message_dict["reason"])
    action.refresh_from_db()
    assert action.withdrawn_at is None and action.history.count() == 1
    assert not AuditEvent.objects.filter(detail__event="enforcement_withdraw").exists()


def test_only_who_may_record_there_withdraws(cast, places, hazards):
    action = record(cast.xiaodian, places.xiaodian, finding=finding(places.xiaodian, "1.12"),
                    kind=Kind.INTERVIEW)  # fmt: skip
    # Fire in 小店区, sports elsewhere: reads §一 actions, but acts in 小店区 for fire only.
    split = UserFactory(grant=("department_user", "140105", "fire"))
    RoleGrant.objects.create(user=split, role="department_user", region_id="140213",
                             department="sports")  # fmt: skip
    for user in (cast.pingcheng, cast.admin, cast.auditor, split):
        with pytest.raises(PermissionDenied):
            action_withdraw(action=action, actor=user, scope=scope_for(user), reason="录错")
    action.refresh_from_db()
    assert action.withdrawn_at is None


def test_the_page_withdraws_and_lists_show_it_struck_through(client, cast, places, hazards):
    action = order(cast.xiaodian, places)
    client.force_login(cast.xiaodian)
    detail = reverse("institutions:detail", args=[places.xiaodian.pk])
    assert withdraw_url(action) in client.get(detail).content.decode()
    assert client.get(withdraw_url(action)).status_code == 200
    bad = client.post(withdraw_url(action), {"reason": "录错\x07"})
    assert bad.status_code == 400 and "控制字符" in bad.content.decode()
    response = client.post(withdraw_url(action), {"reason": "重复登记"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.withdrawn_reason == "重复登记"
    for url in (detail, reverse("enforcement:list")):
        body = client.get(url).content.decode()
        assert "已撤销" in body and "重复登记" in body and "<s>" in body
        assert withdraw_url(action) not in body
    sheet = load_workbook(io.BytesIO(client.get(
        reverse("ledgers:enforcement"), {"format": "xlsx"}).content)).active  # fmt: skip
    cells = [c for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "已撤销" in cells and "重复登记" in cells


def test_the_page_is_404_out_of_scope_and_403_for_the_wrong_role_nothing_changed(
    client, cast, places, hazards, fire
):
    action = record(cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION,
                    inspection=Inspection.objects.get(institution=places.pingcheng),
                    kind=Kind.SUSPENSION, document_number="停1")  # fmt: skip
    for user, status in ((cast.xiaodian, 404), (cast.taiyuan, 404), (fire, 404),
                         (cast.admin, 403), (cast.auditor, 403)):  # fmt: skip
        client.force_login(user)
        assert client.post(withdraw_url(action), {"reason": "录错"}).status_code == status, user
    # A reader who may not record there is refused the page and the button.
    client.force_login(cast.admin)
    body = client.get(reverse("enforcement:list")).content.decode()
    assert withdraw_url(action) not in body
    action.refresh_from_db()
    assert action.withdrawn_at is None and action.history.count() == 1
    assert EnforcementAction.objects.filter(withdrawn_at__isnull=False).count() == 0
