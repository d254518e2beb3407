"""查处问责: officers record what was done about a major hazard, a suspension or the vetting
accountability flags; history and audit; scope (404 / 403, nothing written); bad input in
Chinese with nothing written; the institution page, the list and the ledger; the city
summary's counts; the public disclosure entry."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import scope_for
from campaign.services import campaign_seed_2023
from core.models import Region
from enforcement import selectors
from enforcement.models import EnforcementAction
from enforcement.services import action_record
from inspections.models import Finding, Inspection
from reporting import documents_summary as documents
from reporting import services_disclosure
from reporting.selectors_summary import city_figures
from reporting.tables_summary import county_table, key_figures
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory
from tests.inspections.test_problems import inspected

Kind, Trigger = EnforcementAction.Kind, EnforcementAction.Trigger
TODAY = timezone.localdate


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


@pytest.fixture
def hazards(cast, places, campaign):
    """小店区: 1.12 major §一 and 2.22 major §二 found; 平城区: a suspension."""
    inspected(cast.xiaodian, places.xiaodian, codes=("1.12", "2.22"))
    inspected(cast.pingcheng, places.pingcheng, codes=("1.01",), result="suspend")
    return campaign


@pytest.fixture
def fire(regions):
    return UserFactory(username="fire_xiaodian", grant=("department_user", "140105", "fire"))


@pytest.fixture
def police(regions):
    return UserFactory(
        username="police_xiaodian", grant=("department_user", "140105", "public_security")
    )


def finding(institution, code) -> Finding:
    return Finding.objects.get(task__institution=institution, item__code=code)


def record(user, institution, **fields):
    fields = {"trigger": Trigger.FINDING, "taken_on": TODAY(), "kind": Kind.ORDER} | fields
    return action_record(institution=institution, actor=user, scope=scope_for(user), **fields)


def order(user, places, **fields):
    """责令整改 of 小店区's 2.22 (blocked exits) with its notice number."""
    fields = {"finding": finding(places.xiaodian, "2.22"), "document_number": "并消责改字〔2023〕第0012号"} | fields  # fmt: skip
    return record(user, places.xiaodian, **fields)


# -- the service ----------------------------------------------------------------------------


def test_an_officer_records_an_order_with_history_and_an_audit_event(cast, places, hazards):
    action = order(cast.xiaodian, places)
    assert (action.kind, action.department, action.section) == ("order", "education", "二")
    assert action.campaign == hazards and action.basis.startswith("2.22 ")
    assert action.document_number == "并消责改字〔2023〕第0012号"
    assert action.recorded_by == cast.xiaodian and action.amount is None
    (row,) = action.history.all()
    assert row.history_user == cast.xiaodian and row.history_type == "+"
    event = AuditEvent.objects.get(object_type="enforcement.EnforcementAction")
    assert event.actor == cast.xiaodian and event.object_id == str(action.pk)
    assert event.detail["event"] == "enforcement_record"
    assert event.detail["document_number"] == action.document_number


def test_a_case_takes_several_actions_and_a_document_number_once(cast, places, hazards, fire):
    order(fire, places, kind=Kind.INTERVIEW, document_number="")
    order(fire, places)
    fine = order(fire, places, kind=Kind.FINE, amount=Decimal("5000.00"),
                 document_number="并消罚决字〔2023〕第0003号")  # fmt: skip
    assert fine.amount == Decimal("5000.00") and fine.department == "fire"
    with pytest.raises(ValidationError) as refused:
        order(fire, places)
    assert "已登记过这个文书编号" in str(refused.value)
    kinds = sorted(places.xiaodian.enforcement_actions.values_list("kind", flat=True))
    assert kinds == ["fine", "interview", "order"]


def test_a_suspension_is_recorded_on_the_inspection_that_ordered_it(cast, places, hazards):
    inspection = Inspection.objects.get(institution=places.pingcheng)
    action = record(
        cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, inspection=inspection,
        kind=Kind.SUSPENSION, document_number="同消停字〔2023〕第1号",
    )  # fmt: skip
    assert action.inspection == inspection and action.section == ""
    assert "停业整改" in action.basis and action.is_public


def test_vetting_accountability_is_recorded_by_education_and_police_not_fire(
    cast, places, campaign, fire, police
):
    # A current staff member never checked, the 2023 screening deadline long past.
    StaffFactory(institution=places.xiaodian)
    action = record(cast.xiaodian, places.xiaodian, trigger=Trigger.PERSONNEL,
                    kind=Kind.ACCOUNTABILITY)  # fmt: skip
    assert action.section == "三" and "未查询犯罪记录" in action.basis
    assert action.campaign == campaign and not action.is_public
    by_police = record(police, places.xiaodian, trigger=Trigger.PERSONNEL, kind=Kind.INTERVIEW)
    assert by_police.department == "public_security"
    with pytest.raises(PermissionDenied):
        record(fire, places.xiaodian, trigger=Trigger.PERSONNEL, kind=Kind.INTERVIEW)
    assert EnforcementAction.objects.count() == 2
    # Fire rescue does not read them either (an overdue dismissal implies a record).
    assert not selectors.action_list(scope=scope_for(fire)).exists()
    assert selectors.action_list(scope=scope_for(police)).count() == 2


def test_an_institution_without_a_vetting_flag_is_not_held_accountable(cast, places, campaign):
    with pytest.raises(ValidationError) as refused:
        record(cast.xiaodian, places.xiaodian, trigger=Trigger.PERSONNEL,
               kind=Kind.ACCOUNTABILITY)  # fmt: skip
    assert "没有需要问责" in str(refused.value)
    assert not EnforcementAction.objects.exists()


def test_fire_acts_on_fire_hazards_only(cast, places, hazards, fire):
    with pytest.raises(PermissionDenied):
        record(fire, places.xiaodian, finding=finding(places.xiaodian, "1.12"),
               kind=Kind.INTERVIEW)  # fmt: skip
    assert not EnforcementAction.objects.exists()
    assert order(fire, places).department == "fire"


def test_only_a_major_hazard_of_this_institution_is_a_basis(cast, places, hazards):
    general = finding(places.pingcheng, "1.01")
    for target in (general, finding(places.xiaodian, "2.22")):
        with pytest.raises(ValidationError):
            record(cast.pingcheng, places.pingcheng, finding=target, kind=Kind.INTERVIEW)
    assert not EnforcementAction.objects.exists()


def test_out_of_scope_or_without_the_role_the_service_refuses(cast, places, hazards, fire):
    for user in (cast.pingcheng, cast.admin, cast.auditor, cast.outsider):
        with pytest.raises(PermissionDenied):
            order(user, places)
    # The department that took the action must own the violation's section (not a code).
    for department in ("public_security", "market"):
        with pytest.raises(ValidationError) as refused:
            order(cast.xiaodian, places, department=department)
        assert "处理部门" in " ".join(refused.value.message_dict["department"])
    assert not EnforcementAction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"document_number": "并消\x01字"}, "document_number", "控制字符"),
        ({"document_number": "并消\x00字"}, "document_number", "空字符"),
        ({"document_number": "号" * 65}, "document_number", "不能超过 64 个字符"),
        ({"note": "说明\x0b"}, "note", "控制字符"),
        ({"note": "很长" * 1001}, "note", "不能超过 2000 个字符"),
        ({"kind": Kind.FINE, "amount": Decimal("1E+15")}, "amount", "罚款金额过大"),
        ({"kind": Kind.FINE, "amount": Decimal("NaN")}, "amount", "应为数字"),
        ({"kind": Kind.FINE, "amount": Decimal("-5")}, "amount", "应大于 0"),
        ({"kind": Kind.FINE, "amount": None}, "amount", "请填写罚款金额"),
        ({"amount": Decimal("100")}, "amount", "只有罚款需要填写金额"),
        ({"document_number": ""}, "document_number", "请填写文书编号"),
        ({"taken_on": TODAY() + dt.timedelta(days=1)}, "taken_on", "不能晚于今天"),
        ({"taken_on": dt.date(2000, 1, 1)}, "taken_on", "不能早于发现问题的检查日期"),
        ({"taken_on": None}, "taken_on", "请填写处理日期"),
        ({"kind": "pardon"}, "kind", "请选择处理措施"),
    ],
)
def test_bad_input_is_refused_in_chinese_with_nothing_written(
    cast, places, hazards, fields, field, message
):
    with pytest.raises(ValidationError) as refused:
        order(cast.xiaodian, places, **fields)
    assert message in " ".join(refused.value.message_dict[field])
    assert not EnforcementAction.objects.exists()
    assert not AuditEvent.objects.filter(object_type="enforcement.EnforcementAction").exists()


# -- the pages ------------------------------------------------------------------------------


def create_url(institution):
    return reverse("enforcement:create", kwargs={"pk": institution.pk})


def form(places, **fields):
    return {
        "basis": f"finding:{finding(places.xiaodian, '2.22').pk}", "kind": "order",
        "taken_on": TODAY().isoformat(), "document_number": "并消责改字〔2023〕第0012号",
        "amount": "", "note": "", "department": "",
    } | fields  # fmt: skip


def test_the_page_records_an_action_and_the_institution_shows_it(client, cast, places, hazards):
    client.force_login(cast.xiaodian)
    page = client.get(create_url(places.xiaodian)).content.decode()
    assert "2.22" in page and "1.12" in page
    response = client.post(create_url(places.xiaodian), form(places))
    assert response.status_code == 302
    body = client.get(reverse("institutions:detail", args=[places.xiaodian.pk])).content.decode()
    assert "并消责改字〔2023〕第0012号" in body and "登记处理措施" in body
    assert EnforcementAction.objects.get().recorded_by == cast.xiaodian


def test_out_of_scope_is_404_and_wrong_role_or_department_403_nothing_written(
    client, cast, places, hazards, fire
):
    StaffFactory(institution=places.xiaodian)
    for user, status in ((cast.pingcheng, 404), (cast.admin, 403), (cast.auditor, 403)):
        client.force_login(user)
        assert client.post(create_url(places.xiaodian), form(places)).status_code == status
    # 平城区's institution lies outside 太原市.
    client.force_login(cast.taiyuan)
    assert client.get(create_url(places.pingcheng)).status_code == 404
    # A fire officer sending a vetting case, which the page never offered: 403.
    client.force_login(fire)
    assert (
        client.post(create_url(places.xiaodian), form(places, basis="personnel")).status_code == 403
    )
    assert "personnel" not in client.get(create_url(places.xiaodian)).content.decode()
    assert not EnforcementAction.objects.exists()


def test_bad_input_on_the_page_is_a_chinese_400_with_nothing_written(client, cast, places, hazards):
    client.force_login(cast.xiaodian)
    for fields, message in (
        ({"document_number": "并消\x01字"}, "控制字符"),
        ({"kind": "fine", "amount": "99999999999999"}, "罚款金额过大"),
        ({"taken_on": (TODAY() + dt.timedelta(days=3)).isoformat()}, "不能晚于今天"),
        ({"note": "长" * 2001}, "不能超过 2000 个字符"),
        ({"basis": "finding:99999999999"}, "不是该机构已提交检查中的重大隐患"),
    ):
        response = client.post(create_url(places.xiaodian), form(places, **fields))
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not EnforcementAction.objects.exists()


def test_the_list_shows_actions_in_scope_and_filters_by_kind(client, cast, places, hazards):
    order(cast.xiaodian, places)
    order(cast.xiaodian, places, kind=Kind.INTERVIEW, document_number="")
    record(cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, kind=Kind.SUSPENSION,
           inspection=Inspection.objects.get(institution=places.pingcheng),
           document_number="同消停字〔2023〕第1号")  # fmt: skip
    client.force_login(cast.xiaodian)
    page = client.get(reverse("enforcement:list"))
    assert sorted(a.kind for a in page.context["page"]) == ["interview", "order"]
    assert "同消停字" not in page.content.decode()
    only = client.get(reverse("enforcement:list"), {"kind": "order"}).context["page"]
    assert [a.kind for a in only] == ["order"]
    client.force_login(cast.province)
    assert client.get(reverse("enforcement:list")).context["page"].paginator.count == 3


def test_the_ledger_lists_the_actions_in_scope(client, cast, places, hazards):
    order(cast.xiaodian, places)
    record(cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, kind=Kind.SUSPENSION,
           inspection=Inspection.objects.get(institution=places.pingcheng),
           document_number="同消停字〔2023〕第1号")  # fmt: skip
    client.force_login(cast.taiyuan)
    response = client.get(reverse("ledgers:enforcement"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "并消责改字〔2023〕第0012号" in cells and places.xiaodian.name in cells
    assert "同消停字〔2023〕第1号" not in cells


# -- the city summary and the disclosure page -------------------------------------------------


def test_the_city_summary_counts_actions_by_county_and_kind(cast, places, hazards, fire):
    order(fire, places, kind=Kind.INTERVIEW, document_number="")
    order(fire, places)
    order(fire, places, kind=Kind.FINE, amount=Decimal("5000.00"), document_number="罚1")
    StaffFactory(institution=places.xiaodian)
    record(cast.xiaodian, places.xiaodian, trigger=Trigger.PERSONNEL, kind=Kind.ACCOUNTABILITY)
    # 平城区 belongs to 大同市: not 太原市's.
    record(cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, kind=Kind.SUSPENSION,
           inspection=Inspection.objects.get(institution=places.pingcheng), document_number="停1")  # fmt: skip
    f = city_figures(campaign=hazards, city=Region.objects.get(code="140100"))
    e = f["enforcement"]
    assert (e["actions"], e["institutions"], e["fined_amount"]) == (4, 1, "5000.00")
    assert (e["interview"], e["order"], e["fine"], e["accountability"]) == (1, 1, 1, 1)
    assert (e["suspension"], e["referral"]) == (0, 0)
    counties = {row["code"]: row["actions"] for row in f["counties"]}
    assert counties["140105"] == 4 and counties["140106"] == 0 and f["total"]["actions"] == 4
    groups = dict(key_figures(f))
    assert dict(groups["查处问责"])["罚款金额（元）"] == "5000.00"
    headers, rows = county_table(f)
    assert rows[-1][headers.index("处理措施")] == 4
    # Figures frozen before actions were counted show dashes, not an error.
    old = {k: v for k, v in f.items() if k != "enforcement"}
    assert dict(dict(key_figures(old))["查处问责"])["约谈"] == "—"
    # The Word summary carries them in its table of key figures.
    doc = documents.document_for(None, campaign=hazards, city=Region.objects.get(code="140100"))
    text = [c.text for t in Document(io.BytesIO(documents.summary_docx(doc))).tables
            for r in t.rows for c in r.cells]  # fmt: skip
    assert "查处问责" in text and "罚款金额（元）" in text


def test_the_disclosure_page_lists_fire_and_suspension_actions_without_people(
    client, cast, places, hazards, fire
):
    order(fire, places, note="约谈了法定代表人孙某某")
    StaffFactory(institution=places.xiaodian)
    record(cast.xiaodian, places.xiaodian, trigger=Trigger.PERSONNEL, kind=Kind.ACCOUNTABILITY,
           document_number="问责字第9号")  # fmt: skip
    record(cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, kind=Kind.SUSPENSION,
           inspection=Inspection.objects.get(institution=places.pingcheng),
           document_number="同消停字〔2023〕第1号")  # fmt: skip
    services_disclosure.publication_publish(
        campaign=hazards, actor=cast.province, scope=scope_for(cast.province), reason="公开",
        show_draws=False, show_violations=True, show_figures=False,
    )  # fmt: skip
    client.logout()
    body = client.get(reverse("disclosure:campaign", kwargs={"pk": hazards.pk})).content.decode()
    assert "依法处理情况" in body
    assert "并消责改字〔2023〕第0012号" in body and "同消停字〔2023〕第1号" in body
    assert places.xiaodian.name in body and "责令整改" in body and "停业整顿" in body
    assert "问责字第9号" not in body and "孙某某" not in body
    assert fire.full_name not in body and cast.xiaodian.full_name not in body


# -- review: sections read, who took it, the list's export link, the ledger's campaign ------


@pytest.fixture
def city_fire(regions):
    return UserFactory(username="fire_taiyuan", grant=("department_user", "140100", "fire"))


def ledger_cells(client, params=None) -> list[str]:
    response = client.get(reverse("ledgers:enforcement"), {"format": "xlsx", **(params or {})})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [c for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)]


def test_fire_reads_no_action_taken_on_a_section_it_does_not_own(
    client, cast, places, hazards, city_fire
):
    # Education acts on 小店区's major §一 hazard (1.12) and on its §二 one (2.22).
    secret = record(cast.xiaodian, places.xiaodian, finding=finding(places.xiaodian, "1.12"),
                    kind=Kind.INTERVIEW, note="约谈法定代表人王某某")  # fmt: skip
    fire_order = order(cast.xiaodian, places)
    suspension = record(
        cast.pingcheng, places.pingcheng, trigger=Trigger.SUSPENSION, kind=Kind.SUSPENSION,
        inspection=Inspection.objects.get(institution=places.pingcheng), document_number="停1",
    )  # fmt: skip
    assert list(selectors.action_list(scope=scope_for(city_fire))) == [fire_order]
    # A suspension (no section of its own) is read by fire wherever fire reaches it.
    fire_datong = UserFactory(grant=("department_user", "140200", "fire"))
    assert list(selectors.action_list(scope=scope_for(fire_datong))) == [suspension]
    client.force_login(city_fire)
    for url in (reverse("enforcement:list"), reverse("institutions:detail", args=[places.xiaodian.pk])):  # fmt: skip
        body = client.get(url).content.decode()
        assert fire_order.document_number in body
        assert "王某某" not in body and secret.basis not in body
    cells = ledger_cells(client)
    assert fire_order.document_number in cells
    assert "约谈法定代表人王某某" not in cells and secret.basis not in cells
    # The city summary reads through the city's education scope: both are counted.
    figures = city_figures(campaign=hazards, city=Region.objects.get(code="140100"))
    assert (figures["enforcement"]["actions"], figures["enforcement"]["interview"]) == (2, 1)


def test_the_department_that_took_the_action_is_recorded_not_the_recorders(
    client, cast, places, hazards
):
    fine = order(cast.xiaodian, places, kind=Kind.FINE, amount=Decimal("3000"),
                 department="fire", document_number="并消罚决字〔2023〕第0001号")  # fmt: skip
    assert (fine.department, fine.recorded_by) == ("fire", cast.xiaodian)
    client.force_login(cast.xiaodian)
    choices = client.get(create_url(places.xiaodian)).context["form"].fields["department"]
    offered = {value for value, _label in choices.widget.choices}
    assert {"education", "fire"} <= offered and "public_security" not in offered
    response = client.post(create_url(places.xiaodian), form(
        places, kind="fine", amount="2000", department="fire", document_number="并消罚决字第2号"
    ))  # fmt: skip
    assert response.status_code == 302
    assert EnforcementAction.objects.get(document_number="并消罚决字第2号").department == "fire"


def test_the_list_exports_the_kind_it_shows_with_an_encoded_link(client, cast, places, hazards):
    order(cast.xiaodian, places)
    order(cast.xiaodian, places, kind=Kind.FINE, amount=Decimal("100"), document_number="罚 & 1")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("enforcement:list"), {"kind": "fine", "q": "罚 & 1"})
    params = QueryDict(page.context["export_query"])
    assert (params["status"], params["q"]) == ("fine", "罚 & 1") and "kind" not in params
    cells = ledger_cells(client, params.dict())
    assert "罚 & 1" in cells and "并消责改字〔2023〕第0012号" not in cells


def test_the_ledger_keeps_actions_without_a_campaign_taken_during_it(
    client, cast, places, campaign
):
    StaffFactory(institution=places.xiaodian)
    during, after = (
        record(cast.xiaodian, places.xiaodian, trigger=Trigger.PERSONNEL, kind=kind,
               document_number=number)
        for kind, number in ((Kind.ACCOUNTABILITY, "问责字第1号"), (Kind.INTERVIEW, "约谈第2号"))
    )  # fmt: skip
    EnforcementAction.objects.filter(pk=during.pk).update(
        campaign=None, taken_on=campaign.starts_on + dt.timedelta(days=5)
    )
    EnforcementAction.objects.filter(pk=after.pk).update(
        campaign=None, taken_on=campaign.ends_on + dt.timedelta(days=5)
    )
    client.force_login(cast.xiaodian)
    cells = ledger_cells(client)
    assert "问责字第1号" in cells and "约谈第2号" not in cells


def test_the_demo_records_fire_fines_as_taken_by_fire_rescue(cast, places, hazards):
    from ops.demo.enforcement import enforcement_demo_create

    county = UserFactory(username="county_xiaodian", grant=("county_officer", "140105"))
    assert enforcement_demo_create(campaign=hazards) >= 2
    fines = EnforcementAction.objects.filter(kind=Kind.FINE)
    assert fines.exists()
    assert set(fines.values_list("department", "recorded_by")) == {("fire", county.pk)}
