"""Fee supervision pages, the ledger export and the API: scope (404 / 403), bad input, figures."""

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import Scope
from campaign.services import campaign_seed_2023
from fees.models import FeeRecord, FeeViolation, Refund
from fees.services import fee_record_create, fee_violation_close, fee_violation_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


def enter(user, institution, amount="6000.00", **values):
    data = {
        "period_from": dt.date(2023, 9, 1), "period_to": dt.date(2023, 11, 30),
        "charged_on": dt.date(2023, 9, 1), "supervised": True, "class_hours": 40, **values,
    }  # fmt: skip
    record, _ = fee_record_create(
        institution=institution, actor=user, scope=Scope.for_user(user), amount=Decimal(amount),
        **data,
    )  # fmt: skip
    return record


@pytest.fixture
def records(cast, places, campaign):
    return {
        "xiaodian": enter(cast.xiaodian, places.xiaodian, contract_number="XD-1"),
        "xiaodian_ok": enter(cast.xiaodian, places.xiaodian, "4000.00", contract_number="XD-2"),
        "pingcheng": enter(cast.pingcheng, places.pingcheng, "5000.01", contract_number="PC-1"),
    }


# -- the list and the record ---------------------------------------------------------------


def test_the_list_highlights_violations_with_their_rule(client, cast, records):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("fees:records")).content.decode()
    assert "XD-1" in page and "XD-2" in page and "PC-1" not in page
    assert 'data-rule="amount_over_limit"' in page and "单次收费金额超过规定" in page
    only = client.get(reverse("fees:records"), {"rule": "amount_over_limit"}).content.decode()
    assert "XD-1" in only and "XD-2" not in only
    compliant = client.get(reverse("fees:records"), {"state": "compliant"}).content.decode()
    assert "XD-2" in compliant and "XD-1" not in compliant


def test_province_staff_see_both_counties_and_filter_by_region(client, cast, records):
    client.force_login(cast.province)
    page = client.get(reverse("fees:records")).content.decode()
    assert "XD-1" in page and "PC-1" in page
    page = client.get(reverse("fees:records"), {"region": "140213"}).content.decode()
    assert "PC-1" in page and "XD-1" not in page


def test_a_record_outside_the_scope_is_404_and_stays_unchanged(client, cast, records):
    record = records["pingcheng"]
    client.force_login(cast.xiaodian)
    assert client.get(reverse("fees:record", args=[record.pk])).status_code == 404
    response = client.post(
        reverse("fees:refund_create", args=[record.pk]),
        {"amount": "0.01", "refunded_on": "2023-10-01", "payee": "某"},
    )
    assert response.status_code == 404
    violation = record.violations.get()
    for name in ("fees:violation_report", "fees:violation_close"):
        assert client.post(reverse(name, args=[violation.pk]), {"note": "x"}).status_code == 404
    violation.refresh_from_db()
    assert violation.status == "open" and not Refund.objects.exists()


def test_reading_roles_may_not_record_refunds(client, cast, records):
    record = records["xiaodian"]
    client.force_login(cast.taiyuan)
    assert client.get(reverse("fees:record", args=[record.pk])).status_code == 200
    response = client.post(
        reverse("fees:refund_create", args=[record.pk]),
        {"amount": "1000", "refunded_on": "2023-10-01", "payee": "某"},
    )
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_a_refund_on_the_page_closes_the_violation(client, cast, records):
    record = records["xiaodian"]
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("fees:refund_create", args=[record.pk]),
        {"amount": "1000.00", "refunded_on": "2023-10-01", "payee": "学员家长王某"},
        follow=True,
    )
    page = response.content.decode()
    assert "退费已足额，相关违规已销号" in page
    assert record.violations.get().status == "closed"
    assert 'data-testid="refunded-total">1000.00<' in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"amount": "abc", "refunded_on": "2023-10-01", "payee": "某"}, "请填写数字"),
        ({"amount": "10", "refunded_on": "", "payee": "某"}, "请填写退费日期"),
        ({"amount": "7000", "refunded_on": "2023-10-01", "payee": "某"}, "将超过收费金额"),
        ({"amount": "10", "refunded_on": "2023-10-01", "payee": ""}, "请填写退给谁"),
        ({"amount": "10.001", "refunded_on": "2023-10-01", "payee": "某"}, "金额最多两位小数"),
    ],
)
def test_bad_refunds_show_chinese_messages_and_write_nothing(client, cast, records, post, message):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("fees:refund_create", args=[records["xiaodian"].pk]), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_violation_actions_on_the_page(client, cast, records):
    violation = records["xiaodian"].violations.get()
    client.force_login(cast.xiaodian)
    url = reverse("fees:violation_close", args=[violation.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 400 and "请填写说明" in response.content.decode()
    client.post(reverse("fees:violation_report", args=[violation.pk]), {"note": "已退费给家长"})
    violation.refresh_from_db()
    assert violation.status == "reported"
    client.post(url, {"note": "合同已改为三个月，多收部分已退"})
    violation.refresh_from_db()
    assert (violation.status, violation.closure) == ("closed", "compliance")
    response = client.post(
        reverse("fees:violation_reopen", args=[violation.pk]),
        {"note": "凭证不实", "deadline": "2000-01-01"},
        follow=True,
    )
    assert "新的整改期限不能早于今天" in response.content.decode()
    violation.refresh_from_db()
    assert violation.status == "closed"


# -- entering a charge by hand -------------------------------------------------------------


def form_data(institution, **overrides):
    return {
        "institution": institution.pk, "contract_number": "HAND-1", "student": "学员B",
        "course": "围棋", "amount": "5000.00", "class_hours": "60", "period_from": "2023-01-31",
        "period_to": "2023-04-30", "charged_on": "2023-01-31", "supervised": "yes", **overrides,
    }  # fmt: skip


def test_an_officer_enters_a_charge_at_the_limits_and_it_is_compliant(
    client, cast, places, campaign
):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("fees:record_create"), form_data(places.xiaodian))
    record = FeeRecord.objects.get()
    assert response.url == reverse("fees:record", args=[record.pk])
    assert record.source == "manual" and record.checked_at is not None
    assert not record.violations.exists()


def test_the_form_refuses_bad_input_and_institutions_outside_the_scope(
    client, cast, places, campaign
):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("fees:record_create"),
        form_data(places.xiaodian, amount="-1", period_to="2023-01-01"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "金额应大于 0" in page and "收费截止日期早于起始日期" in page
    response = client.post(reverse("fees:record_create"), form_data(places.pingcheng))
    assert response.status_code == 400 and "请选择机构" in response.content.decode()
    assert not FeeRecord.objects.exists()


# -- the ledger and its export -------------------------------------------------------------


def test_the_ledger_export_agrees_with_the_page_figures(client, cast, records):
    client.force_login(cast.province)
    page = client.get(reverse("fees:ledger")).content.decode()
    assert 'data-testid="figure-violations">2<' in page
    assert 'data-testid="figure-over">1000.01<' in page
    response = client.get(reverse("fees:ledger_export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "机构名称")
    summary = {r[0]: r[1] for r in rows[1:header_at] if r[0]}
    assert summary["违规条数"] == 2
    assert Decimal(str(summary["超出限额金额（元）"])) == Decimal("1000.01")
    body = rows[header_at + 1 :]
    assert len(body) == 2
    assert {r[12] for r in body} == {"单次收费金额超过规定"}
    assert sorted(Decimal(str(r[15])) for r in body) == [Decimal("0.01"), Decimal("1000.00")]
    assert AuditEvent.objects.filter(kind="export", detail__ledger="fees").exists()


def test_the_export_is_scoped_like_the_page(client, cast, records):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("fees:ledger_export"))
    text = " ".join(
        str(v) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        for v in r if v is not None
    )  # fmt: skip
    assert "PC-1" not in text and "XD-1" in text


def test_the_export_summary_follows_the_status_rule_and_word_filters(client, cast, places, records):
    scope = Scope.for_user(cast.xiaodian)
    other = enter(cast.xiaodian, places.xiaodian, "5600.00", contract_number="XD-3")
    fee_violation_close(
        violation=other.violations.get(), actor=cast.xiaodian, scope=scope, note="凭证"
    )
    Refund.objects.create(
        record=records["xiaodian"], amount=Decimal("100.00"), refunded_on=dt.date(2023, 10, 1),
        payee="家长", recorded_by=cast.xiaodian,
    )  # fmt: skip
    client.force_login(cast.province)

    def export(**params):
        response = client.get(reverse("fees:ledger_export"), {"format": "xlsx", **params})
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r[0] == "机构名称")
        summary = {r[0]: r[1] for r in rows[1:header_at] if r[0]}
        return summary, rows[header_at + 1 :]

    # Unfiltered: the region's figures, as the page shows them.
    summary, body = export()
    assert summary["违规条数"] == len(body) == 3 and "筛选条件" not in summary
    summary, body = export(status="closed")
    assert summary["违规条数"] == len(body) == 1
    assert summary["筛选条件"] == "状态：已销号"
    assert Decimal(str(summary["超出限额金额（元）"])) == Decimal("600.00")
    assert Decimal(str(summary["所列收费已退费金额（元）"])) == Decimal("0")
    summary, body = export(status="open", q="XD-1", rule="amount_over_limit")
    assert summary["违规条数"] == summary["涉及收费笔数"] == len(body) == 1
    assert Decimal(str(summary["超出限额金额（元）"])) == Decimal("1000.00")
    assert Decimal(str(summary["所列收费已退费金额（元）"])) == Decimal("100.00")
    assert (
        "关键词：XD-1" in summary["筛选条件"]
        and "违反规则：单次收费金额超过规定" in summary["筛选条件"]
    )
    summary, body = export(rule="off_platform")
    assert summary["违规条数"] == len(body) == 0
    # A status the list does not know narrows nothing, in the rows and in the summary.
    summary, body = export(status="bogus")
    assert summary["违规条数"] == len(body) == 3 and "筛选条件" not in summary


def test_the_dashboards_not_closed_figure_counts_the_list_it_links_to(
    client, cast, places, records
):
    scope = Scope.for_user(cast.xiaodian)
    reported = enter(cast.xiaodian, places.xiaodian, "5600.00", contract_number="XD-R")
    fee_violation_report(
        violation=reported.violations.get(), actor=cast.xiaodian, scope=scope, note="已整改"
    )
    closed = enter(cast.xiaodian, places.xiaodian, "5700.00", contract_number="XD-C")
    fee_violation_close(
        violation=closed.violations.get(), actor=cast.xiaodian, scope=scope, note="凭证"
    )
    withdrawn = enter(cast.xiaodian, places.xiaodian, "5800.00", contract_number="XD-W")
    withdrawn.violations.update(status="withdrawn")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("home")).content.decode()
    card = page[page.index('data-testid="board-fees"') :]
    found = re.search(r"<span>未销号</span><a href=\"([^\"]+)\">(\d+)</a>", card)
    link, figure = html.unescape(found.group(1)), int(found.group(2))
    assert figure == 2  # XD-1 open and XD-R reported
    listed = client.get(link)
    assert listed.context["page"].paginator.count == figure
    assert {v.record.contract_number for v in listed.context["page"]} == {"XD-1", "XD-R"}


# -- the API -------------------------------------------------------------------------------


def test_the_api_lists_violations_with_their_rule_inside_the_scope(client, cast, records):
    client.force_login(cast.xiaodian)
    data = client.get(reverse("api:fee-violation-list")).json()
    assert [(v["rule"], v["excess"]) for v in data["results"]] == [("amount_over_limit", "1000.00")]
    data = client.get(reverse("api:fee-violation-list"), {"rule": "off_platform"}).json()
    assert data["count"] == 0
    record = client.get(reverse("api:fee-record-detail", args=[records["xiaodian"].pk])).json()
    assert record["amount"] == "6000.00" and record["violations"][0]["rule"] == "amount_over_limit"
    missing = client.get(reverse("api:fee-record-detail", args=[records["pingcheng"].pk]))
    assert missing.status_code == 404
    violation = records["pingcheng"].violations.get()
    assert client.get(reverse("api:fee-violation-detail", args=[violation.pk])).status_code == 404


def test_the_api_refuses_anonymous_and_roles_without_fees(client, cast, records):
    assert client.get(reverse("api:fee-record-list")).status_code == 401
    client.force_login(cast.auditor)
    assert client.get(reverse("api:fee-violation-list")).status_code == 403
    assert FeeViolation.objects.count() == 2


def test_price_posting_and_false_advertising_findings_join_the_fee_ledger(
    client, cast, places, campaign
):
    from tests.inspections.test_problems import inspected

    inspected(cast.xiaodian, places.xiaodian, codes=("5.01", "5.05"))
    inspected(cast.pingcheng, places.pingcheng, codes=("5.01",))  # 平城区: outside 小店区
    client.force_login(cast.xiaodian)
    page = client.get(reverse("fees:ledger")).content.decode()
    assert "检查发现的收费问题（2 项）" in page and places.pingcheng.name not in page
    response = client.get(reverse("fees:ledger_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    found = [r for r in rows if r[12] and str(r[12]).startswith("检查发现")]
    assert sorted(r[12][:9] for r in found) == ["检查发现 5.01", "检查发现 5.05"]
    assert all(r[0] == places.xiaodian.name and r[20] == "待整改" for r in found)
    summary = {r[0]: r[1] for r in rows if r and r[0]}
    assert summary["检查发现的收费问题（第五项）"] == 2
    # Narrowed by one of the rule table's rules, the ledger lists charges only.
    response = client.get(reverse("fees:ledger_export"), {"rule": "off_platform"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert not [r for r in rows if r[12] and str(r[12]).startswith("检查发现")]
