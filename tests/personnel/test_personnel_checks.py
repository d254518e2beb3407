"""Check batches, results and who may read them, dismissals, compliance, ledger and API."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import Scope
from campaign.services import campaign_seed_2023
from personnel import selectors, services
from personnel.models import BackgroundCheck, CheckBatch, Dismissal, StaffMember
from tests import pdfs
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory, scanning, unmasked_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(client):
    yield from scanning(client)


PDF = pdfs.plain()


def scope(user):
    return Scope.for_user(user)


def police():
    from accounts.models import User

    return User.objects.filter(username="police").first() or UserFactory(
        username="police", grant=("department_user", "140000", "public_security")
    )


def batch(user, institution, n=3):
    for _ in range(n):
        StaffFactory(institution=institution)
    return services.batch_create(
        actor=user, scope=scope(user), basis="institution", institution=institution
    )


def result(outcome="clear", category="", reference="XD-1"):
    return {"outcome": outcome, "category": category, "checked_on": timezone.localdate(),
            "reference": reference, "checked_by": "小店分局"}  # fmt: skip


def test_a_batch_lists_current_staff_not_already_pending(cast, places):
    StaffFactory(institution=places.xiaodian, employed_until=dt.date(2020, 1, 1))
    first = batch(cast.xiaodian, places.xiaodian, 3)
    assert first.checks.count() == 3 and first.number.startswith("PC")
    with pytest.raises(ValidationError, match="没有需要查询的在职人员"):
        services.batch_create(
            actor=cast.xiaodian, scope=scope(cast.xiaodian), basis="institution",
            institution=places.xiaodian,
        )  # fmt: skip


def test_a_stale_batch_takes_the_never_checked_and_the_long_ago_checked(cast, places):
    old = batch(cast.xiaodian, places.xiaodian, 2)
    first, second = old.checks.order_by("id")
    officer = police()
    services.check_record_result(check=first, actor=officer, scope=scope(officer), result=result())
    late = result(reference="XD-2")
    late["checked_on"] = timezone.localdate() - dt.timedelta(days=400)
    services.check_record_result(check=second, actor=officer, scope=scope(officer), result=late)
    newcomer = StaffFactory(institution=places.xiaodian)
    stale = services.batch_create(
        actor=cast.xiaodian, scope=scope(cast.xiaodian), basis="stale",
        region=places.xiaodian.county, stale_months=12,
    )  # fmt: skip
    assert {c.staff for c in stale.checks.all()} == {second.staff, newcomer}


def test_a_batch_cannot_be_made_outside_the_scope(cast, places):
    StaffFactory(institution=places.pingcheng)
    with pytest.raises(PermissionDenied):
        services.batch_create(
            actor=cast.xiaodian, scope=scope(cast.xiaodian), basis="institution",
            institution=places.pingcheng,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.batch_create(actor=cast.taiyuan, scope=scope(cast.taiyuan), basis="region",
                              region=places.xiaodian.county)  # fmt: skip
    assert not CheckBatch.objects.exists()


def test_a_record_needs_a_category_and_never_stores_text(cast, places):
    check = batch(cast.xiaodian, places.xiaodian, 1).checks.get()
    officer = police()
    with pytest.raises(ValidationError) as caught:
        services.check_record_result(
            check=check, actor=officer, scope=scope(officer), result=result("record")
        )
    assert "不得从业情形" in str(caught.value)
    check.refresh_from_db()
    assert check.status == "pending" and not Dismissal.objects.exists()
    dismissal = services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "abuse")
    )
    assert dismissal.institution == places.xiaodian and dismissal.status == "open"
    assert {f.name for f in BackgroundCheck._meta.fields} >= {"category"}
    assert not any(f.name in ("record_text", "details") for f in BackgroundCheck._meta.fields)
    with pytest.raises(ValidationError, match="不能重复录入"):
        services.check_record_result(
            check=check, actor=officer, scope=scope(officer), result=result()
        )


def test_only_education_and_public_security_read_results(cast, places, regions):
    check = batch(cast.xiaodian, places.xiaodian, 1).checks.get()
    officer = police()
    services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "drugs")
    )
    fire_city = UserFactory(grant=("city_staff", "140100", "fire"))
    assert selectors.check_results(scope=scope(cast.xiaodian)).count() == 1
    assert selectors.check_results(scope=scope(officer)).count() == 1
    assert selectors.check_results(scope=scope(fire_city)).count() == 0
    assert selectors.check_list(scope=scope(fire_city)).count() == 1  # checked / not checked
    assert selectors.dismissal_list(scope=scope(fire_city)).count() == 0


def test_the_api_masks_numbers_and_hides_results_from_other_departments(scanned, cast, places):
    check = batch(cast.xiaodian, places.xiaodian, 1).checks.get()
    officer = police()
    services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "drugs")
    )
    scanned.force_login(cast.xiaodian)
    row = scanned.get(reverse("api:background-check-list")).json()["results"][0]
    assert row["outcome"] == "record" and row["category"] == "drugs"
    assert row["id_number"] == check.staff.id_masked
    fire_city = UserFactory(grant=("city_staff", "140100", "fire"))
    scanned.force_login(fire_city)
    row = scanned.get(reverse("api:background-check-list")).json()["results"][0]
    assert row["status"] == "done" and row["outcome"] is None and row["category"] is None
    page = scanned.get(reverse("personnel:batch", args=[check.batch_id])).content.decode()
    assert "已查询" in page and "有犯罪记录" not in page
    staff = scanned.get(reverse("api:staff-list")).json()["results"][0]
    assert staff["checked"] is True and staff["id_number"] == check.staff.id_masked
    scanned.force_login(cast.pingcheng)
    assert scanned.get(reverse("api:background-check-detail", args=[check.pk])).status_code == 404


def test_the_batch_sheet_is_masked_and_the_full_one_is_audited(scanned, cast, places):
    b = batch(cast.xiaodian, places.xiaodian, 3)
    scanned.force_login(cast.xiaodian)
    masked = scanned.get(reverse("personnel:batch_export", args=[b.pk]))
    sheet = load_workbook(io.BytesIO(masked.content)).active
    assert sheet["A3"].value.startswith("C") and "********" in sheet["D3"].value
    assert (
        scanned.post(
            reverse("personnel:batch_export_full", args=[b.pk]), {"reason": "送公安查询"}
        ).status_code
        == 403
    )
    officer = police()
    scanned.force_login(officer)
    refused = scanned.post(reverse("personnel:batch_export_full", args=[b.pk]), {"reason": ""})
    assert refused.status_code == 400 and not AuditEvent.objects.filter(kind="reveal").exists()
    full = scanned.post(
        reverse("personnel:batch_export_full", args=[b.pk]), {"reason": "开展犯罪记录查询"}
    )
    assert len(unmasked_ids(full.content)) == 3 and full["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(kind="reveal")
    assert sorted(event.detail["staff"]) == sorted(b.checks.values_list("staff_id", flat=True))


def test_a_result_entered_by_hand_opens_a_dismissal_that_closes_with_date_and_evidence(
    scanned, cast, places
):
    b = batch(cast.xiaodian, places.xiaodian, 1)
    check = b.checks.get()
    scanned.force_login(cast.taiyuan)  # city staff: no right to record
    assert scanned.get(reverse("personnel:result", args=[check.pk])).status_code == 403
    officer = police()
    scanned.force_login(officer)
    data = {"checked_on": timezone.localdate().isoformat(), "reference": "XD-9",
            "outcome": "record", "category": "", "checked_by": "小店分局"}  # fmt: skip
    assert scanned.post(reverse("personnel:result", args=[check.pk]), data).status_code == 200
    data["category"] = "violent_injury"
    assert scanned.post(reverse("personnel:result", args=[check.pk]), data).status_code == 302
    dismissal = Dismissal.objects.get()
    scanned.force_login(cast.xiaodian)
    url = reverse("personnel:dismissal_close", args=[dismissal.pk])
    response = scanned.post(url, {"employment_end": ""})
    assert response.status_code == 400 and "请填写解除聘用日期" in response.content.decode()
    fake = SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>")
    response = scanned.post(
        url, {"employment_end": timezone.localdate().isoformat(), "evidence": fake}
    )
    assert response.status_code == 400 and "PDF、JPG 或 PNG" in response.content.decode()
    dismissal.refresh_from_db()
    assert dismissal.status == "open"
    scanned.force_login(cast.pingcheng)
    assert scanned.post(url, {}).status_code == 404
    scanned.force_login(cast.xiaodian)
    evidence = SimpleUploadedFile("解除通知.pdf", PDF)
    response = scanned.post(
        url, {"employment_end": timezone.localdate().isoformat(), "evidence": evidence}
    )
    assert response.status_code == 302
    dismissal.refresh_from_db()
    assert dismissal.status == "closed" and dismissal.closed_by == cast.xiaodian
    assert StaffMember.objects.get().employed_until == timezone.localdate()
    got = scanned.get(reverse("personnel:dismissal_evidence", args=[dismissal.pk]))
    assert got.content == PDF and got["Content-Type"] == "application/pdf"
    scanned.force_login(cast.pingcheng)
    assert (
        scanned.get(reverse("personnel:dismissal_evidence", args=[dismissal.pk])).status_code == 404
    )


def test_compliance_shows_unchecked_staff_and_the_accountability_flag(scanned, cast, places):
    campaign = campaign_seed_2023(province_code="140000")[0]
    campaign.phases.filter(kind="county_screening").update(
        deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    b = batch(cast.xiaodian, places.xiaodian, 2)
    unchecked = StaffFactory(institution=places.xiaodian, name="未查询的人")
    officer = police()
    for check in b.checks.all():
        services.check_record_result(
            check=check, actor=officer, scope=scope(officer), result=result()
        )
    compliance = selectors.institution_compliance(
        scope=scope(cast.xiaodian), institution=places.xiaodian
    )
    assert (compliance.current, compliance.checked, compliance.percent) == (3, 2, 67)
    assert compliance.unchecked == [unchecked] and compliance.accountable
    scanned.force_login(cast.xiaodian)
    page = scanned.get(reverse("institutions:detail", args=[places.xiaodian.pk])).content.decode()
    assert "未查询的人" in page and "67%" in page and "应予追责" in page


def test_an_overdue_dismissal_makes_the_institution_accountable(cast, places):
    check = batch(cast.xiaodian, places.xiaodian, 1).checks.get()
    officer = police()
    services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "affray")
    )
    Dismissal.objects.update(deadline=timezone.localdate() - dt.timedelta(days=1))
    compliance = selectors.institution_compliance(
        scope=scope(cast.xiaodian), institution=places.xiaodian
    )
    assert compliance.accountable and "清退任务逾期未办结" in compliance.reasons
    fire_city = UserFactory(grant=("city_staff", "140100", "fire"))
    hidden = selectors.institution_compliance(scope=scope(fire_city), institution=places.xiaodian)
    assert not hidden.accountable and hidden.checked == 1


def test_the_ledger_is_masked_and_shows_results_only_to_who_may_read_them(scanned, cast, places):
    check = batch(cast.xiaodian, places.xiaodian, 1).checks.get()
    officer = police()
    services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "drugs")
    )
    scanned.force_login(cast.xiaodian)
    sheet = load_workbook(io.BytesIO(scanned.get(reverse("personnel:export")).content)).active
    header = [c.value for c in sheet[2]]
    row = dict(zip(header, [c.value for c in sheet[3]], strict=True))
    assert row["身份证号"] == check.staff.id_masked and row["查询结果"] == "有犯罪记录"
    assert row["清退状态"] == "待清退"
    fire_city = UserFactory(grant=("city_staff", "140100", "fire"))
    scanned.force_login(fire_city)
    sheet = load_workbook(io.BytesIO(scanned.get(reverse("personnel:export")).content)).active
    row = dict(zip(header, [c.value for c in sheet[3]], strict=True))
    assert row["是否已查询"] == "已查询" and row["查询结果"] in ("", None)


def test_the_batch_pages_answer_in_scope(scanned, cast, places):
    b = batch(cast.pingcheng, places.pingcheng, 1)
    scanned.force_login(cast.xiaodian)
    assert scanned.get(reverse("personnel:batch", args=[b.pk])).status_code == 404
    assert scanned.get(reverse("personnel:batches")).status_code == 200
    response = scanned.post(
        reverse("personnel:batch_create"), {"basis": "region", "region": "140213"}
    )
    assert response.status_code in (403, 200) and CheckBatch.objects.count() == 1
    scanned.force_login(cast.pingcheng)
    page = scanned.get(reverse("personnel:batch", args=[b.pk])).content.decode()
    assert b.number in page
    response = scanned.post(
        reverse("personnel:batch_create"),
        {"basis": "stale", "region": "140213", "stale_months": "12"},
    )
    assert response.status_code == 200 and "没有需要查询的在职人员" in response.content.decode()


# -- what other departments learn, and the dismissal's evidence ------------------------


def disqualified(cast, institution, category="sexual_assault"):
    """One staff member of `institution`, found disqualified; the dismissal closed."""
    check = batch(cast.xiaodian, institution, 1).checks.get()
    officer = police()
    dismissal = services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", category)
    )
    return services.dismissal_close(
        dismissal=dismissal, actor=cast.xiaodian, scope=scope(cast.xiaodian),
        employment_end=timezone.localdate(), evidence_name="解除通知.pdf", evidence=PDF,
    )  # fmt: skip


def test_fire_and_sports_users_never_learn_of_a_record_or_a_dismissal(scanned, cast, places):
    from tests.factories import InstitutionFactory

    sports_place = InstitutionFactory(
        name="小店区飞跃篮球俱乐部", county_id="140105", sector="sports"
    )
    dismissals = [disqualified(cast, places.xiaodian), disqualified(cast, sports_place, "drugs")]
    for dismissal in dismissals:
        reasons = set(dismissal.staff.history.values_list("history_change_reason", flat=True))
        assert "清退" not in reasons and "修改人员信息" in reasons
    fire_city = UserFactory(grant=("city_staff", "140100", "fire"))
    sports = UserFactory(grant=("county_officer", "140105", "sports"))
    telling = ["清退", "有犯罪记录", "性侵害", "吸毒、贩毒", "sexual_assault", "drugs", "XD-1"]
    for user, dismissal in ((fire_city, dismissals[0]), (sports, dismissals[1])):
        scanned.force_login(user)
        staff = dismissal.staff
        pages = {
            "detail": reverse("personnel:detail", args=[staff.pk]),
            "list": reverse("personnel:list"),
            "institution": reverse("institutions:detail", args=[staff.institution_id]),
            "api staff": reverse("api:staff-list"),
            "api one": reverse("api:staff-detail", args=[staff.pk]),
            "api checks": reverse("api:background-check-list"),
        }
        for what, url in pages.items():
            response = scanned.get(url)
            assert response.status_code == 200, (user, what)
            body = response.content.decode()
            assert staff.name in body or what in ("institution", "api checks"), (user, what)
            found = [word for word in telling if word in body]
            assert not found, (user.username, what, found)
    # Education in the county still sees the dismissal and why the record changed.
    scanned.force_login(cast.xiaodian)
    page = scanned.get(reverse("personnel:detail", args=[dismissals[0].staff_id])).content.decode()
    assert "清退任务" in page and "修改人员信息" in page


def jpeg_with_gps() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    exif[0x8825] = {1: "N", 2: (37.0, 51.0, 30.0), 3: "E", 4: (112.0, 33.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def open_dismissal(cast, institution):
    check = batch(cast.xiaodian, institution, 1).checks.get()
    officer = police()
    return services.check_record_result(
        check=check, actor=officer, scope=scope(officer), result=result("record", "abuse")
    )


def close(cast, dismissal, data, name):
    return services.dismissal_close(
        dismissal=dismissal, actor=cast.xiaodian, scope=scope(cast.xiaodian),
        employment_end=timezone.localdate(), evidence_name=name, evidence=data,
    )  # fmt: skip


def test_a_photo_as_evidence_loses_its_exif_and_gps(cast, places):
    from PIL import Image

    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    closed = close(cast, open_dismissal(cast, places.xiaodian), original, "通知.png")
    with closed.evidence.open("rb") as handle:
        stored = handle.read()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert closed.evidence.name.endswith(".jpg") and closed.evidence_name == "通知.jpg"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (pdfs.open_action_in_object_stream, "含有脚本或自动执行的动作"),
        (pdfs.open_action_behind_literal_obj, "含有脚本或自动执行的动作"),
        (pdfs.launch_action, "含有脚本或自动执行的动作"),
        (pdfs.embedded_file, "含有嵌入的文件"),
    ],
    ids=["object-stream", "literal-obj", "launch", "embedded-file"],
)
def test_a_pdf_that_can_run_code_or_carry_files_is_refused(cast, places, make, message):
    dismissal = open_dismissal(cast, places.xiaodian)
    with pytest.raises(ValidationError) as caught:
        close(cast, dismissal, make(), "通知.pdf")
    assert message in str(caught.value)
    dismissal.refresh_from_db()
    assert dismissal.status == "open" and not dismissal.evidence


def test_a_plain_pdf_with_an_object_stream_is_accepted(cast, places):
    closed = close(cast, open_dismissal(cast, places.xiaodian), pdfs.plain(), "通知.pdf")
    assert closed.status == "closed" and closed.evidence.name.endswith(".pdf")


def test_evidence_is_a_sandboxed_download(scanned, cast, places):
    closed = close(cast, open_dismissal(cast, places.xiaodian), PDF, "解除通知.pdf")
    scanned.force_login(cast.xiaodian)
    got = scanned.get(reverse("personnel:dismissal_evidence", args=[closed.pk]))
    assert got.status_code == 200 and got.content == PDF
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["Content-Security-Policy"] == "sandbox"
    assert got["X-Content-Type-Options"] == "nosniff"


# -- the staff panel on the institution page -------------------------------------------


def test_a_drawn_inspector_from_another_county_sees_no_staff_names(client, cast, places):
    from core.models import Region
    from sampling import services as sampling
    from sampling.models import Assignment
    from tests.factories import InstitutionFactory
    from tests.inspections.test_problems import seed_campaign
    from tests.sampling.test_sampling import confirm, preview, with_pool

    campaign = seed_campaign()
    frame = []
    for code, n in {"140105": 15, "140106": 10, "140107": 8, "140108": 4}.items():
        frame += InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    round_ = sampling.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    yingze, *_ = with_pool(
        round_,
        cast.taiyuan,
        [("140106", "education"), ("140109", "fire"), ("140110", "education"),
         ("140110", "culture_tourism"), ("140110", "science")],
    )  # fmt: skip
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="8"))
    mine = set(
        Assignment.objects.filter(draw=draw, inspectors=yingze).values_list(
            "institution_id", flat=True
        )
    )
    assigned = next(i for i in frame if i.county_id != "140106" and i.pk in mine)
    StaffFactory(institution=assigned, name="外县未查询员工")
    home = next(i for i in frame if i.county_id == "140106")
    StaffFactory(institution=home, name="本县未查询员工")
    client.force_login(yingze)
    page = client.get(reverse("institutions:detail", args=[assigned.pk]))
    assert page.status_code == 200  # the assignment opens the institution...
    body = page.content.decode()
    assert (
        "外县未查询员工" not in body and 'data-testid="unchecked"' not in body
    )  # ...not its staff
    assert 'data-testid="staff-compliance"' not in body and "无权查看" in body
    # In their own county the panel lists who is still unchecked.
    assert (
        "本县未查询员工"
        in client.get(reverse("institutions:detail", args=[home.pk])).content.decode()
    )
