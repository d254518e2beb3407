"""Complaint pages, the public form, the status lookup, the ledger, the API and the import."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent
from complaints import captcha, ratelimit, services
from complaints.models import Case, Referral
from tests.complaints.test_complaints import PDF, TEXT, officer_case, public_case, refer

pytestmark = pytest.mark.django_db
FORM = "complaints_public:form"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset("127.0.0.1")
    yield
    ratelimit.reset("127.0.0.1")


@pytest.fixture
def police(regions):
    from tests.factories import UserFactory

    return UserFactory(username="police", grant=("department_user", "140100", "public_security"))


@pytest.fixture
def sports(regions):
    from tests.factories import UserFactory

    return UserFactory(username="sports", grant=("department_user", "140000", "sports"))


def answer(client) -> str:
    return client.session[captcha.SESSION_KEY]["answer"]


def form_data(client, **values):
    return {"category": "fees", "county": "140105", "institution_name": "",
            "description": "机构收了一年学费，现在关门不退费。", "reporter_name": "王女士",
            "reporter_phone": "13912345678", "captcha": answer(client), **values}  # fmt: skip


# -- the public form -------------------------------------------------------------------


def test_a_parent_files_a_complaint_and_sees_the_code_once(client, cast):
    page = client.get(reverse(FORM))
    assert page.status_code == 200 and "captcha.png" in page.content.decode()
    response = client.post(reverse(FORM), form_data(client))
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    case = Case.objects.get()
    code = shown.split('data-testid="tracking-code">')[1].split("<")[0]
    assert case.tracking_digest == services.tracking_digest(code)
    assert case.channel == "web" and case.created_by is None
    # Reloading the page does not show the code again.
    assert client.get(reverse("complaints_public:submitted")).status_code == 302


def test_a_wrong_captcha_refuses_the_complaint_and_draws_a_new_question(client, cast):
    client.get(reverse(FORM))
    first = client.session[captcha.SESSION_KEY]
    wrong = str(int(first["answer"]) + 1)
    response = client.post(reverse(FORM), form_data(client, captcha=wrong))
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert client.session[captcha.SESSION_KEY]["seed"] != first["seed"]
    assert not Case.objects.exists()


def test_a_captcha_answer_cannot_be_used_twice(client, cast):
    client.get(reverse(FORM))
    used = answer(client)
    assert client.post(reverse(FORM), form_data(client)).status_code == 302
    session = client.session
    session[captcha.SESSION_KEY] = {**session[captcha.SESSION_KEY], "answer": "-1"}
    session.save()
    response = client.post(reverse(FORM), form_data(client, captcha=used))
    assert response.status_code == 400 and Case.objects.count() == 1


def test_the_captcha_is_an_image_and_has_a_text_alternative(client, cast):
    client.get(reverse(FORM))
    image = client.get(reverse("complaints_public:captcha"))
    assert image["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")
    words = client.get(reverse(FORM), {"text": "1"}).content.decode()
    assert client.session[captcha.SESSION_KEY]["words"] in words


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"description": "太短"}, "description", "至少 10 个字"),
        ({"category": ""}, "category", "请选择反映问题的类别"),
        ({"county": "140100"}, "county", "请选择所在县（市、区）"),
        ({"reporter_phone": "12345"}, "reporter_phone", "请填写正确的手机号"),
    ],
)
def test_bad_public_input_is_explained_in_chinese_and_nothing_is_saved(
    client, cast, values, field, message
):
    client.get(reverse(FORM))
    response = client.post(reverse(FORM), form_data(client, **values))
    body = response.content.decode()
    assert response.status_code == 400 and message in body and f"error-{field}" in body
    assert not Case.objects.exists()


def test_a_fake_photo_is_refused_on_the_form(client, cast):
    client.get(reverse(FORM))
    upload = io.BytesIO(b"\xff\xd8\xff" + b"junk")
    upload.name = "照片.jpg"
    response = client.post(reverse(FORM), {**form_data(client), "files": [upload]})
    assert response.status_code == 400 and "不是有效的照片" in response.content.decode()
    assert not Case.objects.exists()


def test_the_form_is_rate_limited_per_address(client, cast):
    for _ in range(5):
        client.get(reverse(FORM))
        assert client.post(reverse(FORM), form_data(client)).status_code == 302
    client.get(reverse(FORM))
    response = client.post(reverse(FORM), form_data(client))
    assert response.status_code == 429 and "操作过于频繁" in response.content.decode()
    assert Case.objects.count() == 5


# -- the status lookup -----------------------------------------------------------------


def test_the_lookup_shows_the_status_and_nothing_else(client, cast):
    case, code = public_case(institution_name="某某艺术培训中心")
    response = client.post(reverse("complaints_public:status"), {"code": code})
    body = response.content.decode()
    assert response.status_code == 200 and "待分办" in body
    for secret in (TEXT, "某某艺术培训中心", "张", "138", case.number, "小店区"):
        assert secret not in body.split('data-testid="lookup-result"')[1].split("</div>")[0]
    assert TEXT not in body and case.number not in body and "13812345678" not in body
    missing = client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert missing.status_code == 404 and "没有找到" in missing.content.decode()


def test_the_lookup_is_rate_limited(client, cast):
    for _ in range(20):
        client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"})
    response = client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert response.status_code == 429


# -- officer pages: scope --------------------------------------------------------------


def test_a_case_of_another_county_is_404_and_unchanged(client, cast):
    case = officer_case(cast.pingcheng, county="140213")
    client.force_login(cast.xiaodian)
    assert client.get(reverse("complaints:detail", args=[case.pk])).status_code == 404
    response = client.post(reverse("complaints:close", args=[case.pk]), {"result": "越权办结"})
    assert response.status_code == 404
    response = client.post(
        reverse("complaints:refer", args=[case.pk]), {"police_unit": "x", "materials": "y"}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "assigned" and not Referral.objects.exists()


def test_province_staff_may_read_but_not_act(client, cast):
    case = officer_case(cast.xiaodian)
    client.force_login(cast.province)
    assert client.get(reverse("complaints:detail", args=[case.pk])).status_code == 200
    response = client.post(reverse("complaints:close", args=[case.pk]), {"result": "省级办结"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "assigned"


def test_a_minor_case_page_hides_details_from_an_officer_not_assigned(client, cast):
    from tests.factories import UserFactory

    colleague = UserFactory(grant=("county_officer", "140105"))
    case = officer_case(colleague, category="minor_offence", reporter_phone="13700001111")
    client.force_login(cast.xiaodian)
    body = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert 'data-testid="details-hidden"' in body and TEXT not in body and "1111" not in body
    assert 'data-testid="triage-form"' in body and 'data-testid="refer-form"' not in body
    attachment_list = client.get(reverse("complaints:list")).content.decode()
    assert case.number in attachment_list and TEXT not in attachment_list
    # Refer without sight of the details: refused, nothing written.
    response = client.post(
        reverse("complaints:refer", args=[case.pk]), {"police_unit": "x", "materials": "y"}
    )
    assert response.status_code == 403 and not Referral.objects.exists()
    client.force_login(colleague)
    body = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert TEXT in body
    assert AuditEvent.objects.filter(kind="reveal", object_id=str(case.pk)).count() == 1


def test_a_sports_bureau_user_never_sees_abuse_cases(client, cast, sports, police):
    case = officer_case(cast.xiaodian, category="minor_offence", files=[("a.pdf", PDF)])
    refer(case, cast.xiaodian)
    client.force_login(sports)
    for name, args in [
        ("complaints:list", []),
        ("complaints:detail", [case.pk]),
        ("complaints:export", []),
        ("complaints:referrals", []),
        ("complaints:attachment", [case.attachments.get().pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403, name
        assert TEXT not in response.content.decode()
    for name, args in [("api:complaint-list", []), ("api:complaint-detail", [case.pk])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403 and TEXT.encode() not in response.content
    # The police, to whom it was referred, do see it.
    client.force_login(police)
    assert TEXT in client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert client.get(reverse("api:complaint-list")).json()["results"][0]["id"] == case.pk


def test_the_api_lists_only_cases_whose_details_the_user_may_see(client, cast):
    from tests.factories import UserFactory

    colleague = UserFactory(grant=("county_officer", "140105"))
    minor = officer_case(colleague, category="minor_offence")
    plain = officer_case(colleague, reporter_phone="13700001111")
    client.force_login(cast.xiaodian)
    rows = client.get(reverse("api:complaint-list")).json()["results"]
    assert [r["id"] for r in rows] == [plain.pk]
    assert rows[0]["reporter"] == "137****1111"
    assert client.get(reverse("api:complaint-detail", args=[minor.pk])).status_code == 404
    client.force_login(cast.auditor)
    ids = {r["id"] for r in client.get(reverse("api:complaint-list")).json()["results"]}
    assert ids == {minor.pk, plain.pk}


# -- the ledger ------------------------------------------------------------------------


def test_the_ledger_masks_contacts_and_hides_minor_details(client, cast, police):
    from tests.factories import UserFactory

    colleague = UserFactory(grant=("county_officer", "140105"))
    minor = officer_case(colleague, category="minor_offence", reporter_name="赵六",
                         reporter_phone="13600002222")  # fmt: skip
    refer(minor, colleague)
    officer_case(cast.xiaodian, reporter_name="钱七", reporter_phone="13500003333")
    client.force_login(cast.xiaodian)
    response = client.get(reverse("complaints:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=3, values_only=True)]
    text = repr(rows)
    assert "13600002222" not in text and "13500003333" not in text and "赵六" not in text
    assert "钱* 135****3333" in text and "赵* 136****2222" in text
    by_number = {r[0]: r for r in rows}
    assert (
        "仅承办人" in by_number[minor.number][7]
        and by_number[minor.number][13] == "太原市公安局小店分局"
    )
    assert AuditEvent.objects.filter(kind="export").exists()


# -- entry, triage, referral through the pages -----------------------------------------


def test_an_officer_enters_a_letter_and_gets_a_one_time_code(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("complaints:create"), {
        "channel": "letter", "category": "false_advertising", "county": "140105",
        "institution_name": places.xiaodian.credit_code, "description": "宣传单写保证提分 30 分。",
    }, follow=True)  # fmt: skip
    case = Case.objects.get()
    assert case.institution == places.xiaodian and case.assignees.get() == cast.xiaodian
    assert "查询码" in response.content.decode()


def test_the_entry_form_refuses_another_county(client, cast):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("complaints:create"), {
        "channel": "phone", "category": "other", "county": "140213",
        "description": "平城区的某机构存在问题。",
    })  # fmt: skip
    assert response.status_code == 400 and "请选择所在县（市、区）" in response.content.decode()
    assert not Case.objects.exists()


def test_a_referral_without_materials_is_refused_on_the_page(client, cast):
    case = officer_case(cast.xiaodian)
    client.force_login(cast.xiaodian)
    response = client.post(reverse("complaints:refer", args=[case.pk]), {"police_unit": "某分局"})
    assert response.status_code == 400 and "请写明移送的材料" in response.content.decode()
    assert not Referral.objects.exists()


def test_police_record_receipt_and_feedback_on_the_page(client, cast, police):
    case = officer_case(cast.xiaodian)
    referral = refer(case, cast.xiaodian)
    client.force_login(police)
    client.post(reverse("complaints:acknowledge", args=[referral.pk]),
                {"police_case_number": "A123"})  # fmt: skip
    client.post(reverse("complaints:feedback", args=[referral.pk]),
                {"outcome": "filed", "feedback": "已立案"})  # fmt: skip
    referral.refresh_from_db()
    assert referral.police_case_number == "A123" and referral.outcome == "filed"
    assert referral.acknowledged_by == police == referral.feedback_by


# -- import ----------------------------------------------------------------------------


def csv_upload(text: str, name="投诉.csv"):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return upload


HEADER = "来源编号*,渠道*,类别*,县区代码*,机构统一社会信用代码,机构名称,反映内容*,收到日期*,反映人,联系电话\n"


def test_a_hotline_sheet_imports_once_and_reports_bad_rows(client, cast):
    client.force_login(cast.xiaodian)
    good = (
        HEADER
        + "GD001,12345 热线转办,收费、退费,140105,,某培训中心,家长反映机构拒绝退还剩余学费。,2023-11-20,周女士,13811112222\n"
    )
    bad = (
        good
        + "GD002,电话,不知道,140105,,,家长反映机构拒绝退费。,2023-11-20,,\n"
        + "GD003,电话,其他,140213,,,平城区某机构的问题反映。,2023-11-20,,\n"
    )
    response = client.post(reverse("complaints:import"), {"file": csv_upload(bad)})
    run_url = response["Location"]
    body = client.get(run_url).content.decode()
    assert "“不知道”不是有效的类别" in body and "不是您管辖范围内" in body
    assert not Case.objects.exists()
    response = client.post(reverse("complaints:import"), {"file": csv_upload(good)})
    run_pk = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("complaints:import_run_confirm", args=[run_pk]))
    case = Case.objects.get()
    assert (case.external_ref, case.channel, case.category) == ("GD001", "hotline", "fees")
    assert case.contact_masked == "周** 138****2222" and case.status == "new"
    # The same sheet again: nothing new.
    response = client.post(reverse("complaints:import"), {"file": csv_upload(good)})
    run_pk = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("complaints:import_run_confirm", args=[run_pk]))
    assert Case.objects.count() == 1


# -- a case linked to an institution that has been inspected -----------------------------


def test_a_minor_case_of_an_inspected_institution_renders_and_every_action_works(
    client, cast, places
):
    # The link form lists the institution's inspections by date: that label once read a
    # field the inspection does not have, and the page (and every action) answered 500.
    from tests.inspections.test_problems import inspected, seed_campaign

    seed_campaign()
    inspection = inspected(cast.xiaodian, places.xiaodian)
    task = inspection.tasks.get(department="education")
    case = officer_case(cast.xiaodian, category="minor_offence", institution=places.xiaodian,
                        reporter_phone="13700001111")  # fmt: skip
    client.force_login(cast.xiaodian)
    detail = reverse("complaints:detail", args=[case.pk])
    page = client.get(detail)
    assert page.status_code == 200
    assert f"{timezone.localtime(inspection.submitted_at):%Y-%m-%d} 的检查" in page.content.decode()

    def act(name, data, status=302):
        response = client.post(reverse(f"complaints:{name}", args=[case.pk]), data)
        assert response.status_code == status, (name, response.content.decode()[:500])
        if status == 302:
            assert client.get(detail).status_code == 200
        return response

    act("triage", {"category": "minor_offence", "assignees": [cast.xiaodian.pk]})
    act("link", {"inspection": inspection.pk, "task": task.pk})
    # A refused action shows the page again with the error: a 400, never a 500.
    act("link", {"inspection": 999999}, status=400)
    assert "1111" in act("reveal_contact", {"reason": "回访反映人"}, status=200).content.decode()
    act("refer", {"police_unit": "太原市公安局小店分局", "materials": "记录一份"})
    body = act("close", {"result": "已移送公安处理"}, status=400).content.decode()
    assert "须登记公安反馈后才能办结" in body
    case.refresh_from_db()
    assert (case.inspection, case.task, case.status) == (inspection, task, "referred")
    assert case.deadline - case.received_at == dt.timedelta(hours=24)

    plain = officer_case(cast.xiaodian, institution=places.xiaodian)
    response = client.post(reverse("complaints:close", args=[plain.pk]), {"result": "已核实整改"})
    assert response.status_code == 302
    plain.refresh_from_db()
    assert plain.status == "closed"
