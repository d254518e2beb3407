"""A suspected offence against a minor goes to the police (§四): it closes only after a
referral or a reason not to refer that the city's education staff approved; the clock
escalates it when neither exists within the campaign's limit."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, Notification
from accounts.scope import Scope
from complaints import access, no_referral, services
from complaints.models import Case
from tests.clock.test_clock import at
from tests.clock.test_clock_escalations import case as clock_case
from tests.clock.test_clock_escalations import escalated, titles
from tests.complaints.test_complaints import officer_case, refer
from tests.factories import UserFactory
from tests.inspections.test_problems import seed_campaign

pytestmark = pytest.mark.django_db

REASON = "经调取监控并询问在场学生，教师仅口头提醒纪律，不涉嫌违法犯罪。"


def propose(case, user, reason=REASON):
    return no_referral.no_referral_propose(
        case=case, actor=user, scope=Scope.for_user(user), reason=reason
    )


def review(case, user, approve=True, note="", proposed_at=None):
    """As the review page does: approving the proposal as it stands now, unless told which."""
    proposed_at = proposed_at or Case.objects.get(pk=case.pk).no_referral_proposed_at
    return no_referral.no_referral_review(
        case=case, actor=user, scope=Scope.for_user(user), approve=approve, note=note,
        proposed_at=proposed_at,
    )  # fmt: skip


def stamp(case):
    """The proposal's timestamp as the review form carries it."""
    return Case.objects.get(pk=case.pk).no_referral_proposed_at.isoformat()


def close(case, user):
    return services.case_close(
        case=case, actor=user, scope=Scope.for_user(user), result="经核查已处理完毕"
    )


def audits(case):
    return AuditEvent.objects.filter(object_id=str(case.pk), detail__what="no_referral")


@pytest.fixture
def minor(cast):
    return officer_case(cast.xiaodian, category="minor_offence")


# -- the close rule ----------------------------------------------------------------------


def test_a_minor_case_is_not_closed_without_a_referral_or_a_reviewed_reason(cast, minor):
    with pytest.raises(ValidationError, match="须移送公安机关，或由上级教育部门审核同意不移送"):
        close(minor, cast.xiaodian)
    propose(minor, cast.xiaodian)
    with pytest.raises(ValidationError, match="须移送公安机关"):
        close(minor, cast.xiaodian)  # proposed, not yet reviewed
    minor.refresh_from_db()
    assert minor.status == "assigned" and minor.closed_at is None


def test_the_handler_proposes_the_city_approves_and_the_case_closes(cast, minor):
    propose(minor, cast.xiaodian)
    assert Notification.objects.filter(user=cast.taiyuan, title__contains="拟不移送").exists()
    # The reviewer reads what they approve, though not assigned; reading is all it gives.
    pending = Case.objects.get(pk=minor.pk)
    assert access.can_read_for_review(pending, Scope.for_user(cast.taiyuan), cast.taiyuan)
    assert not access.can_handle(pending, Scope.for_user(cast.taiyuan), cast.taiyuan)
    reviewed = review(minor, cast.taiyuan, note="同意")
    assert reviewed.no_referral_reviewed_by == cast.taiyuan
    assert reviewed.no_referral_reviewed_at is not None
    assert reviewed.no_referral_reason == REASON
    assert reviewed.no_referral_proposed_by == cast.xiaodian
    assert sorted(audits(minor).values_list("detail__step", flat=True)) == ["approve", "propose"]
    assert close(minor, cast.xiaodian).status == "closed"


def test_a_minor_case_closes_after_a_referral_with_the_polices_feedback(cast, minor, regions):
    police = UserFactory(grant=("department_user", "140100", "public_security"))
    referral = refer(minor, cast.xiaodian)
    services.referral_feedback(referral=referral, actor=police, scope=Scope.for_user(police),
                               outcome="filed", feedback="已立案侦查")  # fmt: skip
    assert close(minor, cast.xiaodian).status == "closed"


def test_other_categories_close_without_a_referral(cast):
    case = officer_case(cast.xiaodian, category="fees")
    assert close(case, cast.xiaodian).status == "closed"


def test_nobody_approves_their_own_decision_and_counties_do_not_review(cast, minor):
    propose(minor, cast.xiaodian)
    colleague = UserFactory(grant=("county_officer", "140105"))
    for user in (cast.xiaodian, colleague):
        with pytest.raises(PermissionDenied):
            review(minor, user)
    # A city officer handling the case is a handler, not a reviewer.
    minor.assignees.add(cast.taiyuan)
    with pytest.raises(PermissionDenied):
        review(minor, cast.taiyuan)
    minor.refresh_from_db()
    assert minor.no_referral_reviewed_at is None and not audits(minor).filter(
        detail__step="approve").exists()  # fmt: skip


def test_sending_back_needs_a_word_and_clears_the_proposal(cast, minor):
    propose(minor, cast.xiaodian)
    with pytest.raises(ValidationError, match="退回时请写明原因"):
        review(minor, cast.taiyuan, approve=False)
    returned = review(minor, cast.taiyuan, approve=False, note="情节较重，应移送公安核查")
    assert returned.no_referral_proposed_at is None and returned.no_referral_reviewed_at is None
    with pytest.raises(ValidationError, match="没有待审核"):
        review(minor, cast.taiyuan)
    assert Notification.objects.filter(user=cast.xiaodian, title__contains="被退回").exists()


@pytest.mark.parametrize(
    "reason, message",
    [
        ("理由\x00" + REASON, "空字符"),
        ("理由\x07" + REASON, "控制字符"),
        ("太短", "至少 10 个字"),
        ("很" * 2001, "不能超过 2000 字"),
    ],
)
def test_a_bad_reason_is_refused_in_chinese_and_nothing_is_written(cast, minor, reason, message):
    with pytest.raises(ValidationError, match=message):
        propose(minor, cast.xiaodian, reason)
    minor.refresh_from_db()
    assert minor.no_referral_proposed_at is None and minor.no_referral_reason == ""
    assert not audits(minor).exists()


# -- the pages: scope and roles ------------------------------------------------------------


def test_the_page_offers_the_reason_to_the_handler_and_the_review_to_the_city(client, cast, minor):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("complaints:detail", args=[minor.pk])).content.decode()
    assert 'data-testid="no-referral-form"' in page and 'data-testid="close-blocker"' in page
    response = client.post(reverse("complaints:no_referral", args=[minor.pk]), {"reason": REASON})
    assert response.status_code == 302
    client.force_login(cast.taiyuan)
    page = client.get(reverse("complaints:detail", args=[minor.pk])).content.decode()
    assert 'data-testid="no-referral-review-form"' in page and REASON in page
    assert f'name="proposed_at" value="{stamp(minor)}"' in page
    response = client.post(
        reverse("complaints:no_referral_review", args=[minor.pk]),
        {"decision": "approve", "proposed_at": stamp(minor)},
    )
    assert response.status_code == 302
    minor.refresh_from_db()
    assert minor.no_referral_reviewed_by == cast.taiyuan


def test_out_of_scope_is_a_404_and_nothing_is_written(client, cast, minor):
    datong = UserFactory(grant=("city_staff", "140200"))
    for user, name, data in (
        (cast.pingcheng, "complaints:no_referral", {"reason": REASON}),
        (datong, "complaints:no_referral_review", {"decision": "approve"}),
    ):
        client.force_login(user)
        assert client.post(reverse(name, args=[minor.pk]), data).status_code == 404
    minor.refresh_from_db()
    assert minor.no_referral_proposed_at is None and not audits(minor).exists()


def test_wrong_role_or_department_is_a_403_and_nothing_is_written(client, cast, minor):
    propose(minor, cast.xiaodian)
    police = UserFactory(grant=("department_user", "140100", "public_security"))
    city_fire = UserFactory(grant=("city_staff", "140100", "fire"))
    # The fire department's city staff cannot even see a minor case: 404, as if missing.
    expected = [(cast.xiaodian, 403), (cast.auditor, 403), (police, 403), (cast.province, 403),
                (city_fire, 404)]  # fmt: skip
    for user, status in expected:
        client.force_login(user)
        response = client.post(
            reverse("complaints:no_referral_review", args=[minor.pk]), {"decision": "approve"}
        )
        assert response.status_code == status, user
    # A county colleague not handling the case may not write the reason either.
    client.force_login(UserFactory(grant=("county_officer", "140105")))
    response = client.post(reverse("complaints:no_referral", args=[minor.pk]), {"reason": REASON})
    assert response.status_code == 403
    minor.refresh_from_db()
    assert minor.no_referral_reviewed_at is None and minor.no_referral_proposed_by == cast.xiaodian
    assert audits(minor).count() == 1


def test_huge_or_control_text_on_the_page_is_a_chinese_400(client, cast, minor):
    client.force_login(cast.xiaodian)
    url = reverse("complaints:no_referral", args=[minor.pk])
    for reason in ("理由\x00" + REASON, "很" * 5000):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 400
        assert "字符" in response.content.decode()
    minor.refresh_from_db()
    assert minor.no_referral_proposed_at is None and not audits(minor).exists()


# -- reclassifying, reading for review, approving what was read (code review of #18) --------

MISTAGGED = "经核实不涉及未成年人，反映的是成人考证培训班的收费纠纷。"


def triage(case, user, category):
    return services.case_triage(
        case=case, actor=user, scope=Scope.for_user(user), category=category,
        assignees=list(case.assignees.all()),
    )  # fmt: skip


def category_audits(case):
    return AuditEvent.objects.filter(object_id=str(case.pk), detail__change="category")


def test_a_minor_case_is_not_reclassified_away_before_a_referral_or_an_approved_reason(cast, minor):
    refused = "涉未成年人线索须先移送公安或经审核同意不移送，才能更改类别"
    with pytest.raises(ValidationError, match=refused):
        triage(minor, cast.xiaodian, "fees")
    propose(minor, cast.xiaodian, MISTAGGED)
    with pytest.raises(ValidationError, match=refused):
        triage(minor, cast.xiaodian, "fees")  # proposed, not yet reviewed
    minor.refresh_from_db()
    assert minor.category == "minor_offence" and not category_audits(minor).exists()
    # Still watched: the close rule and the clock hold it.
    assert no_referral.close_blocker(minor)


def test_a_mistagged_minor_case_is_reclassified_through_the_reviewed_reason(cast, minor):
    propose(minor, cast.xiaodian, MISTAGGED)
    review(minor, cast.taiyuan)
    assert triage(minor, cast.xiaodian, "fees").category == "fees"
    assert category_audits(minor).get().detail["before"] == "minor_offence"


def test_a_referred_minor_case_may_be_reclassified(cast, minor):
    refer(minor, cast.xiaodian)
    assert triage(minor, cast.xiaodian, "safety_hazard").category == "safety_hazard"


def test_a_reviewer_reads_the_pending_case_and_may_do_nothing_else(client, cast):
    from openpyxl import load_workbook

    from complaints import selectors

    minor = officer_case(cast.xiaodian, category="minor_offence", reporter_name="赵六",
                         reporter_phone="13600002222")  # fmt: skip
    propose(minor, cast.xiaodian)
    client.force_login(cast.taiyuan)
    detail = reverse("complaints:detail", args=[minor.pk])
    page = client.get(detail).content.decode()
    assert minor.description in page and REASON in page
    assert 'data-testid="no-referral-review-form"' in page
    for form in ("refer-form", "close-form", "reveal-form", "no-referral-form", "link-form"):
        assert f'data-testid="{form}"' not in page, form
    # Every handler action is refused, as for any officer not handling the case.
    for name, data in (
        ("complaints:refer", {"police_unit": "太原市公安局小店分局", "materials": "投诉记录一份"}),
        ("complaints:close", {"result": "经核查已处理完毕"}),
        ("complaints:reveal_contact", {"reason": "回访反映人"}),
        ("complaints:no_referral", {"reason": MISTAGGED}),
    ):
        assert client.post(reverse(name, args=[minor.pk]), data).status_code == 403, name
    minor.refresh_from_db()
    assert minor.status == "assigned" and not minor.referrals.exists()
    assert minor.no_referral_reason == REASON
    assert not AuditEvent.objects.filter(detail__what="complaint_contact").exists()
    # Lists, exports and the API are not a review: they carry no details to the reviewer.
    listed = selectors.case_list(scope=Scope.for_user(cast.taiyuan), user=cast.taiyuan)
    assert not listed.get(pk=minor.pk).shows_details
    response = client.get(reverse("complaints:export"))
    rows = repr(list(load_workbook(io.BytesIO(response.content)).active.values))
    assert minor.number in rows and minor.description not in rows
    api = client.get(f"/api/v1/complaints/{minor.pk}/")
    assert api.status_code == 404
    # Approving ends the reading.
    response = client.post(
        reverse("complaints:no_referral_review", args=[minor.pk]),
        {"decision": "approve", "proposed_at": stamp(minor)},
    )
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert minor.description not in page and 'data-testid="details-hidden"' in page
    minor.refresh_from_db()
    assert not access.can_read_for_review(minor, Scope.for_user(cast.taiyuan), cast.taiyuan)


def test_a_reason_changed_after_the_reviewer_read_it_is_not_approved(cast, minor):
    propose(minor, cast.xiaodian)
    read = Case.objects.get(pk=minor.pk).no_referral_proposed_at
    propose(minor, cast.xiaodian, MISTAGGED)  # the handler rewrites it while it waits
    for seen in (read, None):
        with pytest.raises(ValidationError, match="不移送理由已被修改"):
            no_referral.no_referral_review(
                case=minor, actor=cast.taiyuan, scope=Scope.for_user(cast.taiyuan),
                approve=True, proposed_at=seen,
            )  # fmt: skip
    minor.refresh_from_db()
    assert minor.no_referral_reviewed_at is None
    assert not audits(minor).filter(detail__step="approve").exists()
    # Approving the text now on the page works, and it is the text approved.
    assert review(minor, cast.taiyuan).no_referral_reason == MISTAGGED


def test_the_review_page_refuses_a_stale_approval_in_chinese(client, cast, minor):
    propose(minor, cast.xiaodian)
    read = stamp(minor)
    propose(minor, cast.xiaodian, MISTAGGED)
    client.force_login(cast.taiyuan)
    url = reverse("complaints:no_referral_review", args=[minor.pk])
    for seen in ("2023-11-20T09:00:00\x00", "不是时间", read):
        response = client.post(url, {"decision": "approve", "proposed_at": seen})
        assert response.status_code == 400, seen
        body = response.content.decode()
        assert "不移送理由已被修改" in body or "字符" in body
    page = response.content.decode()
    # The page shown again carries the text and the stamp now in force.
    assert MISTAGGED in page and f'name="proposed_at" value="{stamp(minor)}"' in page
    minor.refresh_from_db()
    assert minor.no_referral_reviewed_at is None


def test_the_proposal_audit_holds_the_reason(cast, minor):
    propose(minor, cast.xiaodian)
    assert audits(minor).get(detail__step="propose").detail["reason"] == REASON
    propose(minor, cast.xiaodian, "很" * 2000)
    latest = audits(minor).filter(detail__step="propose").order_by("-pk").first()
    assert latest.detail["reason"] == "很" * 500


# -- the clock -----------------------------------------------------------------------------


@pytest.fixture
def campaign(regions):
    return seed_campaign()


def test_an_unreferred_minor_case_escalates_once_after_the_campaigns_limit(cast, campaign):
    # Received 18 Nov 09:00 with a late response deadline, so only the referral clock runs:
    # 3 days (the campaign's setting) → due 21 Nov 09:00.
    late = clock_case("T2023000101", at(12, 30), category="minor_offence", campaign=campaign)
    referred = clock_case("T2023000102", at(12, 30), category="minor_offence")
    referred.assignees.add(cast.xiaodian)
    refer(referred, cast.xiaodian)
    approved = clock_case("T2023000103", at(12, 30), category="minor_offence")
    approved.assignees.add(cast.xiaodian)
    propose(approved, cast.xiaodian)
    review(approved, cast.taiyuan)
    assert escalated(11, 21, hour=8) == 0
    assert escalated(11, 21, hour=10) == 2  # the county's officers and the city, at once
    assert escalated(11, 21, hour=11) == 0  # idempotent
    title = "涉未成年人线索逾期未移送公安：T2023000101（小店区）"
    assert titles("xiaodian") == [title] and titles("taiyuan") == [title]
    body = Notification.objects.get(user=cast.taiyuan, kind="escalation").body
    assert "3 天" in body and late.description not in body


def test_the_referral_limit_follows_the_campaigns_setting(cast, campaign):
    campaign.minor_referral_days = 5
    campaign.save()
    clock_case("T2023000104", at(12, 30), category="minor_offence")
    assert escalated(11, 22) == 0
    assert escalated(11, 23, hour=10) == 2
