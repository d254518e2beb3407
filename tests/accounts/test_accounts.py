"""Login, lock-out, idle sessions, the password policy and the audit log."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User
from tests.conftest import PASSWORD, same_page


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_chinese(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "用户名" in page and "密码" in page and "登录" in page


def test_login_lands_on_the_dashboard_and_is_audited(client, cast):
    response = login(client, "xiaodian", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert "县级工作台" in client.get(reverse("home")).content.decode()
    assert AuditEvent.objects.filter(kind="login", username="xiaodian").count() == 1


def test_wrong_password_shows_a_chinese_error_and_is_audited(client, cast):
    response = login(client, "xiaodian", "wrong-Pass-1")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert AuditEvent.objects.filter(kind="login_failed", username="xiaodian").count() == 1


def test_sixth_login_after_five_failures_is_refused_even_with_the_right_password(client, cast):
    for _ in range(5):
        login(client, "xiaodian", "wrong-Pass-1")
    response = login(client, "xiaodian", PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind="locked_out", username="xiaodian").exists()


def test_lock_lifts_after_thirty_minutes(client, cast):
    for _ in range(5):
        login(client, "xiaodian", "wrong-Pass-1")
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert login(client, "xiaodian", PASSWORD).status_code == 302


def test_retrying_during_the_lock_does_not_extend_it(client, cast):
    start = timezone.now()
    with time_machine.travel(start):
        for _ in range(5):
            login(client, "xiaodian", "wrong-Pass-1")
    with time_machine.travel(start + timedelta(minutes=20)):
        assert login(client, "xiaodian", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=31)):
        assert login(client, "xiaodian", PASSWORD).status_code == 302


def test_a_user_in_the_audit_log_is_deactivated_not_deleted(client, cast):
    from django.db.models import ProtectedError

    login(client, "xiaodian", PASSWORD)
    with pytest.raises(ProtectedError):
        cast.xiaodian.delete()
    cast.xiaodian.is_active = False
    cast.xiaodian.save()
    client.logout()
    assert login(client, "xiaodian", PASSWORD).status_code == 200  # refused, form shown again
    assert AuditEvent.objects.filter(username="xiaodian", kind="login").count() == 1


def test_unknown_user_gets_the_same_lock_out_as_a_real_one(client, cast):
    for name in ("xiaodian", "nobody-here"):
        for _ in range(5):
            login(client, name, "wrong-Pass-1")
    real = login(client, "xiaodian", "wrong-Pass-1")
    unknown = login(client, "nobody-here", "wrong-Pass-1")
    assert real.status_code == unknown.status_code == 429
    assert same_page(real.content, unknown.content)


def test_wrong_password_and_unknown_user_get_the_same_page(client, cast):
    real = login(client, "xiaodian", "wrong-Pass-1").content
    unknown = login(client, "nobody-here", "wrong-Pass-1").content
    assert same_page(real, unknown, "xiaodian", "nobody-here")


def test_idle_session_ends_after_thirty_minutes(client, cast):
    login(client, "xiaodian", PASSWORD)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29)):
        assert client.get(reverse("home")).status_code == 200
    # Activity at minute 29 renewed it; 31 idle minutes later it is gone.
    with time_machine.travel(start + timedelta(minutes=29 + 31)):
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_logout_is_audited(client, cast):
    login(client, "xiaodian", PASSWORD)
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(kind="logout", username="xiaodian").exists()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),
        ("abcdefgh1", "password_too_simple"),
        ("Password123", "password_too_common"),
    ],
)
def test_password_policy_rejects(password, code, db):
    with pytest.raises(ValidationError) as raised:
        validate_password(password, User(username="someone"))
    assert code in {e.code for e in raised.value.error_list}


def test_password_policy_accepts_three_classes(db):
    validate_password("shouhu-2023", User(username="someone"))
    validate_password("Shouhu2023x", User(username="someone"))


def test_password_policy_message_is_chinese(db):
    with pytest.raises(ValidationError) as raised:
        validate_password("abcdefghij", User(username="someone"))
    assert any("至少 3 类" in m for m in raised.value.messages)


def test_audit_events_cannot_be_edited_or_deleted(cast):
    event = AuditEvent.objects.create(kind="other", username="x")
    event.reason = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(reason="changed")


@pytest.mark.django_db(transaction=True)
def test_database_refuses_raw_changes_to_the_audit_log():
    event = AuditEvent.objects.create(kind="other", username="x")
    for sql in (
        "UPDATE accounts_auditevent SET reason='x' WHERE id=%s",
        "DELETE FROM accounts_auditevent WHERE id=%s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_auditor_reads_the_audit_log(client, cast):
    login(client, "xiaodian", "wrong-Pass-1")
    client.force_login(cast.auditor)
    page = client.get(reverse("audit_log") + "?kind=login_failed").content.decode()
    assert "登录失败" in page and "xiaodian" in page


def test_model_changes_have_history(cast, places):
    places.xiaodian.name = "小店区博雅舞蹈艺术培训学校"
    places.xiaodian.save()
    assert [h.name for h in places.xiaodian.history.all()][:2] == [
        "小店区博雅舞蹈艺术培训学校",
        "小店区博雅舞蹈培训学校",
    ]


def test_every_domain_model_has_history():
    from django.apps import apps

    ours = {
        "accounts",
        "institutions",
        "campaign",
        "inspections",
        "sampling",
        "clock",
        "personnel",
        "fees",
        "complaints",
        "reporting",
        "selfcheck",
    }
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ours
        and not m.__name__.startswith("Historical")
        and m.__name__ != "AuditEvent"  # append-only already: a log of itself is pointless
        and m._meta.label != "clock.Claim"  # idempotency claims: written once, never changed
        # A summary's submissions (frozen snapshots) and its event log are written once and
        # never changed: they are the history of the summary.
        and m._meta.label not in {"reporting.SummarySubmission", "reporting.SummaryEvent"}
        # A download being prepared: audited as an export, purged with its file after 7 days.
        and m._meta.label != "institutions.ExportRun"
        # A bulk opening of institution accounts: audited when started and when its sheet is
        # taken; a history table would keep copies of its sealed one-time passwords.
        and m._meta.label != "institutions.AccountBatch"
        # A self-inspection's correction is written once and never changed: it is the
        # self-inspection's history.
        and m._meta.label != "selfcheck.SelfAmendment"
        and not hasattr(m, "history")
    ]
    assert missing == []


def test_create_user_command_grants_the_role(regions, capsys):
    call_command("create_user", "officer1", role="county_officer", region="140105")
    user = User.objects.get(username="officer1")
    grant = user.grants.get()
    assert (grant.role, grant.region_id, grant.department) == (
        "county_officer",
        "140105",
        "education",
    )
    printed_password = capsys.readouterr().out.split()[-1]
    assert user.check_password(printed_password)
    assert AuditEvent.objects.filter(kind="user_created", object_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role": "county_officer", "region": "999999"}, "不存在"),
        ({"role": "county_officer", "region": "140100"}, "县"),
        ({"role": "county_officer", "region": "140105", "password": "abc"}, "密码"),
    ],
)
def test_create_user_command_refuses_bad_input_and_writes_nothing(regions, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_user", "officer2", **options)
    assert not User.objects.filter(username="officer2").exists()


def test_create_user_refuses_a_taken_username(cast):
    with pytest.raises(CommandError, match="已存在"):
        call_command("create_user", "xiaodian", role="county_officer", region="140105")


def test_grants_changed_since_sees_a_grant_added_or_removed_after_the_moment(cast):
    from accounts.selectors import grants_changed_since
    from accounts.services import grant_add

    moment = timezone.now()
    assert not grants_changed_since(user=cast.taiyuan, when=moment)
    grant_add(user=cast.taiyuan, role="county_officer", region_code="140105")
    assert grants_changed_since(user=cast.taiyuan, when=moment)
    assert not grants_changed_since(user=cast.xiaodian, when=moment)
    later = timezone.now()
    cast.xiaodian.grants.get().delete()  # the admin site's deletion leaves a history row too
    assert grants_changed_since(user=cast.xiaodian, when=later)


def test_users_with_role_takes_several_regions_and_names_each_user_once(cast):
    from accounts.notifications import users_with_role
    from accounts.services import grant_add

    grant_add(user=cast.taiyuan, role="county_officer", region_code="140105")
    found = users_with_role(role=("county_officer", "city_staff"), region_code=("140105", "140100"))
    assert sorted(u.username for u in found) == ["taiyuan", "xiaodian"]
    assert users_with_role(role="county_officer", region_code="140105", department="fire") == []
    cast.xiaodian.is_active = False
    cast.xiaodian.save()
    assert users_with_role(role="county_officer", region_code=("140105",)) == [cast.taiyuan]


def test_the_bulk_grant_columns_are_the_grant_tables(db):
    from accounts.bulk import GRANT_COLUMNS, grant_table

    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, grant_table())
        }
    assert set(GRANT_COLUMNS) <= columns


def test_users_holding_finds_active_holders_by_role_and_region_each_once(cast):
    from accounts.selectors import users_holding

    cast.xiaodian.grants.create(role="county_officer", region_id="140106")  # a second county
    shanxi_officers = users_holding(roles=["county_officer"], within="14")
    assert sorted(shanxi_officers.values_list("username", flat=True)) == ["pingcheng", "xiaodian"]
    assert list(users_holding(roles=["county_officer"], region_code="140213")) == [cast.pingcheng]
    assert list(users_holding(roles=["county_officer"], within="1401")) == [cast.xiaodian]
    cast.pingcheng.is_active = False
    cast.pingcheng.save()
    assert list(users_holding(roles=["county_officer"], region_code="140213")) == []
