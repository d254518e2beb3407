"""The on-site inspection pages: start, autosave, photos, submit, amend — and who may not."""

import datetime as dt
import io
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.scope import scope_for
from campaign.services import campaign_seed_2023
from inspections import services
from inspections.models import Amendment, Answer, Evidence, Finding, Inspection
from tests.factories import UserFactory

GPS_IFD = 0x8825


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


@pytest.fixture
def inspection(cast, places, campaign):
    officer = cast.xiaodian
    return services.inspection_start(
        institution=places.xiaodian, actor=officer, scope=scope_for(officer)
    )


@pytest.fixture
def officer_client(client, cast):
    client.force_login(cast.xiaodian)
    return client


def jpeg(size=(800, 600), *, gps=True, colour=(200, 60, 60)) -> bytes:
    """A JPEG as a phone makes it: with a camera make and, by default, a GPS position."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (37.0, 51.0, 30.0), 3: "E", 4: (112.0, 33.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that only claims its size: enough for Pillow to see a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def save(client, inspection, answers, *, version=None, **extra):
    body = {"version": inspection.version if version is None else version, "answers": answers}
    return client.post(
        reverse("inspections:save", args=[inspection.pk]),
        data=json.dumps({**body, **extra}),
        content_type="application/json",
    )


def upload(client, inspection, code, data, name="photo.jpg"):
    return client.post(
        reverse("inspections:photo_upload", args=[inspection.pk, code]),
        {"photo": SimpleUploadedFile(name, data, "image/jpeg"), "taken_at": "2023-11-20T10:00:00+08:00"},
    )  # fmt: skip


def answer_everything(user, inspection, *, non_compliant=()):
    scope = scope_for(user)
    answers = {}
    for item in services.applicable_items(inspection=inspection, scope=scope):
        if item.answer_type == "compliance":
            bad = item.code in non_compliant
            answers[item.code] = {
                "value": "non_compliant" if bad else "compliant",
                "note": "现场发现问题" if bad else "",
            }
        elif item.answer_type == "number":
            answers[item.code] = {"number": "5.5"}  # inside every 2023 limit
    inspection.refresh_from_db()
    return services.inspection_save_draft(
        inspection=inspection, actor=user, scope=scope, version=inspection.version, answers=answers
    )


# -- start ---------------------------------------------------------------------------------


def test_an_officer_starts_an_inspection_and_lands_on_the_phone_form(
    officer_client, places, campaign
):
    response = officer_client.post(
        reverse("inspections:start", args=[places.xiaodian.pk]), {"has_kitchen": "on"}
    )
    inspection = Inspection.objects.get()
    assert response.url == reverse("inspections:detail", args=[inspection.pk])
    assert inspection.has_kitchen and not inspection.has_dormitory
    page = officer_client.get(response.url)
    assert page.templates[0].name == "inspections/form.html"
    body = page.content.decode()
    assert "本节全部合规" in body and 'capture="environment"' in body
    assert 'data-code="2.14"' in body  # a kitchen item, there because the kitchen box was ticked
    assert "<script>" not in body  # behaviour lives in static/js, not inline


def test_the_institution_page_offers_start_and_lists_its_inspections(
    client, cast, places, inspection
):
    client.force_login(cast.xiaodian)
    body = client.get(reverse("institutions:detail", args=[places.xiaodian.pk])).content.decode()
    assert reverse("inspections:start", args=[places.xiaodian.pk]) in body
    assert reverse("inspections:detail", args=[inspection.pk]) in body
    client.force_login(cast.admin)  # reads inspections, does not carry them out
    body = client.get(reverse("institutions:detail", args=[places.xiaodian.pk])).content.decode()
    assert reverse("inspections:start", args=[places.xiaodian.pk]) not in body
    assert reverse("inspections:detail", args=[inspection.pk]) in body


def test_starting_out_of_scope_is_404_and_a_wrong_role_is_403(client, cast, places, campaign):
    url = reverse("inspections:start", args=[places.pingcheng.pk])
    for member, status in [("xiaodian", 404), ("taiyuan", 404), ("auditor", 403), ("admin", 403)]:
        client.force_login(getattr(cast, member))
        assert client.post(url).status_code == status, member
    assert not Inspection.objects.exists()


def test_starting_without_an_active_campaign_explains_why(officer_client, places, regions):
    response = officer_client.post(
        reverse("inspections:start", args=[places.xiaodian.pk]), follow=True
    )
    assert "尚未设立进行中的专项行动" in response.content.decode()
    assert not Inspection.objects.exists()


# -- autosave ------------------------------------------------------------------------------


def test_autosave_stores_answers_location_and_returns_the_new_version(officer_client, inspection):
    response = save(
        officer_client, inspection,
        {"1.01": {"value": "non_compliant", "note": "场地面积不足"}, "2.08": {"number": "2.5"}},
        latitude=37.857014, longitude=112.549248, has_dormitory=True,
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["version"] == 2
    inspection.refresh_from_db()
    assert inspection.version == 2 and inspection.has_dormitory
    assert str(inspection.latitude) == "37.857014"
    answer = inspection.answers.get(item__code="1.01")
    assert (answer.value, answer.note) == ("non_compliant", "场地面积不足")
    assert answer.answered_at is not None
    assert str(inspection.answers.get(item__code="2.08").number) == "2.50"


def test_a_stale_version_is_refused_with_409_in_chinese_and_nothing_changes(
    officer_client, inspection
):
    # A colleague saves first; this officer's page still holds version 1. (The same
    # officer resending version 1 is a lost reply and is accepted: see test_inspections.)
    colleague = UserFactory(grant=("county_officer", "140105"))
    services.inspection_save_draft(
        inspection=inspection, actor=colleague, scope=scope_for(colleague), version=1,
        answers={"1.01": {"value": "compliant"}},
    )  # fmt: skip
    response = save(officer_client, inspection, {"1.01": {"value": "na"}}, version=1)
    assert response.status_code == 409
    assert response.json()["conflict"] is True
    assert "您的修改未保存" in response.json()["error"]
    assert inspection.answers.get(item__code="1.01").value == "compliant"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "格式不正确"),
        ('["a list"]', "格式不正确"),
        ('{"answers": {}}', "版本号"),
        ('{"version": 1, "answers": {"9.99": {"value": "compliant"}}}', "9.99 不适用"),
        ('{"version": 1, "answers": {"1.01": {"value": "maybe"}}}', "不是有效的检查结果"),
        ('{"version": 1, "answers": {"2.08": {"number": "NaN"}}}', "2.08 的数值不正确"),
        ('{"version": 1, "answers": {"2.08": {"number": "1e20"}}}', "2.08 的数值不正确"),
        ('{"version": 1, "answers": {"1.01": "compliant"}}', "格式不正确"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(
    officer_client, inspection, body, message
):
    response = officer_client.post(
        reverse("inspections:save", args=[inspection.pk]),
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    inspection.refresh_from_db()
    assert inspection.version == 1 and not inspection.answers.exists()


def test_saving_another_countys_inspection_is_404_and_a_wrong_role_403(client, cast, inspection):
    client.force_login(cast.pingcheng)
    assert save(client, inspection, {"1.01": {"value": "na"}}).status_code == 404
    for member in ("auditor", "admin", "outsider"):
        client.force_login(getattr(cast, member))
        assert save(client, inspection, {"1.01": {"value": "na"}}).status_code == 403
    inspection.refresh_from_db()
    assert inspection.version == 1 and not inspection.answers.exists()


# -- photos --------------------------------------------------------------------------------


def test_a_photo_is_stored_as_a_clean_jpeg_without_exif_or_gps(officer_client, inspection):
    original = jpeg((3000, 2000))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the phone's position
    response = upload(officer_client, inspection, "1.01", original)
    assert response.status_code == 201
    photo = Evidence.objects.get()
    assert response.json()["url"] == reverse("inspections:photo", args=[photo.pk])
    assert photo.answer.item.code == "1.01" and photo.taken_at is not None
    with photo.image.open("rb") as handle:
        stored = handle.read()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and max(image.size) == 2000
    assert (photo.width, photo.height) == (2000, 1333)
    assert not image.getexif() and "exif" not in image.info
    assert b"TestPhone" not in stored
    import hashlib

    assert photo.sha256 == hashlib.sha256(stored).hexdigest()


def test_the_same_photo_twice_is_stored_once(officer_client, inspection):
    data = jpeg()
    assert upload(officer_client, inspection, "1.01", data).status_code == 201
    assert upload(officer_client, inspection, "1.01", data).status_code == 200
    assert Evidence.objects.count() == 1


def test_png_and_webp_photos_are_accepted_and_stored_as_jpeg(officer_client, inspection):
    for kind, colour in (("PNG", (10, 10, 200)), ("WEBP", (10, 200, 10))):
        out = io.BytesIO()
        Image.new("RGBA", (300, 200), (*colour, 128)).save(out, kind)
        assert upload(officer_client, inspection, "1.02", out.getvalue()).status_code == 201
    assert Evidence.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "不是有效的照片",
        ),
        (b"<html><body>not a photo</body></html>", "不是有效的照片"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "不是有效的照片"),  # a JPEG in name only
        (png_header(8000, 6000), "像素过大"),  # 48 megapixels: over our own limit
        (png_header(15000, 10000), "像素过大"),  # 150 MP: Pillow's own bomb warning
        (png_header(30000, 30000), "像素过大"),  # 900 MP: Pillow's bomb error
        (b"\xff" * (15 * 1024 * 1024 + 1), "超过 15 MB"),
    ],
    ids=["svg", "html", "broken-jpeg", "48mp", "bomb-warning", "bomb-error", "oversized"],
)
def test_what_is_not_a_real_photo_is_refused_in_chinese_and_nothing_stored(
    officer_client, inspection, data, message
):
    response = upload(officer_client, inspection, "1.01", data)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Evidence.objects.exists()


def test_photos_for_an_unknown_item_or_without_a_file_are_refused(officer_client, inspection):
    response = upload(officer_client, inspection, "9.99", jpeg())
    assert response.status_code == 400 and "不适用" in response.json()["error"]
    response = officer_client.post(
        reverse("inspections:photo_upload", args=[inspection.pk, "1.01"])
    )
    assert response.status_code == 400 and "请选择" in response.json()["error"]
    assert not Evidence.objects.exists()


def test_a_submitted_inspection_accepts_no_more_photos(officer_client, cast, inspection):
    answer_everything(cast.xiaodian, inspection)
    inspection.refresh_from_db()
    services.inspection_submit(
        inspection=inspection, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        version=inspection.version, result="compliant", rectify_deadline=None,
    )  # fmt: skip
    response = upload(officer_client, inspection, "1.01", jpeg())
    assert response.status_code == 400 and "已提交" in response.json()["error"]
    assert not Evidence.objects.exists()


def test_uploading_to_another_countys_inspection_is_404_and_stores_nothing(
    client, cast, inspection
):
    client.force_login(cast.pingcheng)
    assert upload(client, inspection, "1.01", jpeg()).status_code == 404
    client.force_login(cast.auditor)
    assert upload(client, inspection, "1.01", jpeg()).status_code == 403
    assert not Evidence.objects.exists() and not Answer.objects.exists()


def test_photos_are_served_only_through_the_scoped_view(client, cast, inspection):
    client.force_login(cast.xiaodian)
    upload(client, inspection, "1.01", jpeg())
    url = reverse("inspections:photo", args=[Evidence.objects.get().pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    for member, status in [
        ("pingcheng", 404),
        ("taiyuan", 200),
        ("province", 200),
        ("auditor", 403),
    ]:
        client.force_login(getattr(cast, member))
        assert client.get(url).status_code == status, member
    # A fire officer of 小店区 owns section 二 only: a section 一 photo is not theirs.
    from tests.factories import UserFactory

    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    client.force_login(fire)
    assert client.get(url).status_code == 404


# -- submit and the read-only record -------------------------------------------------------


def test_submit_errors_are_shown_in_chinese_on_the_form_and_the_draft_stays(
    officer_client, inspection
):
    response = officer_client.post(
        reverse("inspections:submit", args=[inspection.pk]),
        {"result": "compliant", "version": inspection.version, "summary": "初查"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "未能提交" in body and "1.01 尚未填写" in body
    assert "初查" in body  # what was typed stays in the form
    inspection.refresh_from_db()
    assert inspection.status == "draft"


def test_submit_with_a_bad_date_or_a_stale_version_is_refused(officer_client, cast, inspection):
    answer_everything(cast.xiaodian, inspection)
    url = reverse("inspections:submit", args=[inspection.pk])
    response = officer_client.post(
        url, {"result": "compliant", "version": 1, "rectify_deadline": "明天"}
    )
    assert "整改期限格式不正确" in response.content.decode()
    response = officer_client.post(url, {"result": "compliant", "version": 1})
    assert response.status_code == 400 and "已被修改或提交" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "draft"


def test_an_officer_submits_and_sees_the_read_only_record(officer_client, cast, inspection):
    answer_everything(cast.xiaodian, inspection, non_compliant=["1.01"])
    assert upload(officer_client, inspection, "1.01", jpeg()).status_code == 201
    inspection.refresh_from_db()
    deadline = timezone.localdate() + dt.timedelta(days=10)
    response = officer_client.post(
        reverse("inspections:submit", args=[inspection.pk]),
        {"result": "rectify", "rectify_deadline": deadline.isoformat(),
         "summary": "消防通道堵塞", "version": inspection.version},
    )  # fmt: skip
    assert response.url == reverse("inspections:detail", args=[inspection.pk])
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result, inspection.rectify_deadline) == (
        "submitted", "rectify", deadline,
    )  # fmt: skip
    assert Finding.objects.get().item.code == "1.01"
    page = officer_client.get(response.url)
    assert page.templates[0].name == "inspections/inspection_detail.html"
    body = page.content.decode()
    assert "限期整改" in body and deadline.isoformat() in body and "现场发现问题" in body
    assert f"/inspections/{inspection.pk}/notice/" in body
    assert reverse("inspections:photo", args=[Evidence.objects.get().pk]) in body
    assert "本节全部合规" not in body


def test_a_draft_reads_only_for_a_user_who_may_not_change_it(client, cast, inspection):
    client.force_login(cast.admin)
    page = client.get(reverse("inspections:detail", args=[inspection.pk]))
    assert page.templates[0].name == "inspections/inspection_detail.html"
    assert "填写中" in page.content.decode()


def test_a_department_fills_its_part_of_educations_draft_and_leaves_the_conclusion(
    client, cast, places, campaign, inspection
):
    from tests.reporting.test_disclosure import public_page, publish

    publish(cast.province, campaign)
    answer_everything(cast.xiaodian, inspection)
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    url = reverse("inspections:detail", args=[inspection.pk])
    page = client.get(url).content.decode()
    # Their own section, autosaved; no conclusion, summary or submit button, and why.
    assert 'data-testid="section-二"' in page and 'data-testid="section-一"' not in page
    assert 'name="result"' not in page and 'name="summary"' not in page
    assert 'data-testid="submit-inspection"' not in page
    assert "检查结论由教育部门填写后提交" in page
    # Autosave (and the offline queue behind it) carries answers only: the rest is ignored.
    response = save(
        client, inspection, {"2.22": {"value": "non_compliant", "note": "消防通道堵塞"}},
        result="suspend", summary="责令停业", status="submitted",
    )  # fmt: skip
    assert response.status_code == 200
    # Nor does the API write an inspection.
    api = reverse("api:inspection-detail", args=[inspection.pk])
    for method in (client.patch, client.put):
        response = method(api, {"result": "suspend"}, content_type="application/json")
        assert response.status_code == 405
    inspection.refresh_from_db()
    submit_url = reverse("inspections:submit", args=[inspection.pk])
    deadline = timezone.localdate() + dt.timedelta(days=7)
    submit = {"result": "suspend", "summary": "责令停业", "version": inspection.version,
              "rectify_deadline": deadline.isoformat()}  # fmt: skip
    assert client.post(submit_url, submit).status_code == 403
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result, inspection.summary) == ("draft", "", "")
    assert inspection.answers.get(item__code="2.22").note == "消防通道堵塞"
    assert places.xiaodian.name not in public_page(client, campaign)
    # Education's form offers the conclusion, and its submit is what the public page shows.
    client.force_login(cast.xiaodian)
    page = client.get(url).content.decode()
    assert 'name="result"' in page and 'name="summary"' in page
    assert "检查结论由教育部门填写后提交" not in page
    upload(client, inspection, "2.22", jpeg())
    inspection.refresh_from_db()
    submit["version"] = inspection.version
    assert client.post(submit_url, submit).status_code == 302
    assert places.xiaodian.name in public_page(client, campaign)


def test_a_departments_own_draft_offers_it_the_conclusion(client, places, campaign):
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    own = services.inspection_start(institution=places.xiaodian, actor=fire, scope=scope_for(fire))
    client.force_login(fire)
    page = client.get(reverse("inspections:detail", args=[own.pk])).content.decode()
    assert 'name="result"' in page and 'name="summary"' in page
    assert 'data-testid="submit-inspection"' in page


# -- amend ---------------------------------------------------------------------------------


@pytest.fixture
def submitted(cast, inspection):
    answer_everything(cast.xiaodian, inspection)
    inspection.refresh_from_db()
    return services.inspection_submit(
        inspection=inspection, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        version=inspection.version, result="compliant", rectify_deadline=None, summary="良好",
    )  # fmt: skip


def test_an_amendment_keeps_who_why_and_both_texts(officer_client, submitted):
    url = reverse("inspections:amend", args=[submitted.pk])
    response = officer_client.post(url, {"reason": "笔误", "summary": "总体良好"}, follow=True)
    body = response.content.decode()
    assert "更正已记录" in body and "笔误" in body and "良好 → 总体良好" in body
    amendment = Amendment.objects.get()
    assert amendment.changes == [{"field": "summary", "old": "良好", "new": "总体良好"}]


def test_an_amendment_without_a_reason_is_refused(officer_client, submitted):
    url = reverse("inspections:amend", args=[submitted.pk])
    response = officer_client.post(url, {"reason": " ", "summary": "改"}, follow=True)
    assert "请填写更正原因" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.summary == "良好" and not Amendment.objects.exists()


def test_amending_another_countys_record_is_404_and_a_wrong_role_403(client, cast, submitted):
    url = reverse("inspections:amend", args=[submitted.pk])
    client.force_login(cast.pingcheng)
    assert client.post(url, {"reason": "x", "summary": "y"}).status_code == 404
    client.force_login(cast.admin)
    assert client.post(url, {"reason": "x", "summary": "y"}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.summary == "良好" and not Amendment.objects.exists()
