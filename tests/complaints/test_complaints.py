"""Complaints and police referrals (§四): intake, triage, referral, the minors rule, sampling."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEvent, Notification
from accounts.scope import Scope
from campaign.services import campaign_seed_2023
from complaints import access, selectors, services
from complaints.models import Attachment, Case, Referral
from tests import pdfs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEXT = "机构教室的消防通道被杂物堵塞，孩子上课很危险。"


def jpeg(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (37.0, 51.0, 30.0)}
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


PDF = pdfs.plain()


def public_case(county="140105", category="safety_hazard", **kwargs):
    values = {"institution_name": "", "description": TEXT, "reporter_name": "张三",
              "reporter_phone": "13812345678", **kwargs}  # fmt: skip
    return services.case_submit_public(category=category, county_code=county, **values)


def officer_case(user, county="140105", category="safety_hazard", **kwargs):
    values = {"channel": "phone", "description": TEXT, **kwargs}
    return services.case_create(
        actor=user, scope=Scope.for_user(user), category=category, county_code=county, **values
    )[0]


@pytest.fixture
def police(regions):
    return UserFactory(username="police", grant=("department_user", "140100", "public_security"))


@pytest.fixture
def sports(regions):
    return UserFactory(username="sports", grant=("department_user", "140000", "sports"))


def visible(user):
    return selectors.case_list(scope=Scope.for_user(user), user=user)


# -- intake ----------------------------------------------------------------------------


def test_a_public_complaint_gets_a_code_a_deadline_and_a_masked_contact(cast, places):
    case, code = public_case(institution_name=places.xiaodian.name)
    assert len(code) == 14 and code.count("-") == 2
    assert (
        case.tracking_digest == services.tracking_digest(code) and code not in case.tracking_digest
    )
    assert case.number.startswith("TS") and case.channel == "web" and case.status == "new"
    assert case.institution == places.xiaodian and case.institution_name == ""
    assert case.deadline - case.received_at == dt.timedelta(hours=72)
    assert case.contact_masked == "张* 138****5678"
    assert "13812345678" not in case.contact_token and "张三" not in case.contact_token
    assert services.contact_open(case) == {"name": "张三", "phone": "13812345678"}
    # The county's education officers are told; the 平城区 officer is not.
    assert Notification.objects.filter(user=cast.xiaodian, key=f"complaint-new-{case.pk}").exists()
    assert not Notification.objects.filter(user=cast.pingcheng).exists()


def test_a_suspected_offence_against_a_minor_is_due_in_24_hours_and_flagged_urgent(cast):
    case, _code = public_case(category="minor_offence")
    assert case.deadline - case.received_at == dt.timedelta(hours=24)
    note = Notification.objects.get(user=cast.xiaodian)
    assert "紧急" in note.title and TEXT not in note.title + note.body


def test_deadlines_come_from_the_rule_table(cast):
    from complaints.models import CategoryRule

    CategoryRule.objects.filter(category="fees").update(response_hours=48)
    case, _code = public_case(category="fees")
    assert case.deadline - case.received_at == dt.timedelta(hours=48)


def test_photos_lose_their_exif_and_pdfs_are_kept(cast, settings):
    case, _code = public_case(files=[("现场.jpg", jpeg()), ("收据.pdf", PDF)])
    photo, pdf = case.attachments.order_by("kind")
    assert (photo.kind, pdf.kind) == ("jpg", "pdf")
    with photo.file.open("rb") as handle:
        assert b"Exif" not in handle.read()[:200]
    assert str(photo.file.name).startswith("complaints/")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.exe", b"MZ\x90\x00" + b"0" * 100, "格式不支持"),
        ("fake.jpg", b"\xff\xd8\xff" + b"not really", "不是有效的照片"),
        ("cut.pdf", b"%PDF-1.4\n" + b"0" * 5000, "不是完整的 PDF"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF", "超过 10 MB"),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_written(cast, name, data, message):
    with pytest.raises(ValidationError) as error:
        public_case(files=[("ok.pdf", PDF), (name, data)])
    assert message in "".join(error.value.messages)
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert not Notification.objects.exists()


def test_more_than_five_attachments_are_refused(cast):
    with pytest.raises(ValidationError, match="最多上传 5 个附件"):
        public_case(files=[(f"{i}.pdf", PDF) for i in range(6)])
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"description": "太短了"}, "至少 10 个字"),
        ({"category": "nonsense"}, "请选择反映问题的类别"),
        ({"county": "140100"}, "请选择所在县（市、区）"),
        ({"county": "999999"}, "请选择所在县（市、区）"),
    ],
)
def test_bad_public_input_is_refused_in_chinese(cast, values, message):
    with pytest.raises(ValidationError) as error:
        public_case(**values)
    assert message in "".join(error.value.messages)
    assert not Case.objects.exists()


def test_an_officer_enters_a_call_and_handles_it_first(cast):
    case = officer_case(cast.xiaodian, reporter_phone="0351-1234567")
    assert case.status == "assigned" and list(case.assignees.all()) == [cast.xiaodian]
    assert case.contact_masked == "035*****4567"
    assert case.history.first().history_change_reason == "登记并承办"


def test_an_officer_cannot_enter_a_case_outside_their_county(cast):
    with pytest.raises(PermissionDenied):
        officer_case(cast.xiaodian, county="140213")
    assert not Case.objects.exists()


def test_province_staff_read_but_do_not_enter_cases(cast):
    with pytest.raises(PermissionDenied):
        officer_case(cast.province)


# -- triage ----------------------------------------------------------------------------


def test_the_county_assigns_and_reclassifies_with_the_category_deadline(cast):
    colleague = UserFactory(grant=("county_officer", "140105"))
    case, _code = public_case()
    case = services.case_triage(
        case=case, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
        category="minor_offence", assignees=[colleague],
    )  # fmt: skip
    assert case.status == "assigned" and list(case.assignees.all()) == [colleague]
    assert case.deadline - case.received_at == dt.timedelta(hours=24)
    assert Notification.objects.filter(user=colleague, key=f"complaint-assign-{case.pk}").exists()


def test_triage_refuses_an_officer_of_another_county_as_assignee(cast):
    case, _code = public_case()
    with pytest.raises(ValidationError, match="承办人须为"):
        services.case_triage(case=case, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
                             category="safety_hazard", assignees=[cast.pingcheng])  # fmt: skip
    case.refresh_from_db()
    assert case.status == "new" and not case.assignees.exists()


def test_the_city_may_triage_a_county_case_but_another_county_may_not(cast):
    case, _code = public_case()
    services.case_triage(case=case, actor=cast.taiyuan, scope=Scope.for_user(cast.taiyuan),
                         category="safety_hazard", assignees=[cast.taiyuan])  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.case_triage(case=case, actor=cast.pingcheng,
                             scope=Scope.for_user(cast.pingcheng), category="other",
                             assignees=[cast.pingcheng])  # fmt: skip


def test_a_case_links_to_an_inspection_of_its_institution(cast, places):
    from tests.inspections.test_problems import inspected, seed_campaign

    seed_campaign()
    inspection = inspected(cast.xiaodian, places.xiaodian)
    case = officer_case(cast.xiaodian, institution=places.xiaodian)
    task = inspection.tasks.first()
    services.case_link(case=case, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
                       inspection=inspection, task=task)  # fmt: skip
    case.refresh_from_db()
    assert (case.inspection, case.task) == (inspection, task)


# -- referral --------------------------------------------------------------------------


def refer(case, user, **kwargs):
    return services.referral_create(
        case=case, actor=user, scope=Scope.for_user(user), police_unit="太原市公安局小店分局",
        materials="投诉记录一份，照片两张", **kwargs,
    )  # fmt: skip


def test_a_referral_records_what_went_where_and_tells_the_police(cast, police):
    case = officer_case(cast.xiaodian, category="minor_offence")
    referral = refer(case, cast.xiaodian)
    case.refresh_from_db()
    assert case.status == "referred"
    assert referral.sent_by == cast.xiaodian and referral.police_unit == "太原市公安局小店分局"
    assert referral.ack_due - referral.sent_at == dt.timedelta(hours=24)
    assert referral.feedback_due - referral.sent_at == dt.timedelta(days=15)
    assert Notification.objects.filter(
        user=police, key=f"complaint-referral-{referral.pk}"
    ).exists()


def test_police_acknowledge_and_feed_back_then_the_county_closes(cast, police):
    case = officer_case(cast.xiaodian, category="minor_offence")
    referral = refer(case, cast.xiaodian)
    scope = Scope.for_user(police)
    referral = services.referral_acknowledge(referral=referral, actor=police, scope=scope,
                                             police_case_number="A1401052023110001")  # fmt: skip
    with pytest.raises(ValidationError, match="公安反馈"):
        services.case_close(case=case, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
                            result="已移送公安机关")  # fmt: skip
    referral = services.referral_feedback(referral=referral, actor=police, scope=scope,
                                          outcome="filed", feedback="已立案侦查")  # fmt: skip
    assert referral.stage == "fed_back" and referral.acknowledged_by == police
    case = services.case_close(case=case, actor=cast.xiaodian,
                               scope=Scope.for_user(cast.xiaodian), result="公安已立案，机构停业整顿")  # fmt: skip
    assert case.status == "closed" and case.closed_by == cast.xiaodian


def test_feedback_is_refused_twice_and_before_the_referral(cast, police):
    case = officer_case(cast.xiaodian)
    referral = refer(case, cast.xiaodian)
    scope = Scope.for_user(police)
    with pytest.raises(ValidationError, match="不能早于移送时间"):
        services.referral_feedback(referral=referral, actor=police, scope=scope, outcome="filed",
                                   feedback="x", feedback_at=referral.sent_at - dt.timedelta(hours=1))  # fmt: skip
    with pytest.raises(ValidationError, match="请选择处理结果"):
        services.referral_feedback(referral=referral, actor=police, scope=scope, outcome="",
                                   feedback="x")  # fmt: skip
    services.referral_feedback(referral=referral, actor=police, scope=scope, outcome="no_evidence",
                               feedback="查无实据")  # fmt: skip
    with pytest.raises(ValidationError, match="不能重复登记"):
        services.referral_feedback(referral=referral, actor=police, scope=scope, outcome="filed",
                                   feedback="再次")  # fmt: skip
    referral.refresh_from_db()
    assert referral.outcome == "no_evidence"


def test_a_referral_needs_a_unit_and_materials(cast):
    case = officer_case(cast.xiaodian)
    with pytest.raises(ValidationError, match="公安机关"):
        services.referral_create(case=case, actor=cast.xiaodian,
                                 scope=Scope.for_user(cast.xiaodian), police_unit=" ",
                                 materials="x")  # fmt: skip
    assert not Referral.objects.exists()
    case.refresh_from_db()
    assert case.status == "assigned"


def test_police_of_another_city_cannot_answer_a_referral(cast, regions):
    datong_police = UserFactory(grant=("department_user", "140200", "public_security"))
    referral = refer(officer_case(cast.xiaodian), cast.xiaodian)
    with pytest.raises(PermissionDenied):
        services.referral_acknowledge(referral=referral, actor=datong_police,
                                      scope=Scope.for_user(datong_police))  # fmt: skip
    referral.refresh_from_db()
    assert referral.acknowledged_at is None


def test_overdue_referrals_are_found_for_the_clock(cast, police):
    case = officer_case(cast.xiaodian)
    late = refer(case, cast.xiaodian, sent_at=timezone.now() - dt.timedelta(hours=49))
    fresh = refer(officer_case(cast.xiaodian), cast.xiaodian)
    now = timezone.now()
    assert list(services.overdue_referrals(now)) == [late]
    assert late.overdue_at(now) == "ack"
    services.referral_acknowledge(referral=late, actor=police, scope=Scope.for_user(police))
    assert list(services.overdue_referrals(now)) == []
    assert list(services.overdue_referrals(now + dt.timedelta(days=31))) == [fresh, late] or set(
        services.overdue_referrals(now + dt.timedelta(days=31))
    ) == {fresh, late}


# -- who sees what ---------------------------------------------------------------------


def test_police_see_only_referred_cases_in_their_region(cast, police):
    referred = officer_case(cast.xiaodian)
    refer(referred, cast.xiaodian)
    officer_case(cast.xiaodian)  # not referred
    pingcheng = officer_case(cast.pingcheng, county="140213")
    refer(pingcheng, cast.pingcheng)
    assert list(visible(police)) == [referred]


def test_minor_case_details_show_only_to_assignees_police_and_the_auditor(cast, police):
    colleague = UserFactory(grant=("county_officer", "140105"))
    case = officer_case(colleague, category="minor_offence")
    refer(case, colleague)

    def shows(user):
        return visible(user).get(pk=case.pk).shows_details

    assert shows(colleague) and shows(police) and shows(cast.auditor)
    assert not shows(cast.xiaodian) and not shows(cast.taiyuan) and not shows(cast.province)
    assert not visible(cast.pingcheng).filter(pk=case.pk).exists()
    assert not selectors.case_detail_list(scope=Scope.for_user(cast.xiaodian), user=cast.xiaodian)


def test_a_sports_bureau_user_sees_no_complaints_at_all(cast, sports, places):
    officer_case(cast.xiaodian, category="minor_offence")
    officer_case(cast.xiaodian, category="safety_hazard", institution=places.xiaodian)
    scope = Scope.for_user(sports)
    assert not access.may_open(scope)
    assert not visible(sports).exists()
    assert not selectors.referral_list(scope=scope, user=sports).exists()


def test_the_auditor_reads_but_cannot_act(cast):
    case = officer_case(cast.xiaodian)
    scope = Scope.for_user(cast.auditor)
    assert access.may_open(scope) and visible(cast.auditor).filter(pk=case.pk).exists()
    with pytest.raises(PermissionDenied):
        services.case_close(case=case, actor=cast.auditor, scope=scope, result="审计员办结")


def test_revealing_a_contact_is_logged(cast):
    case = officer_case(cast.xiaodian, reporter_name="李四", reporter_phone="13900001111")
    scope = Scope.for_user(cast.xiaodian)
    with pytest.raises(ValidationError, match="请填写查看完整联系方式的理由"):
        services.contact_reveal(case=case, actor=cast.xiaodian, scope=scope, reason="  ")
    assert not AuditEvent.objects.filter(kind="reveal").exists()
    contact = services.contact_reveal(case=case, actor=cast.xiaodian, scope=scope,
                                      reason="回访反映人")  # fmt: skip
    assert contact["phone"] == "13900001111"
    event = AuditEvent.objects.get(kind="reveal", object_id=str(case.pk))
    assert "回访反映人" in event.reason
    with pytest.raises(PermissionDenied):
        services.contact_reveal(case=case, actor=cast.taiyuan, scope=Scope.for_user(cast.province),
                                reason="核实")  # fmt: skip


# -- public status and sampling ----------------------------------------------------------


def test_the_status_lookup_answers_the_status_only(cast):
    case, code = public_case()
    assert selectors.status_for_code(code) == "待分办"
    assert selectors.status_for_code(code.lower().replace("-", " ")) == "待分办"
    assert selectors.status_for_code("AAAA-BBBB-CCCC") is None
    assert selectors.status_for_code("") is None


def test_open_cases_put_their_institution_on_the_must_include_list(cast, places):
    campaign = campaign_seed_2023(province_code="140000")[0]
    public_case(institution_name=places.xiaodian.name, category="minor_offence")
    public_case(institution_name=places.xiaodian.name)
    closed = officer_case(cast.pingcheng, county="140213", institution=places.pingcheng)
    services.case_close(case=closed, actor=cast.pingcheng, scope=Scope.for_user(cast.pingcheng),
                        result="已核实处理")  # fmt: skip
    public_case(county="140106", institution_name=places.yingze.name)
    found = selectors.institutions_with_complaints(campaign=campaign, region_prefix="1401")
    assert found == sorted(
        [
            (places.xiaodian.pk, "有未办结的投诉举报（2 件）"),
            (places.yingze.pk, "有未办结的投诉举报（1 件）"),
        ]
    )
    assert selectors.institutions_with_complaints(campaign=campaign, region_prefix="1402") == []
