"""机构账号: the county opens, resets and switches off the account an institution signs in with
(institutions/accounts.py, views_accounts.py)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, RoleGrant, User
from accounts.scope import Scope, scope_for
from accounts.services import user_create
from core.models import Region
from institutions.accounts import institution_account_open, institution_account_reset
from institutions.models import InstitutionAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def open_for(officer, institution):
    return institution_account_open(
        institution=institution, actor=officer, scope=scope_for(officer)
    )


def test_the_county_opens_an_account_named_after_the_credit_code(cast, places):
    account, password = open_for(cast.xiaodian, places.xiaodian)
    user = account.user
    assert user.username == places.xiaodian.credit_code
    assert user.check_password(password) and user.must_change_password
    assert user.region_id == "140105" and not user.notify_by_email
    assert list(user.grants.values_list("role", "region_id")) == [("institution", "140105")]
    assert AuditEvent.objects.filter(kind="user_created", object_id=str(user.pk)).exists()
    assert Scope.for_user(user).own_institution() == places.xiaodian.pk
    # A second account (the safety officer's) gets the next free name.
    second, _password = open_for(cast.xiaodian, places.xiaodian)
    assert second.user.username == f"{places.xiaodian.credit_code}-2"


def test_nobody_else_acts_for_an_institution(cast, places):
    assert scope_for(cast.xiaodian).own_institution() is None
    assert scope_for(cast.admin).own_institution() is None


def test_another_countys_officer_cannot_open_an_account(cast, places):
    with pytest.raises(ValidationError, match="不在您管理的地区内"):
        open_for(cast.pingcheng, places.xiaodian)
    with pytest.raises(PermissionDenied):
        open_for(cast.taiyuan, places.xiaodian)
    assert not InstitutionAccount.objects.exists()


def test_the_institution_role_is_never_given_as_a_bare_grant(cast, places):
    with pytest.raises(ValidationError, match="机构的页面上开通"):
        user_create(username="bare", role="institution", region_code="140105", actor=cast.admin)
    assert not User.objects.filter(username="bare").exists()


def test_the_account_limit_is_kept(cast, places, monkeypatch):
    monkeypatch.setattr("institutions.accounts.ACCOUNTS_PER_INSTITUTION", 1)
    open_for(cast.xiaodian, places.xiaodian)
    with pytest.raises(ValidationError, match="最多开通 1 个账号"):
        open_for(cast.xiaodian, places.xiaodian)
    assert InstitutionAccount.objects.count() == 1


# -- pages: every method, every kind of caller ------------------------------------------


def test_the_institution_page_offers_the_panel_to_its_county_only(client, cast, places):
    url = reverse("institutions:detail", args=[places.xiaodian.pk])
    client.force_login(cast.xiaodian)
    assert b'data-testid="institution-accounts"' in client.get(url).content
    client.force_login(cast.taiyuan)
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="institution-accounts"' not in page.content


def test_opening_shows_the_password_once_without_caching(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("institutions:account_open", args=[places.xiaodian.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(institution_account__institution=places.xiaodian)
    assert user.username in response.content.decode()
    assert b'data-testid="password-value"' in response.content


@pytest.mark.parametrize(
    ("member", "status"), [("anonymous", 302), ("pingcheng", 404), ("taiyuan", 403),
                           ("auditor", 403), ("outsider", 403)],
)  # fmt: skip
def test_opening_out_of_reach_changes_nothing(client, cast, places, member, status):
    if member != "anonymous":
        client.force_login(getattr(cast, member))
    response = client.post(reverse("institutions:account_open", args=[places.xiaodian.pk]))
    assert response.status_code == status
    assert not InstitutionAccount.objects.exists()


def test_a_fire_officer_of_the_county_is_refused(client, cast, places):
    fire = UserFactory(username="fire_cty", grant=("county_officer", "140105"))
    RoleGrant.objects.filter(user=fire).update(department="fire")
    client.force_login(fire)
    response = client.post(reverse("institutions:account_open", args=[places.xiaodian.pk]))
    assert response.status_code == 403
    assert not InstitutionAccount.objects.exists()


@pytest.mark.parametrize(
    ("member", "status"), [("pingcheng", 404), ("taiyuan", 403), ("anonymous", 302)]
)
def test_reset_and_switch_off_out_of_reach_change_nothing(client, cast, places, member, status):
    account, password = open_for(cast.xiaodian, places.xiaodian)
    if member != "anonymous":
        client.force_login(getattr(cast, member))
    reset = client.post(reverse("institutions:account_reset", args=[account.pk]))
    off = client.post(reverse("institutions:account_active", args=[account.pk]), {"active": "0"})
    assert (reset.status_code, off.status_code) == (status, status)
    account.user.refresh_from_db()
    assert account.user.check_password(password) and account.user.is_active


def test_the_county_resets_and_switches_an_account_off_and_on(client, cast, places):
    account, password = open_for(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)
    reset = client.post(reverse("institutions:account_reset", args=[account.pk]))
    assert reset.status_code == 200 and reset["Cache-Control"] == "no-store"
    account.user.refresh_from_db()
    assert not account.user.check_password(password) and account.user.must_change_password
    active = reverse("institutions:account_active", args=[account.pk])
    assert client.post(active, {"active": "0"}).status_code == 302
    account.user.refresh_from_db()
    assert not account.user.is_active
    client.post(active, {"active": "1"})
    account.user.refresh_from_db()
    assert account.user.is_active


@pytest.mark.parametrize("value", ["", "2", "0\x00", "1" * 100_000])
def test_a_bad_switch_value_is_refused_in_chinese(client, cast, places, value):
    account, _password = open_for(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("institutions:account_active", args=[account.pk]), {"active": value}, follow=True
    )
    assert response.status_code in (200, 400)
    assert (
        "请选择启用或停用" in response.content.decode() or "控制字符" in response.content.decode()
    )
    account.user.refresh_from_db()
    assert account.user.is_active


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("xiaodian", "已存在"),
        ("bad\x00name", "用户名"),
        ("有 空格", "用户名"),
        ("x" * 200, "最多 150 个字符"),
    ],
)
def test_a_chosen_username_is_checked(cast, places, username, message):
    with pytest.raises(ValidationError, match=message):
        institution_account_open(
            institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
            username=username, password="Demo-pass-2023",
        )  # fmt: skip
    assert not InstitutionAccount.objects.exists()


def test_a_chosen_password_needs_no_change_and_meets_the_policy(cast, places):
    scope = scope_for(cast.xiaodian)
    with pytest.raises(ValidationError):
        institution_account_open(
            institution=places.xiaodian, actor=cast.xiaodian, scope=scope, password="123"
        )
    account, password = institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope, username="jigou_demo",
        password="Demo-pass-2023",
    )  # fmt: skip
    assert password == "Demo-pass-2023" and not account.user.must_change_password


def test_switching_on_again_keeps_the_limit(cast, places, monkeypatch):
    from institutions.accounts import institution_account_set_active

    monkeypatch.setattr("institutions.accounts.ACCOUNTS_PER_INSTITUTION", 1)
    scope = scope_for(cast.xiaodian)
    first, _password = open_for(cast.xiaodian, places.xiaodian)
    institution_account_set_active(account=first, actor=cast.xiaodian, scope=scope, active=False)
    open_for(cast.xiaodian, places.xiaodian)  # the slot the first one freed
    with pytest.raises(ValidationError, match="最多开通 1 个账号"):
        institution_account_set_active(account=first, actor=cast.xiaodian, scope=scope, active=True)
    first.user.refresh_from_db()
    assert not first.user.is_active


def test_a_province_admin_opens_an_account_and_a_department_user_cannot(client, cast, places):
    client.force_login(cast.admin)
    url = reverse("institutions:account_open", args=[places.xiaodian.pk])
    assert client.post(url).status_code == 200
    fire = UserFactory(username="fire_dept", grant=("department_user", "140105", "fire"))
    client.force_login(fire)
    assert client.post(url).status_code == 403
    assert InstitutionAccount.objects.count() == 1


def test_an_institution_moved_to_another_city_takes_its_account_along(cast, places):
    from accounts.delegation import managed_users
    from institutions.services import institution_update

    account, _password = open_for(cast.xiaodian, places.xiaodian)
    taiyuan_admin = UserFactory(username="admin_ty", grant=("admin", "140100"))
    datong_admin = UserFactory(username="admin_dt", grant=("admin", "140200"))
    assert managed_users(scope_for(taiyuan_admin)).filter(pk=account.user_id).exists()
    institution_update(
        institution=places.xiaodian, actor=cast.admin, county=Region.objects.get(code="140213")
    )
    user = User.objects.get(pk=account.user_id)
    assert user.region_id == "140213"
    assert list(user.grants.values_list("role", "region_id")) == [("institution", "140213")]
    assert not managed_users(scope_for(taiyuan_admin)).filter(pk=user.pk).exists()
    assert managed_users(scope_for(datong_admin)).filter(pk=user.pk).exists()
    assert AuditEvent.objects.filter(kind="grant_changed", object_id=str(user.pk)).exists()
    # The new county's officer manages it now; the old one no longer does.
    account = InstitutionAccount.objects.get(pk=account.pk)
    assert institution_account_reset(account=account, actor=cast.pingcheng,
                                     scope=scope_for(cast.pingcheng))  # fmt: skip
    with pytest.raises(ValidationError):
        institution_account_reset(account=account, actor=cast.xiaodian,
                                  scope=scope_for(cast.xiaodian))  # fmt: skip


def test_an_officer_of_education_elsewhere_and_fire_here_gets_404(client, cast, places):
    """Education in 平城区, fire rescue in 小店区: the 小店区 institution's accounts are not
    theirs to manage, and the page answers as if it did not exist."""
    officer = UserFactory(username="two_hats", grant=("county_officer", "140213"))
    RoleGrant.objects.create(
        user=officer, role="county_officer", region_id="140105", department="fire"
    )
    account, password = open_for(cast.xiaodian, places.xiaodian)
    client.force_login(officer)
    opened = client.post(reverse("institutions:account_open", args=[places.xiaodian.pk]))
    reset = client.post(reverse("institutions:account_reset", args=[account.pk]))
    assert (opened.status_code, reset.status_code) == (404, 404)
    assert InstitutionAccount.objects.count() == 1
    account.user.refresh_from_db()
    assert account.user.check_password(password)
