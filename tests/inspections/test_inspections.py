"""Inspections: drafts with an optimistic lock, submission into problems and tasks,
amendments, and problems closed one by one by re-inspection."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.scope import scope_for
from campaign.services import campaign_seed_2023
from inspections import amendments, selectors, services
from inspections.models import Evidence, Finding, Inspection, RectificationTask, Round
from tests.factories import InstitutionFactory, UserFactory


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


@pytest.fixture
def officer(cast, campaign):
    return cast.xiaodian


def start(user, institution, **kwargs):
    return services.inspection_start(
        institution=institution, actor=user, scope=scope_for(user), **kwargs
    )


def measured(item, *, bad=False) -> str:
    """A number inside every 2023 limit (≥ 3, ≤ 6, ≥ 5 m²), or one breaking this item's."""
    if not bad:
        return "5.5"
    return str(item.limit_min - 1) if item.limit_min is not None else str(item.limit_max + 1)


def answer_all(user, inspection, *, non_compliant=(), value="compliant"):
    """Answer every applicable item; the codes in `non_compliant` fail, with a note."""
    scope = scope_for(user)
    answers = {}
    for item in services.applicable_items(inspection=inspection, scope=scope):
        if item.answer_type == "compliance":
            bad = item.code in non_compliant
            answers[item.code] = {
                "value": "non_compliant" if bad else value,
                "note": f"{item.code} 现场发现问题" if bad else "",
            }
        elif item.answer_type == "number":
            answers[item.code] = {"number": measured(item, bad=item.code in non_compliant)}
    return services.inspection_save_draft(
        inspection=inspection, actor=user, scope=scope, version=inspection.version, answers=answers
    )


def photograph(user, inspection, code):
    answer = inspection.answers.get(item__code=code)
    evidence = Evidence(answer=answer, sha256=code.replace(".", "") * 8, uploaded_by=user)
    evidence.image.save("p.jpg", ContentFile(b"\xff\xd8\xff\xe0 test"), save=True)


# A deadline after the county phase's end needs a written reason (kept only when needed).
LATE_REASON = "需更换消防设施，供货周期长，整改期限顺延"


def submit(user, inspection, result="rectify", days=7, reason=LATE_REASON):
    inspection.refresh_from_db()
    return services.inspection_submit(
        inspection=inspection, actor=user, scope=scope_for(user), version=inspection.version, result=result,
        rectify_deadline=timezone.localdate() + dt.timedelta(days=days) if result != "compliant" else None,
        deadline_reason=reason,
    )  # fmt: skip


def test_an_officer_starts_an_inspection_in_the_county_round(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    assert inspection.round.level == "county" and inspection.round.region_id == "140105"
    assert inspection.checklist == campaign.checklists.get(is_active=True)
    assert list(inspection.inspectors.all()) == [officer]
    assert inspection.status == "draft"


def test_out_of_scope_or_wrong_role_cannot_start_and_nothing_is_created(cast, places, campaign):
    with pytest.raises(PermissionDenied):
        start(cast.xiaodian, places.pingcheng)
    with pytest.raises(PermissionDenied):
        start(cast.auditor, places.xiaodian)
    assert Inspection.objects.count() == 0 and Round.objects.count() == 0


def test_items_follow_the_institution_kitchen_and_dormitory(officer, places, campaign):
    plain = start(officer, places.xiaodian)
    kitchen = start(officer, places.xiaodian, has_kitchen=True)
    scope = scope_for(officer)
    plain_codes = set(
        services.applicable_items(inspection=plain, scope=scope).values_list("code", flat=True)
    )
    kitchen_codes = set(
        services.applicable_items(inspection=kitchen, scope=scope).values_list("code", flat=True)
    )
    assert kitchen_codes > plain_codes


def test_a_draft_saves_and_a_stale_second_save_is_refused(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    colleague = UserFactory(full_name="李同事", grant=("county_officer", "140105"))
    stale_version = inspection.version
    services.inspection_save_draft(
        inspection=inspection, actor=colleague, scope=scope_for(colleague), version=stale_version,
        answers={"1.01": {"value": "compliant"}},
    )  # fmt: skip
    with pytest.raises(services.EditConflict, match="李同事"):
        services.inspection_save_draft(
            inspection=inspection, actor=officer, scope=scope_for(officer), version=stale_version,
            answers={"1.01": {"value": "non_compliant"}},
        )  # fmt: skip
    assert inspection.answers.get(item__code="1.01").value == "compliant"
    assert set(inspection.inspectors.all()) == {officer, colleague}


def test_a_bad_answer_saves_nothing(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    with pytest.raises(ValidationError):
        services.inspection_save_draft(
            inspection=inspection, actor=officer, scope=scope_for(officer), version=inspection.version,
            answers={"1.01": {"value": "compliant"}, "1.02": {"value": "maybe"}},
        )  # fmt: skip
    inspection.refresh_from_db()
    assert inspection.answers.count() == 0 and inspection.version == 1


def test_submit_needs_every_answer_and_photos_for_problems(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    with pytest.raises(ValidationError, match="尚未填写"):
        submit(officer, inspection)
    answer_all(officer, inspection, non_compliant=["1.01"])
    with pytest.raises(ValidationError, match="1.01 不合规，须拍照留证"):
        submit(officer, inspection)
    with pytest.raises(ValidationError, match="检查结论不能为“合格”"):
        submit(officer, inspection, result="compliant")
    inspection.refresh_from_db()
    assert inspection.status == "draft" and not RectificationTask.objects.exists()


def test_submit_turns_problems_into_findings_grouped_by_department(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01", "2.22"])
    photograph(officer, inspection, "1.01")
    photograph(officer, inspection, "2.22")
    inspection = submit(officer, inspection)
    assert (inspection.status, inspection.result) == ("submitted", "rectify")
    tasks = {t.department: t for t in inspection.tasks.all()}
    assert set(tasks) == {"education", "fire"}
    fire = tasks["fire"].findings.get()
    assert (fire.item.code, fire.severity, fire.status) == ("2.22", "major", "open")
    assert fire.description == "2.22 现场发现问题" and fire.requirement
    with pytest.raises(ValidationError, match="已提交"):
        services.inspection_save_draft(
            inspection=inspection,
            actor=officer,
            scope=scope_for(officer),
            version=inspection.version,
            answers={},
        )


def test_a_compliant_inspection_makes_no_tasks(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection)
    inspection = submit(officer, inspection, result="compliant")
    assert inspection.result == "compliant" and not inspection.tasks.exists()


def test_a_double_submit_makes_one_set_of_tasks(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["2.22"])
    photograph(officer, inspection, "2.22")
    inspection.refresh_from_db()
    version = inspection.version
    stale = Inspection.objects.get(pk=inspection.pk)
    services.inspection_submit(inspection=inspection, actor=officer, scope=scope_for(officer), version=version,
                               result="rectify", rectify_deadline=timezone.localdate())  # fmt: skip
    with pytest.raises(ValidationError):
        services.inspection_submit(inspection=stale, actor=officer, scope=scope_for(officer), version=version,
                                   result="rectify", rectify_deadline=timezone.localdate())  # fmt: skip
    assert RectificationTask.objects.count() == 1


def test_an_amendment_keeps_who_when_why_and_the_old_text(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection)
    inspection = submit(officer, inspection, result="compliant")
    with pytest.raises(ValidationError, match="更正原因"):
        amendments.inspection_amend(
            inspection=inspection, actor=officer, scope=scope_for(officer), reason=" ", summary="x"
        )
    amendment = amendments.inspection_amend(
        inspection=inspection,
        actor=officer,
        scope=scope_for(officer),
        reason="笔误",
        summary="现场整体良好",
    )
    assert amendment.changes == [{"field": "summary", "old": "", "new": "现场整体良好"}]
    assert amendment.made_by == officer and amendment.reason == "笔误"


def test_reinspection_closes_one_problem_and_the_other_goes_overdue(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01", "1.02"])
    photograph(officer, inspection, "1.01")
    photograph(officer, inspection, "1.02")
    inspection = submit(officer, inspection, days=7)
    first, second = Finding.objects.order_by("item__code")
    scope = scope_for(officer)
    services.finding_report(finding=first, actor=officer, scope=scope, note="已更换合规设施")
    services.finding_verify(finding=first, actor=officer, scope=scope, passed=True, note="复查合格")
    first.refresh_from_db()
    assert first.status == "closed" and first.verified_by == officer
    assert first.task.closed_at is None  # the other problem is still open
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        overdue = selectors.finding_list(scope=scope).filter(selectors.overdue_q())
        assert list(overdue) == [second]


def test_a_failed_reinspection_reopens_the_problem(officer, places, campaign):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    submit(officer, inspection)
    finding = Finding.objects.get()
    scope = scope_for(officer)
    services.finding_report(finding=finding, actor=officer, scope=scope, note="已整改")
    services.finding_verify(
        finding=finding, actor=officer, scope=scope, passed=False, note="仍未整改到位",
        deadline=timezone.localdate() + dt.timedelta(days=14),
    )  # fmt: skip
    finding.refresh_from_db()
    assert (finding.status, finding.reopened_count) == ("open", 1)
    services.finding_verify(finding=finding, actor=officer, scope=scope, passed=True)
    finding.refresh_from_db()
    assert finding.status == "closed" and finding.task.closed_at is not None


def test_problem_list_is_scoped_by_region_and_section(cast, places, campaign):
    for user, institution in ((cast.xiaodian, places.xiaodian), (cast.pingcheng, places.pingcheng)):
        inspection = start(user, institution)
        answer_all(user, inspection, non_compliant=["1.01", "2.22"])
        photograph(user, inspection, "1.01")
        photograph(user, inspection, "2.22")
        submit(user, inspection)
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    assert selectors.finding_list(scope=scope_for(cast.xiaodian)).count() == 2
    assert {f.task.institution for f in selectors.finding_list(scope=scope_for(cast.xiaodian))} == {
        places.xiaodian
    }
    assert [f.item.code for f in selectors.finding_list(scope=scope_for(fire))] == ["2.22"]
    assert selectors.finding_list(scope=scope_for(cast.province)).count() == 4
    with pytest.raises(PermissionDenied):
        services.finding_verify(
            finding=Finding.objects.get(task__institution=places.pingcheng, item__code="1.01"),
            actor=cast.xiaodian, scope=scope_for(cast.xiaodian), passed=True,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):  # fire rescue may not close an education problem
        services.finding_verify(
            finding=Finding.objects.get(task__institution=places.xiaodian, item__code="1.01"),
            actor=fire, scope=scope_for(fire), passed=True,
        )  # fmt: skip


def test_county_progress_counts_screened_institutions_and_the_funnel(officer, places, campaign):
    InstitutionFactory(county_id="140105")  # not yet screened
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    submit(officer, inspection)
    progress = selectors.county_progress(scope=scope_for(officer), region_prefix="140105")
    assert (progress["total"], progress["screened"], progress["found"], progress["closed"]) == (
        2,
        1,
        1,
        0,
    )


def test_the_county_dashboard_shows_screening_progress_and_deadlines(
    client, officer, places, campaign
):
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    submit(officer, inspection)
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert 'data-testid="screened">1 / 1<' in page
    assert "县级排查整改" in page and "发现问题" in page


def _jpeg(**info) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG", **info)
    return buffer.getvalue()


def test_a_joint_inspection_cannot_be_submitted_past_another_sections_problems(
    cast, officer, places, campaign
):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    # Education found a problem in section 一 of fire's record. Education answering makes
    # it education's to conclude now; a record fire leads (one made before departments
    # followed the answers) shows fire's submit still answers for every section.
    inspection = start(fire, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    Inspection.objects.filter(pk=inspection.pk).update(departments=["fire"])
    # The fire officer sees only section 二, but the record they submit is the whole record.
    with pytest.raises(ValidationError, match="检查结论不能为“合格”"):
        submit(fire, inspection, result="compliant")
    submit(fire, inspection, result="rectify")
    assert list(Finding.objects.values_list("item__code", flat=True)) == ["1.01"]


@pytest.mark.parametrize(
    ("grant", "own"),
    [
        pytest.param(("department_user", "140100", "fire"), "2.22", id="city-fire"),
        pytest.param(("county_officer", "140105", "fire"), "2.22", id="county-fire"),
        pytest.param(("department_user", "140000", "public_security"), "4.02", id="police"),
    ],
)
def test_a_department_joining_educations_inspection_saves_its_part_but_cannot_submit_it(
    cast, officer, places, campaign, grant, own
):
    user = UserFactory(grant=grant)
    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection)
    # Their own sections' answers go into the shared draft, as they type.
    inspection.refresh_from_db()
    answer_all(user, inspection, non_compliant=[own])
    photograph(user, inspection, own)
    inspection.refresh_from_db()
    before = (inspection.status, inspection.version, inspection.result, inspection.summary)
    # The conclusion and summary are education's: a submit carrying them is refused whole
    # (the public disclosure lists suspensions from them).
    with pytest.raises(PermissionDenied, match="检查结论由教育部门填写后提交"):
        services.inspection_submit(
            inspection=inspection, actor=user, scope=scope_for(user), version=inspection.version,
            result="suspend", rectify_deadline=timezone.localdate() + dt.timedelta(days=7),
            summary="已全部整改，无问题",
        )  # fmt: skip
    inspection.refresh_from_db()
    assert (inspection.status, inspection.version, inspection.result, inspection.summary) == before
    assert not RectificationTask.objects.exists() and not Finding.objects.exists()
    # Education concludes the record, the department's part in it.
    submit(officer, inspection, result="suspend")
    assert list(Finding.objects.values_list("item__code", flat=True)) == [own]
    assert Inspection.objects.get(pk=inspection.pk).result == "suspend"


def test_a_department_concludes_its_own_inspection(cast, officer, places, campaign):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    inspection = start(fire, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["2.22"])
    photograph(officer, inspection, "2.22")
    # Education answering made it education's; a record education took no part in (made
    # before departments followed the answers) is concluded by the department that made it.
    Inspection.objects.filter(pk=inspection.pk).update(departments=["fire"])
    inspection.refresh_from_db()
    services.inspection_submit(
        inspection=inspection, actor=fire, scope=scope_for(fire), version=inspection.version,
        result="suspend", rectify_deadline=timezone.localdate() + dt.timedelta(days=3),
        summary="消防通道堵塞，责令停业整改",
    )  # fmt: skip
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result, inspection.summary) == (
        "submitted", "suspend", "消防通道堵塞，责令停业整改",
    )  # fmt: skip


def test_a_fire_officer_alone_cannot_submit_with_education_items_unanswered(
    officer, places, campaign
):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    inspection = start(fire, places.xiaodian)
    answer_all(fire, inspection)  # answers only section 二
    with pytest.raises(ValidationError, match="1.01 尚未填写"):
        submit(fire, inspection, result="compliant")


def test_a_photo_arriving_after_submit_is_refused(officer, places, campaign):
    from inspections.evidence import evidence_add

    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection)
    stale_answer = inspection.answers.select_related("inspection").get(item__code="1.01")
    submit(officer, inspection, result="compliant")
    with pytest.raises(ValidationError, match="不能再添加照片"):
        evidence_add(
            answer=stale_answer,
            actor=officer,
            scope=scope_for(officer),
            data=_jpeg(),
            filename="a.jpg",
        )
    assert not Evidence.objects.exists()


def test_the_stored_photo_carries_no_comment_or_exif(officer, places, campaign):
    from PIL import Image

    from core.photos import photo_clean

    clean, _w, _h = photo_clean(_jpeg(comment=b"owner=Zhang San 13800000000"), filename="a.jpg")
    import io

    stored = Image.open(io.BytesIO(clean))
    assert "comment" not in stored.info and "exif" not in stored.info
    assert b"Zhang San" not in clean


def test_a_second_tap_on_submit_or_start_does_nothing_new(client, officer, places, campaign):
    from django.urls import reverse

    client.force_login(officer)
    first = client.post(reverse("inspections:start", args=[places.xiaodian.pk]))
    second = client.post(reverse("inspections:start", args=[places.xiaodian.pk]))
    assert first.url == second.url and Inspection.objects.count() == 1
    inspection = Inspection.objects.get()
    answer_all(officer, inspection)
    inspection.refresh_from_db()
    form = {"result": "compliant", "version": str(inspection.version)}
    assert client.post(reverse("inspections:submit", args=[inspection.pk]), form).status_code == 302
    again = client.post(reverse("inspections:submit", args=[inspection.pk]), form)
    assert again.status_code == 302 and again.url == reverse(
        "inspections:detail", args=[inspection.pk]
    )


def test_an_amendment_without_a_summary_field_leaves_the_summary(client, officer, places, campaign):
    from django.urls import reverse

    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    inspection.refresh_from_db()
    services.inspection_submit(
        inspection=inspection, actor=officer, scope=scope_for(officer), version=inspection.version,
        result="rectify", rectify_deadline=timezone.localdate(), summary="原意见",
    )  # fmt: skip
    client.force_login(officer)
    client.post(reverse("inspections:amend", args=[inspection.pk]), {"reason": "补充"})
    inspection.refresh_from_db()
    assert inspection.summary == "原意见"


def test_a_resend_after_a_lost_reply_is_accepted_but_only_from_the_same_officer(
    officer, places, campaign
):
    inspection = start(officer, places.xiaodian)
    scope = scope_for(officer)
    save = dict(inspection=inspection, actor=officer, scope=scope, version=1)  # noqa: C408
    services.inspection_save_draft(**save, answers={"1.01": {"value": "compliant"}})
    # The reply was lost: the phone still believes it is at version 1 and sends again.
    again = services.inspection_save_draft(
        **save, answers={"1.01": {"value": "compliant"}, "1.02": {"value": "na"}}
    )
    assert again.version == 3 and inspection.answers.count() == 2
    colleague = UserFactory(grant=("county_officer", "140105"))
    with pytest.raises(services.EditConflict):
        services.inspection_save_draft(
            inspection=inspection,
            actor=colleague,
            scope=scope_for(colleague),
            version=2,
            answers={},
        )


def test_a_major_hazard_alerts_the_county_and_the_city_at_once_and_only_once(
    client, cast, officer, places, campaign
):
    from django.urls import reverse

    from accounts.models import Notification

    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["2.22"])  # locked exits: a major hazard
    photograph(officer, inspection, "2.22")
    submit(officer, inspection)
    notes = Notification.objects.filter(kind="major_hazard")
    assert sorted(n.user.username for n in notes) == ["taiyuan", "xiaodian"]
    assert places.xiaodian.name in notes.first().title and "2.22" in notes.first().body
    services._alert_major_hazards(inspection, [(Finding.objects.get().item, None)])
    assert notes.count() == 2
    assert not Notification.objects.filter(user__username__in=["pingcheng", "province"]).exists()

    client.force_login(cast.taiyuan)
    assert 'data-testid="unread-count">1<' in client.get("/").content.decode()
    note = notes.get(user=cast.taiyuan)
    response = client.post(reverse("notification_read", args=[note.pk]))
    assert response.url == reverse("inspections:detail", args=[inspection.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    # Someone else's notification is a 404 and stays unread.
    other = notes.get(user=cast.xiaodian)
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_a_general_problem_alerts_nobody(officer, places, campaign):
    from accounts.models import Notification

    inspection = start(officer, places.xiaodian)
    answer_all(officer, inspection, non_compliant=["1.01"])
    photograph(officer, inspection, "1.01")
    submit(officer, inspection)
    assert not Notification.objects.exists()


# -- the department answering for a sector item -------------------------------------------


@pytest.mark.parametrize(
    ("category", "sector", "department"),
    [
        ("non_subject", "culture_art", "culture_tourism"),  # a dance school: 文化和旅游
        ("non_subject", "sports", "sports"),
        ("non_subject", "science", "science"),
        ("non_subject", "other", "education"),  # no sector department supervises it
        ("subject", "", "education"),
    ],
)
def test_risky_training_protection_goes_to_the_department_supervising_the_sector(
    cast, campaign, category, sector, department
):
    """1.13–1.15 name "sports" in the checklist for every risky institution; the problem is
    the supervising department's (the institution's sector), else education's."""
    school = InstitutionFactory(county_id="140105", category=category, sector=sector,
                                is_risky=True)  # fmt: skip
    officer = cast.xiaodian
    inspection = start(officer, school)
    answer_all(officer, inspection, non_compliant=("1.13", "1.14", "2.22"))
    for code in ("1.13", "1.14", "2.22"):
        photograph(officer, inspection, code)
    submit(officer, inspection)
    # A correction adds 1.15 to the same department's task.
    amendments.inspection_amend(
        inspection=inspection, actor=officer, scope=scope_for(officer), reason="复核",
        values={"1.15": "non_compliant"},
    )  # fmt: skip
    tasks = {
        t.department: sorted(t.findings.values_list("item__code", flat=True))
        for t in inspection.tasks.all()
    }
    assert tasks == {department: ["1.13", "1.14", "1.15"], "fire": ["2.22"]}
    # The supervising department finds it under its own name; another sector's does not see it.
    own = UserFactory(grant=("department_user", "140100", department))
    listed = selectors.finding_list(scope=scope_for(own)).filter(task__department=department)
    assert sorted(listed.values_list("item__code", flat=True)) == ["1.13", "1.14", "1.15"]
    if department != "sports":
        sports = UserFactory(grant=("department_user", "140100", "sports"))
        assert not selectors.finding_list(scope=scope_for(sports)).exists()
