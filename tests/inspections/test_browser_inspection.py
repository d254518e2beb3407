"""A county officer inspects an institution on a 360 px phone in Chromium, loses the
network for a moment without losing anything, and submits."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from campaign.services import campaign_seed_2023
from inspections.models import Answer, Evidence, Finding, Inspection
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"已保存 \d\d:\d\d:\d\d")


def phone_photo(path, colour):
    """A camera-sized JPEG carrying GPS in its EXIF, as a phone writes it."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (37.0, 51.0, 30.0), 3: "E", 4: (112.0, 33.0, 0.0)}
    Image.new("RGB", (2400, 1800), colour).save(path, "JPEG", exif=exif.tobytes())
    return str(path)


def test_an_officer_inspects_on_a_phone_through_a_network_drop_and_submits(
    page, live_server, cast, places, tmp_path
):
    campaign_seed_2023(province_code="140000")
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 37.857014, "longitude": 112.549248})

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{live_server.url}/institutions/{places.xiaodian.pk}/")
    page.get_by_test_id("inspection-start").click()

    form = page.locator("#inspection-form")
    expect(page.get_by_test_id("inspection-title")).to_have_text(places.xiaodian.name)
    inspection = Inspection.objects.get()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Every section: open it, answer what is left as 合规 with one tap.
    for section in page.locator(".inspection-section").all():
        toggle = section.locator(".section-toggle")
        if toggle.get_attribute("aria-expanded") == "false":
            toggle.click()
        section.get_by_role("button", name="本节全部合规").click()
    # 2.08 is measured against its limit (不少于 3 平方米/人), shown beside the box; 1.5 is
    # said to break it at once, before anything is submitted, and the value stays.
    measured = page.get_by_test_id("item-2.08")
    expect(measured.get_by_test_id("limit-2.08")).to_have_text("标准：不少于 3 平方米/人")
    measured.locator('input[data-field="number"]').fill("1.5")
    expect(page.get_by_test_id("limit-broken-2.08")).to_be_visible()
    expect(page.get_by_test_id("limit-broken-2.08")).to_have_text(
        "不符合标准（不少于 3 平方米/人），提交后将列为问题"
    )
    expect(measured.locator('input[data-field="number"]')).to_have_value("1.5")
    measured.locator('input[data-field="number"]').fill("3")
    expect(page.get_by_test_id("limit-broken-2.08")).to_be_hidden()  # exactly the limit
    # Exponent input is read as the server reads it: 1e-7 rounds to 0.00, 3e0 is 3.
    measured.locator('input[data-field="number"]').fill("1e-7")
    expect(page.get_by_test_id("limit-broken-2.08")).to_be_visible()
    measured.locator('input[data-field="number"]').fill("3e0")
    expect(page.get_by_test_id("limit-broken-2.08")).to_be_hidden()
    measured.locator('input[data-field="number"]').fill("1.5")
    expect(page.get_by_test_id("limit-broken-2.08")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    total = page.get_by_test_id("progress-total").inner_text()
    expect(page.get_by_test_id("progress-done")).to_have_text(total)
    # The answer buttons are thumb-sized.
    box = page.get_by_test_id("item-1.01").get_by_text("合规", exact=True).bounding_box()
    assert box["height"] >= 44

    # Two problems, each with a note and a photo taken on the spot.
    for code, colour in (("1.01", (180, 40, 40)), ("2.22", (40, 40, 180))):
        item = page.get_by_test_id(f"item-{code}")
        item.get_by_text("不合规", exact=True).click()
        item.get_by_label("问题描述").fill(f"{code} 现场发现问题")
        item.locator('input[type="file"]').set_input_files(
            phone_photo(tmp_path / f"{code}.jpg", colour)
        )
        expect(page.get_by_test_id(f"thumbs-{code}").locator("img")).to_have_count(1)
    expect(form).to_have_attribute("data-pending", "0")
    expect(page.get_by_test_id("save-state")).to_have_text(SAVED)
    assert Answer.objects.get(inspection=inspection, item__code="2.22").note == "2.22 现场发现问题"
    # Resized in the browser (longest side 1600), stored without the phone's EXIF.
    assert sorted((e.width, e.height) for e in Evidence.objects.all()) == [(1600, 1200)] * 2

    # The network drops; the officer keeps working and nothing is lost.
    page.context.set_offline(True)
    page.get_by_test_id("item-1.02").get_by_text("不适用", exact=True).click()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(page.get_by_test_id("offline-banner")).to_have_text(
        "离线：内容已保存在本机，联网后自动上传"
    )
    stored = page.evaluate(f"localStorage.getItem('anquan.inspection.{inspection.pk}.pending')")
    assert '"1.02"' in stored and '"na"' in stored
    assert Answer.objects.get(inspection=inspection, item__code="1.02").value == "compliant"

    page.context.set_offline(False)
    expect(page.get_by_test_id("offline-banner")).to_be_hidden(timeout=20_000)
    expect(form).to_have_attribute("data-pending", "0")
    assert Answer.objects.get(inspection=inspection, item__code="1.02").value == "na"
    assert (
        page.evaluate(f"localStorage.getItem('anquan.inspection.{inspection.pk}.pending')") is None
    )
    inspection.refresh_from_db()
    assert str(inspection.latitude) == "37.857014"

    # Submit: rectify within a deadline.
    deadline = timezone.localdate() + dt.timedelta(days=7)
    page.get_by_label("限期整改").check()
    page.get_by_label("整改期限").fill(deadline.isoformat())
    page.get_by_label("检查意见").fill("两处问题，限期整改")
    page.get_by_test_id("submit-inspection").click()

    expect(page.get_by_test_id("inspection-status")).to_have_text("已提交")
    expect(page.get_by_test_id("inspection-result")).to_have_text("限期整改")
    expect(page.get_by_test_id("rectify-deadline")).to_have_text(deadline.isoformat())
    expect(page.get_by_test_id("notice-link")).to_be_visible()
    expect(page.get_by_test_id("answer-1.02")).to_contain_text("不适用")
    expect(page.get_by_test_id("answer-2.22")).to_contain_text("2.22 现场发现问题")
    expect(page.locator('[data-testid="answer-1.01"] img')).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    inspection.refresh_from_db()
    assert (inspection.status, inspection.result) == ("submitted", "rectify")
    assert sorted(Finding.objects.values_list("item__code", flat=True)) == ["1.01", "2.08", "2.22"]
    # The measured problem is on the problem list with its value and the limit it broke.
    page.goto(f"{live_server.url}/inspections/problems/")
    expect(page.get_by_test_id("measured-2.08")).to_have_text(
        "实测 1.5 平方米/人，规定不少于 3 平方米/人"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert failed == []


def test_a_second_officers_stale_save_is_refused_and_kept_until_they_choose(
    page, live_server, cast, places
):
    from accounts.scope import scope_for
    from inspections import services
    from tests.factories import UserFactory

    campaign_seed_2023(province_code="140000")
    inspection = services.inspection_start(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/inspections/{inspection.pk}/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("inspection-title")).to_have_text(places.xiaodian.name)

    # A colleague saves the same draft from another phone in the meantime.
    colleague = UserFactory(full_name="李同事", grant=("county_officer", "140105"))
    services.inspection_save_draft(
        inspection=inspection, actor=colleague, scope=scope_for(colleague), version=1,
        answers={"1.01": {"value": "compliant"}},
    )  # fmt: skip

    page.get_by_test_id("item-1.01").get_by_text("不合规", exact=True).click()
    expect(page.get_by_test_id("save-error")).to_contain_text("李同事")
    expect(page.get_by_test_id("save-error")).to_contain_text("您的修改未保存")
    assert Answer.objects.get(inspection=inspection, item__code="1.01").value == "compliant"

    # After a refresh the officer sees the latest record and decides what to do.
    page.get_by_role("button", name="刷新页面").click()
    expect(page.get_by_test_id("local-pending")).to_be_visible()
    expect(page.get_by_test_id("item-1.01").locator("input[value=compliant]")).to_be_checked()
    # Before choosing, the officer answers another item: the kept copy must survive that.
    page.get_by_test_id("item-1.02").get_by_text("不适用", exact=True).click()
    expect(page.locator("#inspection-form")).to_have_attribute("data-pending", "0")
    assert Answer.objects.get(inspection=inspection, item__code="1.02").value == "na"
    page.get_by_role("button", name="把本机修改应用到最新记录").click()
    expect(page.locator("#inspection-form")).to_have_attribute("data-pending", "0")
    expect(page.get_by_test_id("save-state")).to_have_text(SAVED)
    assert Answer.objects.get(inspection=inspection, item__code="1.01").value == "non_compliant"
    assert Answer.objects.get(inspection=inspection, item__code="1.02").value == "na"
    expect(page.get_by_test_id("item-1.02").locator("input[value=na]")).to_be_checked()


def kept_photos(page) -> int:
    """How many photos the browser keeps in IndexedDB, waiting for the server."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("anquan-inspection-photos", 1);
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const count = open.result.transaction("photos").objectStore("photos").count();
                count.onsuccess = () => { open.result.close(); resolve(count.result); };
            };
        })"""
    )


def test_a_photo_taken_offline_survives_a_closed_page_and_goes_up_when_the_form_reopens(
    page, live_server, cast, places, tmp_path
):
    from accounts.scope import scope_for
    from inspections import services

    campaign_seed_2023(province_code="140000")
    inspection = services.inspection_start(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    url = f"{live_server.url}/inspections/{inspection.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next=/inspections/{inspection.pk}/")
    page.get_by_label("用户名").fill("xiaodian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("inspection-title")).to_have_text(places.xiaodian.name)
    expect(page.get_by_test_id("photo-pending")).to_be_hidden()

    # In a basement without signal: a problem, its note and a photo.
    context = page.context
    context.set_offline(True)
    item = page.get_by_test_id("item-1.01")
    item.get_by_text("不合规", exact=True).click()
    item.get_by_label("问题描述").fill("地下室无应急照明")
    item.locator('input[type="file"]').set_input_files(
        phone_photo(tmp_path / "dark.jpg", (30, 30, 30))
    )
    expect(page.get_by_test_id("photo-pending")).to_have_text("1 张照片等待上传")
    expect(item.locator('[data-role="photo-status"]')).to_have_text(
        "照片已存在本机，联网后自动上传"
    )
    assert kept_photos(page) == 1 and not Evidence.objects.exists()
    # The officer closes the page (or the phone closes the browser) while still offline.
    page.close()

    context.set_offline(False)
    again = context.new_page()
    again.goto(url)
    expect(again.get_by_test_id("thumbs-1.01").locator("img")).to_have_count(1)
    # "" until the kept photos have been counted after sending them.
    expect(again.locator("#inspection-form")).to_have_attribute("data-photos-pending", "0")
    expect(again.get_by_test_id("photo-pending")).to_be_hidden()
    expect(again.locator("#inspection-form")).to_have_attribute("data-pending", "0")
    assert kept_photos(again) == 0  # forgotten only once the server had it
    answer = Answer.objects.get(inspection=inspection, item__code="1.01")
    assert (answer.value, answer.note) == ("non_compliant", "地下室无应急照明")
    photo = Evidence.objects.get()
    assert photo.answer == answer and (photo.width, photo.height) == (1600, 1200)
    # Sent once and forgotten: reopening the form sends nothing again.
    again.reload()
    expect(again.get_by_test_id("thumbs-1.01").locator("img")).to_have_count(1)
    expect(again.locator("#inspection-form")).to_have_attribute("data-photos-pending", "0")
    assert again.evaluate("document.documentElement.scrollWidth") <= 360
    assert Evidence.objects.count() == 1


def test_a_fire_officer_fills_section_two_of_educations_draft_and_leaves_the_conclusion(
    page, live_server, cast, places
):
    from accounts.scope import scope_for
    from inspections import services
    from tests.factories import UserFactory

    campaign_seed_2023(province_code="140000")
    inspection = services.inspection_start(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/inspections/{inspection.pk}/")
    page.get_by_label("用户名").fill(fire.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("inspection-title")).to_have_text(places.xiaodian.name)
    # Section 二 only, autosaved as on education's form; the conclusion is education's.
    expect(page.locator(".inspection-section")).to_have_count(1)
    page.get_by_role("button", name="本节全部合规").click()
    expect(page.get_by_test_id("save-state")).to_have_text(SAVED)
    expect(page.get_by_test_id("conclusion-by-lead")).to_contain_text(
        "检查结论由教育部门填写后提交"
    )
    expect(page.get_by_test_id("submit-inspection")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
    answers = Answer.objects.filter(inspection=inspection)
    assert answers.exists() and set(answers.values_list("item__section", flat=True)) == {"二"}
    assert Inspection.objects.get(pk=inspection.pk).status == "draft"
