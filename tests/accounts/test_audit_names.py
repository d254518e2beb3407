"""The audit log names what an event was about in words (用户 张三, 市级工作总结 …), linked to
its page where it has one; a deleted record or a type no longer known shows its number."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts import selectors
from accounts.audit import audit_log
from accounts.models import AuditEvent
from core.models import Region
from tests.factories import UserFactory
from tests.factories.reporting import CitySummaryFactory

pytestmark = pytest.mark.django_db


def _user_url(user) -> str:
    try:
        return reverse("onboarding:user", args=[user.pk])
    except NoReverseMatch:  # the account page is not routed yet: the name stands alone
        return ""


@pytest.fixture
def events(cast, places):
    zhang = UserFactory(username="zhangsan", full_name="张三")
    summary = CitySummaryFactory()
    for obj in (zhang, places.xiaodian, places.pingcheng, summary, Region.objects.get(pk="140105")):
        audit_log(kind=AuditEvent.Kind.OTHER, actor=cast.admin, obj=obj, reason="核对")
    AuditEvent.objects.create(kind="other", object_type="accounts.User", object_id="999999")
    AuditEvent.objects.create(kind="other", object_type="gone.Model", object_id="7")
    AuditEvent.objects.create(kind="login", username="xiaodian")  # about no object
    return {"zhang": zhang, "summary": summary}


def _targets():
    return {
        (e.object_type.rsplit(".", 1)[-1], e.object_id): e.target
        for e in selectors.audit_targets(AuditEvent.objects.order_by("pk"))
        if e.target
    }


def test_it_names_each_object_with_its_chinese_type_and_links_its_page(events, places):
    targets = _targets()
    zhang, summary = events["zhang"], events["summary"]
    assert targets["User", str(zhang.pk)] == selectors.AuditTarget("用户", "张三", _user_url(zhang))
    assert targets["Institution", str(places.xiaodian.pk)] == selectors.AuditTarget(
        "校外培训机构", places.xiaodian.name, f"/institutions/{places.xiaodian.pk}/"
    )
    assert targets["CitySummary", str(summary.pk)].kind == "市级工作总结"
    assert targets["CitySummary", str(summary.pk)].name.startswith("太原市")
    assert targets["CitySummary", str(summary.pk)].url == reverse(
        "summaries:detail", args=[summary.campaign_id, summary.city_id]
    )
    # Region moved app; its events still carry "institutions.Region" (audit_label).
    assert targets["Region", "140105"] == selectors.AuditTarget("行政区划", "小店区")


def test_a_deleted_record_or_unknown_type_shows_its_number_without_a_link(events):
    targets = _targets()
    assert targets["User", "999999"] == selectors.AuditTarget("用户", "编号 999999（已删除）")
    assert targets["Model", "7"] == selectors.AuditTarget("其他记录", "编号 7")


def test_it_reads_one_query_per_object_type(events):
    page = list(AuditEvent.objects.order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        selectors.audit_targets(page)
    # User, Institution, CitySummary, Region; the unknown type costs nothing.
    assert len(queries) == 4


def test_the_auditor_reads_names_not_model_labels(client, cast, events, places):
    client.force_login(cast.auditor)
    body = client.get(reverse("audit_log")).content.decode()
    assert "校外培训机构" in body and f'href="/institutions/{places.pingcheng.pk}/"' in body
    assert "用户 " in body and "张三" in body and "编号 999999（已删除）" in body
    for label in ("accounts.User", "institutions.Institution", "reporting.CitySummary"):
        assert label not in body


@pytest.mark.parametrize(
    "member", ["xiaodian", "pingcheng", "taiyuan", "province", "admin", "outsider"]
)
def test_only_audit_view_holders_open_the_audit_log(client, cast, member):
    client.force_login(getattr(cast, member))
    assert client.get(reverse("audit_log")).status_code == 403


def test_the_audit_log_takes_no_writes(client, cast):
    client.force_login(cast.auditor)
    before = AuditEvent.objects.count()
    assert client.post(reverse("audit_log"), {"kind": "x"}).status_code == 405
    assert AuditEvent.objects.count() == before
