"""Changing one's own password (forced after someone else chose it, or at will), the
middleware that enforces the forced change, and the 我的账号 page."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from accounts.passwords import password_change
from accounts.services_profile import profile_update
from api.services import token_create
from tests.conftest import PASSWORD

NEW_PASSWORD = "Neue-Pass-2024!"


@pytest.fixture
def forced(cast):
    """The 小店区 officer, whose password an admin chose."""
    User.objects.filter(pk=cast.xiaodian.pk).update(must_change_password=True)
    cast.xiaodian.refresh_from_db()
    return cast.xiaodian


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def changed_events(kind=AuditEvent.Kind.PASSWORD_CHANGED) -> int:
    return AuditEvent.objects.filter(kind=kind).count()


# -- the service ---------------------------------------------------------------------------


def test_it_refuses_a_wrong_old_password_and_changes_nothing(forced):
    with pytest.raises(ValidationError) as caught:
        password_change(user=forced, old_password="Wrong-pass-1", new_password=NEW_PASSWORD)
    assert caught.value.message_dict == {"old_password": ["原密码不正确，请重新输入。"]}
    row = fresh(forced)
    assert row.check_password(PASSWORD) and row.must_change_password
    assert changed_events() == 0


@pytest.mark.parametrize(
    "weak, message",
    [
        ("Ab1!", "密码太短：至少须有 8 个字符"),
        ("alllowercaseletters", "密码须包含小写字母、大写字母、数字、其他符号中的至少 3 类"),
        ("Password1", "这个密码太常见了"),
        (PASSWORD, "新密码不能与原密码相同"),
    ],
)
def test_it_refuses_a_weak_new_password_in_chinese_and_changes_nothing(forced, weak, message):
    with pytest.raises(ValidationError) as caught:
        password_change(user=forced, old_password=PASSWORD, new_password=weak)
    assert any(message in m for m in caught.value.message_dict["new_password"])
    row = fresh(forced)
    assert row.check_password(PASSWORD) and row.must_change_password
    assert changed_events() == 0


def test_it_sets_the_password_clears_the_flag_and_audits(forced):
    password_change(user=forced, old_password=PASSWORD, new_password=NEW_PASSWORD)
    row = fresh(forced)
    assert row.check_password(NEW_PASSWORD) and not row.must_change_password
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PASSWORD_CHANGED)
    assert event.actor == forced and event.object_id == str(forced.pk)
    assert event.detail == {"forced": True}
    assert PASSWORD not in json.dumps(event.detail) and NEW_PASSWORD not in str(event.reason)


# -- the page ------------------------------------------------------------------------------


def change(client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password": new, "new_password_again": again or new},
    )


def test_the_forced_page_says_why(client, forced):
    client.force_login(forced)
    page = client.get(reverse("password_change")).content.decode()
    assert "初始密码或管理员重置的密码须修改后才能使用系统" in page
    assert "至少 3 类" in page  # the policy is shown before typing


def test_a_voluntary_change_does_not_claim_it_was_forced(client, cast):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("password_change")).content.decode()
    assert "修改密码" in page and "须修改后才能使用系统" not in page


def test_a_change_keeps_this_session_ends_the_others_and_lands_home(client, forced):
    other = Client()
    other.force_login(forced)
    client.force_login(forced)
    response = change(client)
    assert response.status_code == 302 and response.url == reverse("home")
    assert not fresh(forced).must_change_password
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "县级工作台" in home.content.decode()
    assert "密码已修改" in home.content.decode()
    # The session on the other device was signed with the old password's hash.
    assert other.get(reverse("home")).status_code == 302
    assert other.get(reverse("home")).url.startswith(reverse("login"))


def test_mismatched_new_passwords_are_refused_in_chinese(client, forced):
    client.force_login(forced)
    response = change(client, again="Other-Pass-2024!")
    assert response.status_code == 200
    assert "两次输入的新密码不一致" in response.content.decode()
    assert fresh(forced).check_password(PASSWORD) and changed_events() == 0


def test_a_wrong_old_password_on_the_page_shows_beside_the_field(client, forced):
    client.force_login(forced)
    response = change(client, old="Wrong-pass-1")
    assert response.status_code == 200
    assert "原密码不正确" in response.content.decode()
    assert fresh(forced).must_change_password


@pytest.mark.parametrize("bad", ["Neue\x00Pass-2024", "Neue\x07Pass-2024", "x" * 5000])
def test_hostile_passwords_get_a_chinese_answer_and_change_nothing(client, forced, bad):
    client.force_login(forced)
    response = change(client, new=bad)
    assert response.status_code in (200, 400)
    body = response.content.decode()
    assert "字符" in body or "密码" in body
    row = fresh(forced)
    assert row.check_password(PASSWORD) and row.must_change_password
    assert changed_events() == 0


def test_anonymous_visitors_are_sent_to_login(client, db):
    for name in ("password_change", "my_account"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# -- the middleware ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["home", "inspections:problems", "institutions:list", "notifications", "my_account"]
)
def test_a_forced_user_is_sent_to_the_change_page_from_any_page(client, forced, name):
    client.force_login(forced)
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url == reverse("password_change")


def test_a_forced_user_cannot_write_elsewhere_either(client, forced):
    client.force_login(forced)
    response = client.post(reverse("my_account"), {"email": "a@example.cn", "notify_by_email": "1"})
    assert response.status_code == 302 and response.url == reverse("password_change")
    assert fresh(forced).email == "" and changed_events(AuditEvent.Kind.USER_CHANGED) == 0


def test_signing_in_with_a_chosen_password_leads_to_the_change_page(client, forced):
    response = client.post(reverse("login"), {"username": "xiaodian", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("password_change")


def test_the_open_paths_stay_open_to_a_forced_user(client, forced):
    client.force_login(forced)
    assert client.get(reverse("password_change")).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    # A static file is served or missing, never redirected.
    assert client.get("/static/no-such-file.css").status_code == 404
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    client.cookies.pop("django_language", None)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_users_flag_does_not_touch_others(client, forced, cast):
    client.force_login(cast.pingcheng)
    assert client.get(reverse("home")).status_code == 200


def test_the_session_api_answers_a_forced_user_with_a_chinese_403(client, forced):
    client.force_login(forced)
    response = client.get("/api/v1/institutions/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "须修改后才能使用系统" in response.json()["detail"]


def test_htmx_requests_are_told_to_load_the_change_page(client, forced):
    client.force_login(forced)
    response = client.get(reverse("notifications"), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == reverse("password_change")


def test_token_calls_are_not_sessions_and_are_left_alone(client, cast):
    # A token made before the reset still acts for its user: the middleware sees sessions
    # only (revoking tokens on a reset is the reset's business).
    _token, secret = token_create(actor=cast.xiaodian, name="县局同步")
    User.objects.filter(pk=cast.xiaodian.pk).update(must_change_password=True)
    response = client.get("/api/v1/institutions/", headers={"Authorization": f"Token {secret}"})
    assert response.status_code == 200


# -- lock-out still applies -----------------------------------------------------------------


def test_lock_out_still_applies_to_a_forced_user(client, forced, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "xiaodian", "password": "Wrong-pass-1"})
    response = client.post(reverse("login"), {"username": "xiaodian", "password": PASSWORD})
    assert response.status_code == 429 and "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("password_change")).url.startswith(reverse("login"))


# -- 我的账号 ---------------------------------------------------------------------------------


def test_my_account_shows_who_where_and_which_roles(client, cast):
    User.objects.filter(pk=cast.xiaodian.pk).update(full_name="王小明")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("my_account")).content.decode()
    for text in ("xiaodian", "王小明", "山西省 太原市 小店区", "县级检查人员", "修改密码"):
        assert text in page
    assert reverse("password_change") in page


def test_my_account_of_a_user_without_a_role(client, cast):
    client.force_login(cast.outsider)
    page = client.get(reverse("my_account")).content.decode()
    assert "outsider" in page and "县级检查人员" not in page


def save_profile(client, email, notify="1"):
    return client.post(reverse("my_account"), {"email": email, "notify_by_email": notify})


def test_my_account_saves_the_address_and_the_choice_and_audits(client, cast):
    client.force_login(cast.xiaodian)
    response = save_profile(client, " officer@example.cn ", "0")
    assert response.status_code == 302 and response.url == reverse("my_account")
    row = fresh(cast.xiaodian)
    assert row.email == "officer@example.cn" and row.notify_by_email is False
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.USER_CHANGED)
    assert event.actor == cast.xiaodian
    assert event.detail == {"fields": ["email", "notify_by_email"], "notify_by_email": False}
    assert "officer@example.cn" not in json.dumps(event.detail)
    # Saving the same again writes nothing.
    save_profile(client, "officer@example.cn", "0")
    assert changed_events(AuditEvent.Kind.USER_CHANGED) == 1


@pytest.mark.parametrize(
    "email, notify, status, message",
    [
        ("a\x00@example.cn", "1", 400, "空字符"),
        ("a\x1b@example.cn", "1", 400, "控制字符"),
        ("a" * 300 + "@example.cn", "1", 200, "邮件地址最多 254 个字符"),
        ("a" * 100_000, "1", 200, "邮件地址最多 254 个字符"),
        ("not-an-address", "1", 200, "请输入有效的邮件地址"),
        ("", "1", 200, "选择同时发送邮件时，请填写邮件地址"),
        ("ok@example.cn", "maybe", 200, "选择一个有效的选项"),
        ("ok@example.cn", "", 200, "必填项"),
    ],
)
def test_my_account_refuses_bad_input_in_chinese_and_writes_nothing(
    client, cast, email, notify, status, message
):
    client.force_login(cast.xiaodian)
    response = save_profile(client, email, notify)
    assert response.status_code == status
    assert message in response.content.decode()
    row = fresh(cast.xiaodian)
    assert row.email == "" and row.notify_by_email is True
    assert changed_events(AuditEvent.Kind.USER_CHANGED) == 0


@pytest.mark.parametrize("email", ["a\x00@example.cn", "a\u0085@example.cn", "x" * 255])
def test_the_profile_service_refuses_what_no_form_let_through(cast, email):
    with pytest.raises(ValidationError) as caught:
        profile_update(user=cast.xiaodian, email=email, notify_by_email=False)
    assert caught.value.message_dict["email"]
    assert fresh(cast.xiaodian).email == ""
    assert changed_events(AuditEvent.Kind.USER_CHANGED) == 0
