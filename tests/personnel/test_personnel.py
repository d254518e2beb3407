"""Staff records and their ID numbers: encrypted, hashed, masked, revealed one at a time."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.scope import Scope
from core import crypto
from institutions.models import Institution
from personnel import services
from personnel.models import StaffMember
from tests.factories import InstitutionFactory, UserFactory
from tests.factories_personnel import StaffFactory, id_number, scanning, unmasked_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(client):
    yield from scanning(client)


NUMBER = id_number(born=dt.date(1998, 6, 15), female=True)


def scope(user):
    return Scope.for_user(user)


def police(region="140000"):
    return UserFactory(
        username=f"police{region}", grant=("department_user", region, "public_security")
    )


def test_a_number_is_validated_and_its_sex_and_birth_date_derived(places):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    assert staff.sex == "female" and staff.birth_date == dt.date(1998, 6, 15)
    assert staff.id_masked == NUMBER[:6] + "********" + NUMBER[-4:]
    assert staff.reveal_id_number() == NUMBER


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1"), "校验位不正确"),
        (NUMBER[:17], "应为 18 位"),
        ("140105" + "1998O615" + "0011", "含有不允许的字符"),
    ],
)
def test_a_bad_number_is_refused_with_the_number_masked(typed, reason):
    with pytest.raises(crypto.IdNumberError) as caught:
        crypto.validate_id(typed)
    assert reason in str(caught.value)
    assert typed not in str(caught.value) and not unmasked_ids(str(caught.value).encode())


def test_an_impossible_birth_date_is_refused():
    body = "14010519990230001"
    with pytest.raises(crypto.IdNumberError, match="出生日期"):
        crypto.validate_id(body + crypto.ric.calc_check_digit(body + "0"))


def test_full_width_and_spaces_are_accepted():
    typed = " ".join(NUMBER[i : i + 6] for i in range(0, 18, 6)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    assert crypto.validate_id(typed) == NUMBER


def test_the_database_never_holds_a_number_in_clear(places):
    StaffFactory(institution=places.xiaodian, number=NUMBER)
    with connection.cursor() as cursor:
        for table in ("personnel_staffmember", "personnel_historicalstaffmember"):
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 - fixed names
            dump = "\n".join(row[0] for row in cursor.fetchall())
            assert NUMBER not in dump and NUMBER[6:14] + NUMBER[14:] not in dump
    stored = StaffMember.objects.get()
    assert stored.id_hash == crypto.hash_id(NUMBER) and len(stored.id_hash) == 64


def test_the_hash_is_keyed(settings):
    first = crypto.hash_id(NUMBER)
    settings.STAFF_ID_HASH_KEY = "another-key-" * 4
    assert crypto.hash_id(NUMBER) != first


def test_rotation_re_encrypts_under_the_new_key(places, settings):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    old_token = staff.id_cipher
    new_key = Fernet.generate_key().decode()
    settings.STAFF_ID_KEYS = [new_key, *settings.STAFF_ID_KEYS]
    call_command("rotate_staff_keys", stdout=__import__("io").StringIO())
    staff.refresh_from_db()
    assert staff.id_cipher != old_token
    # Only the new key is needed now.
    settings.STAFF_ID_KEYS = [new_key]
    assert staff.reveal_id_number() == NUMBER


def test_rotation_also_re_seals_complaint_contacts(cast, settings):
    from complaints import services as complaints

    case = complaints.case_submit_public(
        category="safety_hazard", county_code="140105", institution_name="",
        description="家长反映该机构消防通道被杂物堵塞，存在安全隐患。", reporter_name="张三",
        reporter_phone="13812345678",
    )[0]  # fmt: skip
    new_key = Fernet.generate_key().decode()
    settings.STAFF_ID_KEYS = [new_key, *settings.STAFF_ID_KEYS]
    call_command("rotate_staff_keys", stdout=__import__("io").StringIO())
    settings.STAFF_ID_KEYS = [new_key]
    case.refresh_from_db()
    assert complaints.contact_open(case)["phone"] == "13812345678"


def test_a_number_that_cannot_be_decrypted_fails_loudly_without_the_token(places, settings):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    settings.STAFF_ID_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(RuntimeError) as caught:
        staff.reveal_id_number()
    assert staff.id_cipher not in str(caught.value)


# -- services --------------------------------------------------------------------------


def values(institution, **extra):
    return {"institution": institution, "name": "张三", "post": "administrative", **extra}


def test_an_officer_registers_staff_in_their_county(cast, places):
    staff = services.staff_create(
        actor=cast.xiaodian, scope=scope(cast.xiaodian), id_number=NUMBER, **values(places.xiaodian)
    )
    assert staff.history.get().history_change_reason == "新增人员"


def test_the_same_person_cannot_be_registered_twice_at_one_institution(cast, places):
    # At another institution they may be (tests/personnel/test_personnel_two_institutions.py).
    StaffFactory(institution=places.xiaodian, number=NUMBER)
    with pytest.raises(ValidationError) as caught:
        services.staff_create(
            actor=cast.xiaodian,
            scope=scope(cast.xiaodian),
            id_number=NUMBER,
            **values(places.xiaodian),
        )
    assert "已在该机构登记" in str(caught.value) and StaffMember.objects.count() == 1


def test_staff_cannot_be_registered_outside_the_scope(cast, places):
    with pytest.raises(PermissionDenied):
        services.staff_create(
            actor=cast.xiaodian,
            scope=scope(cast.xiaodian),
            id_number=NUMBER,
            **values(places.pingcheng),
        )
    assert not StaffMember.objects.exists()


def test_a_subject_teacher_needs_a_qualification_certificate(cast, regions):
    subject = InstitutionFactory(category=Institution.Category.SUBJECT, sector="")
    args = {"actor": cast.xiaodian, "scope": scope(cast.xiaodian), "id_number": NUMBER}
    with pytest.raises(ValidationError) as caught:
        services.staff_create(**args, **values(subject, post="teacher"))
    assert "教师资格证号" in str(caught.value)
    services.staff_create(
        **args, **values(subject, post="teacher", teacher_certificate="20231401234567")
    )


def test_leaving_before_starting_is_refused(cast, places):
    with pytest.raises(ValidationError, match="离职日期不能早于入职日期"):
        services.staff_create(
            actor=cast.xiaodian,
            scope=scope(cast.xiaodian),
            id_number=NUMBER,
            **values(
                places.xiaodian,
                employed_from=dt.date(2023, 9, 1),
                employed_until=dt.date(2023, 8, 1),
            ),
        )


def test_public_security_reveals_one_number_with_a_reason_and_it_is_audited(cast, places):
    officer = police()
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    with pytest.raises(ValidationError):
        services.staff_reveal(staff=staff, actor=officer, scope=scope(officer), reason="")
    assert not AuditEvent.objects.filter(kind="reveal").exists()
    shown = services.staff_reveal(
        staff=staff, actor=officer, scope=scope(officer), reason="核对犯罪记录查询对象"
    )
    assert shown == NUMBER
    event = AuditEvent.objects.get(kind="reveal")
    assert event.actor == officer and event.reason == "核对犯罪记录查询对象"
    assert event.object_id == str(staff.pk) and NUMBER not in str(event.detail)


def test_a_county_officer_cannot_reveal(cast, places):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    with pytest.raises(PermissionDenied):
        services.staff_reveal(
            staff=staff, actor=cast.xiaodian, scope=scope(cast.xiaodian), reason="想看看号码"
        )


# -- pages -----------------------------------------------------------------------------


def test_pages_show_the_number_masked(scanned, cast, places):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER, name="李四")
    scanned.force_login(cast.xiaodian)
    for url in (
        reverse("personnel:list"),
        reverse("personnel:detail", args=[staff.pk]),
        reverse("personnel:edit", args=[staff.pk]),
        reverse("institutions:detail", args=[places.xiaodian.pk]),
        reverse("api:staff-list"),
        reverse("api:staff-detail", args=[staff.pk]),
        reverse("personnel:export"),
        reverse("personnel:export") + "?format=csv",
    ):
        response = scanned.get(url)
        assert response.status_code == 200, url
    page = scanned.get(reverse("personnel:detail", args=[staff.pk])).content.decode()
    assert staff.id_masked in page and "查看完整号码" not in page
    assert (
        scanned.get(reverse("api:staff-list")).json()["results"][0]["id_number"] == staff.id_masked
    )


def test_the_list_finds_a_person_by_their_whole_number(scanned, cast, places):
    StaffFactory(institution=places.xiaodian, number=NUMBER, name="王五")
    StaffFactory(institution=places.xiaodian, name="赵六")
    scanned.force_login(cast.xiaodian)
    page = scanned.post(reverse("personnel:list"), {"id_number": NUMBER}).content.decode()
    assert "王五" in page and "赵六" not in page


def test_the_reveal_page_shows_the_number_once_and_logs_it(scanned, cast, places):
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    officer = police()
    scanned.force_login(officer)
    assert (
        "查看完整号码" in scanned.get(reverse("personnel:detail", args=[staff.pk])).content.decode()
    )
    refused = scanned.post(reverse("personnel:reveal", args=[staff.pk]), {"reason": ""})
    assert refused.status_code == 400 and NUMBER not in refused.content.decode()
    response = scanned.post(
        reverse("personnel:reveal", args=[staff.pk]), {"reason": "核对查询对象身份"}
    )
    assert NUMBER in response.content.decode() and response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(kind="reveal", actor=officer).count() == 1
    # The auditor lists it.
    scanned.force_login(cast.auditor)
    log = scanned.get(reverse("audit_log"), {"kind": "reveal"}).content.decode()
    assert officer.username in log and "核对查询对象身份" in log


def test_reveal_is_forbidden_to_officers_and_out_of_scope_is_404(scanned, cast, places):
    staff = StaffFactory(institution=places.pingcheng, number=NUMBER)
    scanned.force_login(cast.xiaodian)
    assert (
        scanned.post(reverse("personnel:reveal", args=[staff.pk]), {"reason": "看看"}).status_code
        == 403
    )
    county_police = police("140105")
    scanned.force_login(county_police)
    response = scanned.post(
        reverse("personnel:reveal", args=[staff.pk]), {"reason": "核对身份信息"}
    )
    assert response.status_code == 404 and not AuditEvent.objects.filter(kind="reveal").exists()


def test_edit_out_of_scope_is_404_and_leaves_the_row(scanned, cast, places):
    staff = StaffFactory(institution=places.pingcheng, number=NUMBER, name="原名")
    scanned.force_login(cast.xiaodian)
    response = scanned.post(
        reverse("personnel:edit", args=[staff.pk]),
        {"institution": places.xiaodian.pk, "name": "改名"},
    )
    assert response.status_code == 404
    staff.refresh_from_db()
    assert staff.name == "原名" and staff.institution == places.pingcheng
    scanned.force_login(cast.taiyuan)
    assert scanned.get(reverse("personnel:edit", args=[staff.pk])).status_code == 403


def test_a_bad_form_does_not_echo_the_number(scanned, cast, places):
    scanned.force_login(cast.xiaodian)
    response = scanned.post(
        reverse("personnel:create"),
        {"institution": places.xiaodian.pk, "name": "", "id_number": NUMBER, "post": ""},
    )
    assert response.status_code == 200 and NUMBER not in response.content.decode()
    assert not StaffMember.objects.exists()
    response = scanned.post(
        reverse("personnel:create"),
        {"institution": places.xiaodian.pk, "name": "孙七", "id_number": NUMBER, "post": "cleaner",
         "platform_complete": "true"},
    )  # fmt: skip
    staff = StaffMember.objects.get()
    assert response.status_code == 302 and staff.platform_complete is True
    # Editing without retyping the number keeps it.
    scanned.post(
        reverse("personnel:edit", args=[staff.pk]),
        {"institution": places.xiaodian.pk, "name": "孙七", "id_number": "", "post": "driver",
         "platform_complete": "unknown"},
    )  # fmt: skip
    staff.refresh_from_db()
    assert staff.post == "driver" and staff.reveal_id_number() == NUMBER


# -- the scanner itself ----------------------------------------------------------------


class _FakeClient:
    """Answers every request with `body`, as `user`; `on_request` runs first (the view)."""

    def __init__(self, user, body, on_request=None):
        self.user, self.body, self.on_request = user, body, on_request

    def post(self, path, *args, **kwargs):
        from types import SimpleNamespace

        from django.http import HttpResponse

        if self.on_request:
            self.on_request()
        response = HttpResponse(self.body)
        response.wsgi_request = SimpleNamespace(user=self.user)
        return response

    get = post


def _reveal_event(actor, staff):
    from accounts.audit import audit_log

    audit_log(kind="reveal", actor=actor, obj=staff, reason="核对", detail={"what": "id_number"})


def _scan(user, path, body, on_request=None):
    from tests.factories_personnel import ScanningClient

    scanner = ScanningClient(_FakeClient(user, body, on_request))
    scanner.post(path)
    scanner.check()


def test_the_scanner_ties_a_whole_number_to_the_reveal_event_of_that_response(cast, places):
    officer = police()
    mine = StaffFactory(institution=places.xiaodian, number=NUMBER)
    other_number = id_number(born=dt.date(1999, 3, 4))
    other = StaffFactory(institution=places.xiaodian, number=other_number)
    url = f"/staff/{mine.pk}/reveal/"
    page = f"<code>{NUMBER}</code>".encode()
    # An audited reveal in that very response passes.
    _scan(officer, url, page, on_request=lambda: _reveal_event(officer, mine))
    # A reveal event from before the response does not cover it.
    with pytest.raises(AssertionError, match="unlogged reveal"):
        _scan(officer, url, page)
    # Nor does one for another record, or by another user.
    with pytest.raises(AssertionError, match="unlogged reveal"):
        _scan(officer, url, page, on_request=lambda: _reveal_event(officer, other))
    with pytest.raises(AssertionError, match="unlogged reveal"):
        _scan(officer, url, page, on_request=lambda: _reveal_event(cast.xiaodian, mine))
    # The record's reveal shows that record's number and no other.
    with pytest.raises(AssertionError, match="does not name"):
        _scan(
            officer, url, f"{NUMBER} {other_number}".encode(),
            on_request=lambda: _reveal_event(officer, mine),
        )  # fmt: skip
    # Anywhere else a whole number fails whatever was logged.
    with pytest.raises(AssertionError, match="unmasked ID number"):
        _scan(officer, f"/staff/{mine.pk}/", page, on_request=lambda: _reveal_event(officer, mine))


def test_the_migration_makes_old_dismissal_reasons_neutral(places):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("personnel.migrations.0002_neutral_staff_history_reasons")
    staff = StaffFactory(institution=places.xiaodian, number=NUMBER)
    staff.history.update(history_change_reason="清退")
    migration.neutral_reasons(apps, None)
    assert list(staff.history.values_list("history_change_reason", flat=True)) == ["修改人员信息"]
