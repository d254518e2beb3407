"""整改回执: an institution reports a problem fixed with a note and photos through its own
account; the officials see the receipt on the problem and close it or send it back."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from PIL import Image

from accounts.scope import scope_for
from inspections.models import Finding, ReceiptPhoto
from inspections.receipts import receipt_submit
from inspections.services import finding_verify
from institutions.accounts import institution_account_open
from tests.inspections.test_problems import finding, inspected, seed_campaign

pytestmark = pytest.mark.django_db


def jpeg(color="red", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def account_of(officer, institution):
    account, _password = institution_account_open(
        institution=institution, actor=officer, scope=scope_for(officer)
    )
    account.user.must_change_password = False
    account.user.save(update_fields=["must_change_password"])
    return account.user


@pytest.fixture
def problems(cast, places):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    inspected(cast.pingcheng, places.pingcheng, codes=("1.01",))
    return {
        "own": finding(places.xiaodian, "1.01"),
        "other": finding(places.pingcheng, "1.01"),
        "user": account_of(cast.xiaodian, places.xiaodian),
    }


def test_a_receipt_reports_the_problem_fixed_with_clean_photos(cast, problems):
    user, problem = problems["user"], problems["own"]
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已更换灭火器",
                   photos=[(jpeg(), "a.jpg"), (jpeg(), "again.jpg"), (jpeg("blue"), "b.png")])  # fmt: skip
    problem.refresh_from_db()
    assert (problem.status, problem.report_note, problem.reported_by) == (
        "reported", "已更换灭火器", user,
    )  # fmt: skip
    photos = list(problem.receipt_photos.all())
    assert len(photos) == 2  # the same photo twice is kept once
    with photos[0].image.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
    # The officer closes it as any reported problem.
    finding_verify(finding=problem, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
                   passed=True, note="复查合格")  # fmt: skip
    problem.refresh_from_db()
    assert problem.status == "closed"
    with pytest.raises(ValidationError, match="已复查销号"):
        receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="再报",
                       photos=[(jpeg("green"), "c.jpg")])  # fmt: skip


def test_only_the_problems_own_institution_sends_a_receipt(cast, problems):
    user = problems["user"]
    for actor, problem in [(user, problems["other"]), (cast.xiaodian, problems["own"])]:
        with pytest.raises(PermissionDenied):
            receipt_submit(finding=problem, actor=actor, scope=scope_for(actor), note="x",
                           photos=[(jpeg(), "a.jpg")])  # fmt: skip
    assert not ReceiptPhoto.objects.exists()
    assert set(Finding.objects.values_list("status", flat=True)) == {"open"}


@pytest.mark.parametrize(
    ("note", "photos", "message"),
    [
        ("已整改", [], "至少一张"),
        ("", [(jpeg(), "a.jpg")], "请填写整改情况"),
        ("已整改\x00", [(jpeg(), "a.jpg")], "控制字符"),
        ("长" * 2001, [(jpeg(), "a.jpg")], "不能超过"),
        ("已整改", [(b"%PDF-1.4 not a photo", "a.jpg")], "不是有效的照片"),
        ("已整改", [(jpeg(), "ok.jpg"), (b"GIF89a", "b.gif")], "不是有效的照片"),
        ("已整改", [(jpeg(c), f"{c}.jpg") for c in ("red", "blue", "green", "white", "black",
                                                   "gray", "pink")], "最多上传 6 张"),
    ],
)  # fmt: skip
def test_a_bad_receipt_is_refused_in_chinese_and_writes_nothing(problems, note, photos, message):
    user, problem = problems["user"], problems["own"]
    with pytest.raises(ValidationError, match=message):
        receipt_submit(finding=problem, actor=user, scope=scope_for(user), note=note, photos=photos)
    problem.refresh_from_db()
    assert problem.status == "open" and not ReceiptPhoto.objects.exists()


# -- pages ----------------------------------------------------------------------------


def test_the_institution_sends_a_receipt_from_its_problem_page(client, problems):
    user, problem = problems["user"], problems["own"]
    client.force_login(user)
    url = reverse("portal:problem", args=[problem.pk])
    assert client.get(url).status_code == 200
    photo = io.BytesIO(jpeg())
    photo.name = "after.jpg"
    response = client.post(url, {"note": "已签订消防安全责任协议", "photos": [photo]})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    problem.refresh_from_db()
    assert problem.status == "reported"
    stored = problem.receipt_photos.get()
    assert client.get(reverse("portal:receipt_photo", args=[stored.pk]))["Content-Type"] == (
        "image/jpeg"
    )


def test_a_bad_receipt_page_answers_400_in_chinese(client, problems):
    client.force_login(problems["user"])
    url = reverse("portal:problem", args=[problems["own"].pk])
    response = client.post(url, {"note": "已整改"})
    assert response.status_code == 400 and "请上传至少一张整改后的照片" in response.content.decode()
    assert client.post(url, {"note": "x\x00"}).status_code == 400
    assert Finding.objects.get(pk=problems["own"].pk).status == "open"


def test_another_institutions_problem_and_photo_are_404_and_unchanged(client, cast, problems):
    other = problems["other"]
    pingcheng_user = account_of(cast.pingcheng, other.task.institution)
    receipt_submit(finding=other, actor=pingcheng_user, scope=scope_for(pingcheng_user),
                   note="已整改", photos=[(jpeg(), "a.jpg")])  # fmt: skip
    photo = other.receipt_photos.get()
    client.force_login(problems["user"])
    url = reverse("portal:problem", args=[other.pk])
    photo_file = io.BytesIO(jpeg("blue"))
    photo_file.name = "x.jpg"
    assert client.get(url).status_code == 404
    assert client.post(url, {"note": "改", "photos": [photo_file]}).status_code == 404
    assert client.get(reverse("portal:receipt_photo", args=[photo.pk])).status_code == 404
    other.refresh_from_db()
    assert other.report_note == "已整改" and other.receipt_photos.count() == 1


def test_officials_see_the_receipt_on_the_problem_in_their_scope_only(client, cast, problems):
    user, problem = problems["user"], problems["own"]
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已整改",
                   photos=[(jpeg(), "a.jpg")])  # fmt: skip
    photo = problem.receipt_photos.get()
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:finding", args=[problem.pk])).content.decode()
    assert 'data-testid="receipt-photos"' in page and f"{user} · " in page
    assert client.get(reverse("inspections:receipt_photo", args=[photo.pk])).status_code == 200
    for member, status in [("pingcheng", 404), ("auditor", 403), ("outsider", 403)]:
        client.force_login(getattr(cast, member))
        assert client.get(reverse("inspections:receipt_photo", args=[photo.pk])).status_code == (
            status
        )


def test_more_photos_than_allowed_are_refused_before_reading(client, problems):
    client.force_login(problems["user"])
    files = []
    for n in range(7):
        photo = io.BytesIO(jpeg())
        photo.name = f"{n}.jpg"
        files.append(photo)
    url = reverse("portal:problem", args=[problems["own"].pk])
    response = client.post(url, {"note": "已整改", "photos": files})
    assert response.status_code == 400 and "每次最多上传 6 张照片" in response.content.decode()
    assert not ReceiptPhoto.objects.exists()


def test_the_countys_officers_learn_of_the_receipt_in_their_digest(cast, problems):
    from accounts.models import Notification

    user, problem = problems["user"], problems["own"]
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已整改",
                   photos=[(jpeg(), "a.jpg")])  # fmt: skip
    told = Notification.objects.filter(key__startswith=f"receipt:{problem.pk}:")
    assert list(told.values_list("user__username", flat=True)) == ["xiaodian"]
    item = told.get()
    assert item.digest_id is not None  # routine: a line of the day's digest
    assert reverse("inspections:finding", args=[problem.pk]) == item.link


def test_the_institution_learns_what_the_re_inspection_made_of_its_receipt(client, cast, problems):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Notification

    user, problem = problems["user"], problems["own"]
    officer = cast.xiaodian
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已整改",
                   photos=[(jpeg(), "a.jpg")])  # fmt: skip
    later = timezone.localdate() + dt.timedelta(days=7)
    finding_verify(finding=problem, actor=officer, scope=scope_for(officer), passed=False,
                   note="灭火器仍未更换", deadline=later)  # fmt: skip
    told = Notification.objects.get(user=user, key__startswith=f"verified:{problem.pk}:")
    assert "复查未通过" in told.title and later.isoformat() in told.title
    assert told.body == "灭火器仍未更换"
    assert told.link == reverse("portal:problem", args=[problem.pk])
    client.force_login(user)
    page = client.get(reverse("notifications"))
    assert page.status_code == 200 and "复查未通过" in page.content.decode()
    home = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="unread-count"' in home


def test_a_receipt_soon_after_an_officials_reset_is_flagged_on_the_problem(client, cast, problems):
    from institutions.accounts import institution_account_reset

    user, problem = problems["user"], problems["own"]
    client.force_login(cast.xiaodian)
    url = reverse("inspections:finding", args=[problem.pk])
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已整改",
                   photos=[(jpeg(), "a.jpg")])  # fmt: skip
    assert 'data-testid="receipt-caution"' not in client.get(url).content.decode()
    institution_account_reset(
        account=user.institution_account, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    receipt_submit(finding=problem, actor=user, scope=scope_for(user), note="已整改，补充照片",
                   photos=[(jpeg("blue"), "b.jpg")])  # fmt: skip
    page = client.get(url).content.decode()
    assert 'data-testid="receipt-caution"' in page and str(cast.xiaodian) in page
