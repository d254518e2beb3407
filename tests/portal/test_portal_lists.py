"""机构端 · its own lists: the institution keeps its staff list and enters its fee records
through the county's services, for its own institution alone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_for
from fees.models import FeeRecord, FeeViolation
from personnel.models import StaffMember
from tests.factories.personnel import StaffFactory, id_number
from tests.selfcheck.test_selfcheck import account_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(regions):
    from tests.inspections.test_problems import seed_campaign

    return seed_campaign()


@pytest.fixture
def own(cast, places, campaign):
    return account_of(cast.xiaodian, places.xiaodian)


def staff_form(institution, **values):
    return {
        "institution": institution.pk, "name": "王老师", "id_number": id_number(),
        "post": "teacher", "employed_from": "2023-09-01", "employed_until": "",
        "teacher_certificate": "20231400000001", "platform_complete": "on", **values,
    }  # fmt: skip


def test_the_institution_registers_its_staff_encrypted_and_masked(client, places, own):
    client.force_login(own)
    number = id_number()
    response = client.post(
        reverse("portal:staff_create"), staff_form(places.xiaodian, id_number=number)
    )
    assert response.status_code == 302
    member = StaffMember.objects.get()
    assert member.institution == places.xiaodian and member.id_hash
    assert number not in str(StaffMember.objects.values().get())  # stored encrypted only
    page = client.get(reverse("portal:staff")).content.decode()
    assert member.id_masked in page and number not in page
    # The same person twice at the institution is refused in Chinese.
    again = client.post(
        reverse("portal:staff_create"), staff_form(places.xiaodian, id_number=number)
    )
    assert again.status_code == 400 and "该身份证号已在该机构登记" in again.content.decode()
    edit = client.post(
        reverse("portal:staff_edit", args=[member.pk]),
        staff_form(places.xiaodian, id_number="", name="王老师（兼职）"),
    )
    assert edit.status_code == 302
    member.refresh_from_db()
    assert member.name == "王老师（兼职）"


@pytest.mark.parametrize(
    "values, message",
    [
        ({"id_number": "140105199801011234"}, "身份证号"),
        ({"name": "王\x07老师"}, "控制字符"),
        ({"name": "王" * 200}, "64"),
        ({"employed_until": "2023-01-01"}, "离职日期不能早于入职日期"),
    ],
)
def test_bad_staff_input_is_refused_and_nothing_saved(client, places, own, values, message):
    client.force_login(own)
    response = client.post(reverse("portal:staff_create"), staff_form(places.xiaodian, **values))
    assert response.status_code in (400,) and message in response.content.decode()
    assert not StaffMember.objects.exists()


def test_another_institutions_staff_is_404_and_unchanged(client, places, own):
    theirs = StaffFactory(institution=places.pingcheng, name="李老师")
    client.force_login(own)
    assert client.get(reverse("portal:staff_edit", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("portal:staff_edit", args=[theirs.pk]),
        staff_form(places.xiaodian, id_number="", name="改名"),
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "李老师"
    assert "李老师" not in client.get(reverse("portal:staff")).content.decode()
    # Naming another institution in the form is not a choice it has.
    forged = client.post(reverse("portal:staff_create"), staff_form(places.pingcheng))
    assert forged.status_code == 400
    assert (
        not StaffMember.objects.filter(institution=places.pingcheng).exclude(pk=theirs.pk).exists()
    )


def fee_form(institution, **values):
    today = timezone.localdate()
    return {
        "institution": institution.pk, "contract_number": "HT-001", "student": "学员A",
        "course": "少儿舞蹈", "amount": "3600", "class_hours": "48",
        "period_from": (today - dt.timedelta(days=10)).isoformat(),
        "period_to": (today + dt.timedelta(days=60)).isoformat(),
        "charged_on": (today - dt.timedelta(days=10)).isoformat(), "supervised": "yes", **values,
    }  # fmt: skip


def test_a_charge_is_checked_the_moment_the_institution_saves_it(client, cast, places, own):
    client.force_login(own)
    ok = client.post(reverse("portal:fee_create"), fee_form(places.xiaodian), follow=True)
    assert "符合收费规则" in ok.content.decode()
    today = timezone.localdate()
    bad = client.post(
        reverse("portal:fee_create"),
        fee_form(places.xiaodian, contract_number="HT-002", supervised="no",
                 period_to=(today + dt.timedelta(days=300)).isoformat()),
        follow=True,
    )  # fmt: skip
    page = bad.content.decode()
    assert "不符合收费规则" in page and 'data-testid="violation"' in page
    record = FeeRecord.objects.get(contract_number="HT-002")
    rules = set(record.violations.values_list("rule", flat=True))
    assert {"period_over_limit", "off_platform"} <= rules
    # The county sees the same violation.
    officials = FeeViolation.objects.filter(institution=places.xiaodian)
    from fees.selectors import fee_violation_list

    assert set(fee_violation_list(scope=scope_for(cast.xiaodian)).filter(record=record)) == set(
        officials.filter(record=record)
    )


def test_a_fee_for_another_institution_is_refused_and_bad_input_is_chinese(client, places, own):
    client.force_login(own)
    forged = client.post(reverse("portal:fee_create"), fee_form(places.pingcheng))
    assert forged.status_code == 400 and not FeeRecord.objects.exists()
    for values, message in [
        ({"amount": "1e400"}, "金额"),
        ({"course": "舞\x00蹈"}, "空字符"),
        ({"charged_on": "2023-02-30"}, "日期"),
    ]:
        response = client.post(reverse("portal:fee_create"), fee_form(places.xiaodian, **values))
        assert response.status_code == 400 and message in response.content.decode(), values
    assert not FeeRecord.objects.exists()


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "admin", "outsider"])
def test_officials_have_no_institution_lists(client, cast, own, member):
    client.force_login(getattr(cast, member))
    for name in ("portal:staff", "portal:staff_create", "portal:fees", "portal:fee_create"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("portal:fee_create"), {}).status_code == 403
    assert not FeeRecord.objects.exists()


def test_an_institution_cannot_refund_or_close_its_own_violation(cast, places, own):
    from fees import services

    record, _changes = services.fee_record_create(
        institution=places.xiaodian, actor=own, scope=scope_for(own), amount=Decimal("3600"),
        period_from=timezone.localdate(), period_to=timezone.localdate() + dt.timedelta(days=300),
        charged_on=timezone.localdate(), supervised=False,
    )  # fmt: skip
    violation = record.violations.first()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.fee_violation_close(violation=violation, actor=own, scope=scope_for(own), note="x")
    violation.refresh_from_db()
    assert violation.status == "open"


def test_a_checked_staff_record_is_the_officials_to_correct(client, cast, places, own):
    """Found by review: an institution could rename and renumber a teacher whose criminal-
    record check or dismissal the officials hold, then register the person again clean."""
    from tests.factories.personnel import BackgroundCheckFactory

    member = StaffFactory(institution=places.xiaodian, name="钱老师")
    BackgroundCheckFactory(staff=member)
    client.force_login(own)
    response = client.post(
        reverse("portal:staff_edit", args=[member.pk]),
        staff_form(places.xiaodian, id_number=id_number(), name="孙老师"),
    )
    assert response.status_code == 400 and "联系县级教育部门" in response.content.decode()
    member.refresh_from_db()
    assert member.name == "钱老师"


def test_the_platform_record_is_the_officials_to_confirm(client, places, own):
    client.force_login(own)
    client.post(reverse("portal:staff_create"), staff_form(places.xiaodian, platform_complete="on"))
    assert StaffMember.objects.get().platform_complete is None  # not the institution's word


@pytest.mark.django_db(transaction=True)
def test_a_second_tap_racing_the_first_is_a_chinese_refusal_not_a_500(cast, places, own):
    """Found by review: two saves of the same charge both passed the duplicate check; the
    second hit the unique constraint. The first is held uncommitted in another connection
    while the second runs, so the race is certain."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction

    from fees import services

    today = timezone.localdate()
    charge = dict(
        institution=places.xiaodian, amount=Decimal("3600"), period_from=today,
        period_to=today + dt.timedelta(days=60), charged_on=today, supervised=True,
        contract_number="HT-RACE",
    )  # fmt: skip
    inserted, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                services.fee_record_create(actor=own, scope=scope_for(own), **charge)
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inserted.wait(10)
    threading.Timer(1.0, release.set).start()  # commit the first while the second waits on it
    with pytest.raises(ValidationError, match="已有同一笔收费记录"):
        services.fee_record_create(actor=own, scope=scope_for(own), **charge)
    thread.join(10)
    assert FeeRecord.objects.filter(contract_number="HT-RACE").count() == 1
