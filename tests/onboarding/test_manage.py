"""账号管理: the services and every page, for a province admin (140000), a city admin of 太原
(140100) who must not reach 大同 (140200), and a county officer who reaches nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, RoleGrant, User
from tests.factories import UserFactory

CREATE = {
    "username": "zhang.san",
    "full_name": "张三",
    "phone": "13800000000",
    "email": "zhangsan@example.cn",
    "region": "140105",
    "role": "county_officer",
    "department": "education",
}


@pytest.fixture
def city_admin(cast):
    return UserFactory(username="tyadmin", grant=("admin", "140100"))


def state(user):
    """What a write could have touched on an account: its row, grants and audit trail."""
    user = User.objects.get(pk=user.pk)
    grants = sorted(
        RoleGrant.objects.filter(user=user).values_list("role", "region_id", "department")
    )
    return (
        user.full_name, user.phone, user.email, user.region_id, user.is_active,
        user.password, user.must_change_password, grants,
        AuditEvent.objects.count(), User.objects.count(),
    )  # fmt: skip


def login(client, user):
    client.force_login(user)
    return client


# -- services -----------------------------------------------------------------------------


def test_user_update_changes_the_fields_and_audits_what_changed(cast):
    user = cast.xiaodian
    services.user_update(user=user, actor=cast.admin, full_name="李四", phone="13900000000",
                         email="lisi@example.cn", region_code="140106")  # fmt: skip
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.region_id) == ("李四", "13900000000", "140106")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.USER_CHANGED, object_id=str(user.pk))
    assert event.actor == cast.admin
    assert event.detail["changed"]["region_id"] == ["140105", "140106"]
    assert event.detail["changed"]["phone"] is True  # a contact is named, not repeated
    assert user.history.count() >= 2


def test_user_update_without_a_change_writes_nothing(cast):
    user = cast.xiaodian
    before = state(user)
    services.user_update(user=user, actor=cast.admin, full_name=user.full_name, phone="",
                         email="", region_code="140105")  # fmt: skip
    assert state(user) == before


def test_city_admin_cannot_move_an_account_out_of_their_city(cast, city_admin):
    before = state(cast.xiaodian)
    with pytest.raises(ValidationError) as exc:
        services.user_update(user=cast.xiaodian, actor=city_admin, full_name="王五", phone="",
                             email="", region_code="140213")  # fmt: skip
    assert "不在您管理的地区内" in str(exc.value.message_dict["region"])
    assert state(cast.xiaodian) == before


def test_city_admin_cannot_change_an_account_of_another_city(cast, city_admin):
    before = state(cast.pingcheng)
    for write in (
        lambda: services.user_update(
            user=cast.pingcheng,
            actor=city_admin,
            full_name="x",
            phone="",
            email="",
            region_code="140213",
        ),  # fmt: skip
        lambda: services.user_set_active(user=cast.pingcheng, actor=city_admin, active=False),
        lambda: services.password_reset(user=cast.pingcheng, actor=city_admin),
        lambda: services.grant_add(
            user=cast.pingcheng, actor=city_admin, role="county_officer", region_code="140105"
        ),  # fmt: skip
    ):
        with pytest.raises(ValidationError, match="不在您管理的地区内"):
            write()
    assert state(cast.pingcheng) == before


def test_switching_off_and_on_is_audited_and_an_admin_cannot_switch_off_themselves(cast):
    services.user_set_active(user=cast.xiaodian, actor=cast.admin, active=False)
    assert not User.objects.get(pk=cast.xiaodian.pk).is_active
    services.user_set_active(user=cast.xiaodian, actor=cast.admin, active=True)
    assert User.objects.get(pk=cast.xiaodian.pk).is_active
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_CHANGED).count() == 2
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        services.user_set_active(user=cast.admin, actor=cast.admin, active=False)
    assert User.objects.get(pk=cast.admin.pk).is_active


def test_password_reset_returns_a_one_time_password_kept_only_hashed(cast):
    password = services.password_reset(user=cast.xiaodian, actor=cast.admin)
    user = User.objects.get(pk=cast.xiaodian.pk)
    assert user.check_password(password) and user.must_change_password
    assert password not in user.password
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PASSWORD_RESET)
    assert event.object_id == str(user.pk) and password not in str(event.detail)
    assert not any(password in str(row.__dict__) for row in user.history.all())


def test_grant_add_with_an_actor_applies_delegation_and_audits(cast, city_admin):
    grant = services.grant_add(user=cast.xiaodian, actor=city_admin, role="county_officer",
                               region_code="140106", department="fire")  # fmt: skip
    assert grant.user == cast.xiaodian and grant.region_id == "140106"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.GRANT_CHANGED)
    assert event.actor == city_admin and event.detail["added"]["department"] == "fire"


@pytest.mark.parametrize(
    ("role", "region", "reason"),
    [
        ("province_staff", "140000", "不在您管理的地区内"),
        ("admin", "140100", "只能由省级系统管理员授予"),
        ("auditor", "140100", "只能由省级系统管理员授予"),
    ],
)
def test_city_admin_cannot_grant_on_the_province_or_give_admin_or_auditor(
    cast, city_admin, role, region, reason
):
    before = state(cast.taiyuan)
    with pytest.raises(ValidationError, match=reason):
        services.grant_add(user=cast.taiyuan, actor=city_admin, role=role, region_code=region)
    assert state(cast.taiyuan) == before


def test_a_duplicate_grant_is_refused_in_chinese(cast):
    before = state(cast.xiaodian)
    with pytest.raises(ValidationError, match="已有这一授权"):
        services.grant_add(user=cast.xiaodian, actor=cast.admin, role="county_officer",
                           region_code="140105")  # fmt: skip
    assert state(cast.xiaodian) == before


def test_grant_add_without_an_actor_still_serves_the_tooling(regions):
    user = User.objects.create(username="bench-x")
    services.grant_add(user=user, role="province_staff", region_code="140000")
    user.refresh_from_db()
    assert user.region_id == "140000" and user.grants.count() == 1


def test_grant_remove_counts_what_is_left_and_refuses_the_own_admin_grant(cast, city_admin):
    extra = services.grant_add(user=cast.xiaodian, actor=cast.admin, role="county_officer",
                               region_code="140106")  # fmt: skip
    assert services.grant_remove(grant=extra, actor=city_admin) == 1
    only = cast.xiaodian.grants.get()
    assert services.grant_remove(grant=only, actor=cast.admin) == 0
    assert not RoleGrant.objects.filter(user=cast.xiaodian).exists()
    own = city_admin.grants.get()
    with pytest.raises(ValidationError, match="不能移除自己的授权"):
        services.grant_remove(grant=own, actor=city_admin)
    assert RoleGrant.objects.filter(pk=own.pk).exists()
    removed = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.GRANT_CHANGED, detail__has_key="removed"
    )
    assert removed.count() == 2


def test_city_admin_cannot_remove_a_grant_they_could_not_give(cast, city_admin):
    # A 太原 account that also holds an auditor grant on the province.
    services.grant_add(user=cast.taiyuan, actor=cast.admin, role="auditor", region_code="140000")
    before = state(cast.taiyuan)
    auditor = cast.taiyuan.grants.get(role="auditor")
    with pytest.raises(ValidationError, match="不在您管理的地区内"):
        services.grant_remove(grant=auditor, actor=city_admin)
    assert state(cast.taiyuan) == before


# -- pages --------------------------------------------------------------------------------


def test_province_admin_lists_every_account_and_filters(client, cast):
    login(client, cast.admin)
    body = client.get(reverse("onboarding:users")).content.decode()
    for name in ("xiaodian", "pingcheng", "taiyuan", "province", "auditor"):
        assert name in body
    found = client.get(reverse("onboarding:users"), {"q": "ping"}).content.decode()
    assert "pingcheng" in found and "xiaodian" not in found
    found = client.get(reverse("onboarding:users"), {"region": "140100"}).content.decode()
    assert "xiaodian" in found and "taiyuan" in found and "pingcheng" not in found
    found = client.get(reverse("onboarding:users"), {"role": "city_staff"}).content.decode()
    assert "taiyuan" in found and "xiaodian" not in found
    services.user_set_active(user=cast.xiaodian, actor=cast.admin, active=False)
    found = client.get(reverse("onboarding:users"), {"active": "0"}).content.decode()
    assert "xiaodian" in found and "pingcheng" not in found
    # A filter value that is not offered is ignored, not a 500.
    assert (
        client.get(reverse("onboarding:users"), {"region": "999999", "page": "x"}).status_code
        == 200
    )


def test_city_admin_lists_only_their_city_and_is_offered_only_its_regions(client, cast, city_admin):
    login(client, city_admin)
    body = client.get(reverse("onboarding:users")).content.decode()
    assert "xiaodian" in body and "taiyuan" in body
    assert "pingcheng" not in body and ">province" not in body
    assert (
        'value="140100"' in body and 'value="140000"' not in body and 'value="140213"' not in body
    )
    assert "平城区" not in client.get(reverse("onboarding:user_new")).content.decode()


def test_admin_creates_an_account_and_sees_the_password_once(client, cast):
    login(client, cast.admin)
    response = client.post(reverse("onboarding:user_new"), CREATE)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    user = User.objects.get(username="zhang.san")
    password = response.context["password"]
    assert password in response.content.decode() and user.check_password(password)
    assert user.must_change_password and user.region_id == "140105"
    assert "首次登录" in response.content.decode()
    assert password not in client.get(reverse("onboarding:user", args=[user.pk])).content.decode()


def test_city_admin_creating_a_province_account_is_refused_with_the_reason(
    client, cast, city_admin
):
    login(client, city_admin)
    count = User.objects.count()
    response = client.post(
        reverse("onboarding:user_new"), CREATE | {"region": "140000", "role": "province_staff"}
    )
    assert response.status_code == 400
    assert "不在您管理的地区内" in response.content.decode()
    response = client.post(
        reverse("onboarding:user_new"), CREATE | {"region": "140100", "role": "admin"}
    )
    assert "只能由省级系统管理员授予" in response.content.decode()
    assert User.objects.count() == count


def test_admin_edits_an_account_on_its_page(client, cast):
    login(client, cast.admin)
    url = reverse("onboarding:user", args=[cast.xiaodian.pk])
    page = client.get(url)
    assert page.status_code == 200 and "xiaodian" in page.content.decode()
    data = {"full_name": "赵六", "phone": "0351-1234567", "email": "", "region": "140106"}
    response = client.post(url, data, follow=True)
    assert "账号信息已保存" in response.content.decode()
    user = User.objects.get(pk=cast.xiaodian.pk)
    assert (user.full_name, user.region_id, user.username) == ("赵六", "140106", "xiaodian")
    body = response.content.decode()
    assert "修改账号" in body and "所属地区" in body  # the audit event and the history row


def test_admin_switches_off_resets_and_manages_grants_through_the_pages(client, cast):
    login(client, cast.admin)
    pk = cast.xiaodian.pk
    client.post(reverse("onboarding:user_active", args=[pk]), {"active": "0"})
    assert not User.objects.get(pk=pk).is_active
    client.post(reverse("onboarding:user_active", args=[pk]), {"active": "1"})
    assert User.objects.get(pk=pk).is_active
    response = client.post(reverse("onboarding:user_password_reset", args=[pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert User.objects.get(pk=pk).check_password(response.context["password"])
    assert "登录后须立即修改密码" in response.content.decode()
    client.post(reverse("onboarding:grant_add", args=[pk]),
                {"grant-role": "vetting_officer", "grant-region": "140105",
                 "grant-department": "education"})  # fmt: skip
    assert RoleGrant.objects.filter(user_id=pk).count() == 2
    for grant in RoleGrant.objects.filter(user_id=pk):
        response = client.post(reverse("onboarding:grant_remove", args=[pk, grant.pk]), follow=True)
    assert "已没有任何授权" in response.content.decode()
    assert not RoleGrant.objects.filter(user_id=pk).exists()


def test_admin_cannot_switch_themselves_off_on_the_page(client, cast):
    login(client, cast.admin)
    response = client.post(
        reverse("onboarding:user_active", args=[cast.admin.pk]), {"active": "0"}, follow=True
    )
    assert "不能停用自己的账号" in response.content.decode()
    assert User.objects.get(pk=cast.admin.pk).is_active


def test_city_admin_granting_on_the_province_is_refused_on_the_page(client, cast, city_admin):
    login(client, city_admin)
    before = state(cast.taiyuan)
    url = reverse("onboarding:grant_add", args=[cast.taiyuan.pk])
    for role, region, reason in (("province_staff", "140000", "不在您管理的地区内"),
                                 ("auditor", "140100", "只能由省级系统管理员授予")):  # fmt: skip
        response = client.post(url, {"grant-role": role, "grant-region": region,
                                      "grant-department": "education"})  # fmt: skip
        assert response.status_code == 400 and reason in response.content.decode()
    assert state(cast.taiyuan) == before


def _writes(user, grant):
    pk = user.pk
    return [
        ("get", reverse("onboarding:user", args=[pk]), {}),
        ("post", reverse("onboarding:user", args=[pk]),
         {"full_name": "改名", "phone": "", "email": "", "region": "140213"}),
        ("post", reverse("onboarding:user_active", args=[pk]), {"active": "0"}),
        ("post", reverse("onboarding:user_password_reset", args=[pk]), {}),
        ("post", reverse("onboarding:grant_add", args=[pk]),
         {"grant-role": "county_officer", "grant-region": "140213", "grant-department": "fire"}),
        ("post", reverse("onboarding:grant_remove", args=[pk, grant.pk]), {}),
    ]  # fmt: skip


def test_city_admin_gets_404_for_every_page_of_a_datong_account_and_nothing_changes(
    client, cast, city_admin
):
    login(client, city_admin)
    before = state(cast.pingcheng)
    for method, url, data in _writes(cast.pingcheng, cast.pingcheng.grants.get()):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert state(cast.pingcheng) == before


def test_a_grant_of_another_account_is_404(client, cast):
    login(client, cast.admin)
    other = cast.pingcheng.grants.get()
    url = reverse("onboarding:grant_remove", args=[cast.xiaodian.pk, other.pk])
    assert client.post(url).status_code == 404
    assert RoleGrant.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "auditor", "outsider"])
def test_everyone_but_an_admin_gets_403_on_every_page(client, cast, member):
    login(client, getattr(cast, member))
    before = state(cast.pingcheng)
    pages = [("get", reverse("onboarding:users"), {}), ("get", reverse("onboarding:user_new"), {}),
             ("post", reverse("onboarding:user_new"), CREATE)]  # fmt: skip
    for method, url, data in pages + _writes(cast.pingcheng, cast.pingcheng.grants.get()):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert state(cast.pingcheng) == before


def test_anonymous_is_sent_to_the_login_page(client, cast):
    response = client.get(reverse("onboarding:users"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- bad input ----------------------------------------------------------------------------

BAD = [
    ("\t", "制表符"),
    ("\n", "换行符"),
    ("\x00", "空字符"),
    ("\x1b", "控制字符"),
    ("x" * 5000, "不超过"),
]


def refused(response, message) -> bool:
    """A 400 naming the problem in Chinese: the form's message beside the field (tab, line
    feed, length, format) or the input check's page (NUL and other control characters)."""
    body = response.content.decode()
    known = (message, "不正确", "只能包含", "有效的")
    return response.status_code == 400 and any(text in body for text in known)


@pytest.mark.parametrize(("value", "message"), BAD)
def test_create_form_refuses_bad_text_in_chinese_and_writes_nothing(client, cast, value, message):
    login(client, cast.admin)
    count, events = User.objects.count(), AuditEvent.objects.count()
    for field in ("username", "full_name", "phone", "email", "region", "role", "department"):
        response = client.post(reverse("onboarding:user_new"), CREATE | {field: f"a{value}b"})
        assert refused(response, message), field
    assert User.objects.count() == count and AuditEvent.objects.count() == events


@pytest.mark.parametrize(("value", "message"), BAD)
def test_edit_form_refuses_bad_text_in_chinese_and_writes_nothing(client, cast, value, message):
    login(client, cast.admin)
    before = state(cast.xiaodian)
    url = reverse("onboarding:user", args=[cast.xiaodian.pk])
    for field in ("full_name", "phone", "email", "region"):
        data = {"full_name": "赵六", "phone": "", "email": "", "region": "140105"}
        response = client.post(url, data | {field: f"1{value}1"})
        assert refused(response, message), field
    assert state(cast.xiaodian) == before


@pytest.mark.parametrize(("value", "message"), BAD)
def test_grant_and_switch_forms_refuse_bad_values_and_write_nothing(client, cast, value, message):
    login(client, cast.admin)
    before = state(cast.xiaodian)
    url = reverse("onboarding:grant_add", args=[cast.xiaodian.pk])
    for field in ("grant-role", "grant-region", "grant-department"):
        data = {"grant-role": "vetting_officer", "grant-region": "140105",
                "grant-department": "education"}  # fmt: skip
        assert refused(client.post(url, data | {field: f"1{value}1"}), message), field
    response = client.post(reverse("onboarding:user_active", args=[cast.xiaodian.pk]),
                           {"active": f"0{value}"})  # fmt: skip
    assert response.status_code in (302, 400) and response.status_code < 500
    assert state(cast.xiaodian) == before


@pytest.mark.parametrize(("value", "message"), BAD)
def test_list_search_with_bad_text_is_a_chinese_answer_not_a_500(client, cast, value, message):
    login(client, cast.admin)
    response = client.get(reverse("onboarding:users"), {"q": value, "region": value})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert message in response.content.decode()


def test_home_page_links_to_account_management_instead_of_the_shell(client, cast):
    login(client, cast.admin)
    body = client.get(reverse("home")).content.decode()
    assert reverse("onboarding:users") in body and "manage.py create_user" not in body


# -- accounts that reach beyond the admin, peers and oneself (issue #20) -------------------


def _reaching_beyond(cast):
    """太原 accounts a city admin of 太原 must not manage: one that also works for the
    province (province_staff on 140000), one that is the province's admin, one that also
    holds a grant in 大同, and a peer admin of 太原."""
    staff = UserFactory(username="ty_and_province", grant=("county_officer", "140105"))
    RoleGrant.objects.create(user=staff, role="province_staff", region_id="140000")
    admin = UserFactory(username="ty_province_admin", grant=("county_officer", "140105"))
    RoleGrant.objects.create(user=admin, role="admin", region_id="140000")
    datong = UserFactory(username="ty_and_datong", grant=("county_officer", "140105"))
    RoleGrant.objects.create(user=datong, role="county_officer", region_id="140213")
    peer = UserFactory(username="ty_peer_admin", grant=("admin", "140100"))
    return [staff, admin, datong, peer]


def test_city_admin_gets_404_for_an_account_reaching_beyond_the_city(client, cast, city_admin):
    accounts = _reaching_beyond(cast)
    login(client, city_admin)
    listed = client.get(reverse("onboarding:users")).content.decode()
    assert "xiaodian" in listed
    for account in accounts:
        assert account.username not in listed
        before = state(account)
        for grant in account.grants.all():
            for method, url, data in _writes(account, grant):
                assert getattr(client, method)(url, data).status_code == 404, (account, url)
        assert state(account) == before


def _service_writes(account, actor):
    return (
        lambda: services.user_update(user=account, actor=actor, full_name="x", phone="",
                                     email="", region_code="140105"),
        lambda: services.user_set_active(user=account, actor=actor, active=False),
        lambda: services.password_reset(user=account, actor=actor),
        lambda: services.grant_add(user=account, actor=actor, role="county_officer",
                                   region_code="140106"),
        lambda: services.grant_remove(grant=account.grants.order_by("pk").first(), actor=actor),
    )  # fmt: skip


def test_the_services_refuse_a_city_admin_an_account_reaching_beyond_the_city(cast, city_admin):
    for account in _reaching_beyond(cast):
        before = state(account)
        for write in _service_writes(account, city_admin):
            with pytest.raises(ValidationError, match="不在您管理的地区内"):
                write()
        assert state(account) == before, account


def test_the_province_admin_still_manages_them(client, cast):
    accounts = _reaching_beyond(cast)
    login(client, cast.admin)
    for account in accounts:
        assert client.get(reverse("onboarding:user", args=[account.pk])).status_code == 200
        response = client.post(reverse("onboarding:user_password_reset", args=[account.pk]))
        assert response.status_code == 200
        assert User.objects.get(pk=account.pk).check_password(response.context["password"])


def _own_writes(admin):
    own = admin.grants.get()
    return (
        (lambda: services.grant_add(user=admin, actor=admin, role="county_officer",
                                    region_code="140105"), "不能给自己添加授权"),
        (lambda: services.grant_remove(grant=own, actor=admin), "不能移除自己的授权"),
        (lambda: services.password_reset(user=admin, actor=admin), "修改密码"),
        (lambda: services.user_set_active(user=admin, actor=admin, active=False),
         "不能停用自己的账号"),
        (lambda: services.user_set_active(user=admin, actor=admin, active=True),
         "不能启用自己的账号"),
    )  # fmt: skip


def test_an_admin_cannot_act_on_their_own_account(cast, city_admin):
    for admin in (cast.admin, city_admin):
        before = state(admin)
        for write, reason in _own_writes(admin):
            with pytest.raises(ValidationError, match=reason):
                write()
        assert state(admin) == before


def test_an_admin_cannot_reset_or_regrant_themselves_on_the_pages(client, cast):
    login(client, cast.admin)
    before = state(cast.admin)
    pk = cast.admin.pk
    response = client.post(reverse("onboarding:user_password_reset", args=[pk]), follow=True)
    body = response.content.decode()
    assert "不能在这里重置自己的密码" in body and "password" not in response.context
    response = client.post(reverse("onboarding:grant_add", args=[pk]),
                           {"grant-role": "county_officer", "grant-region": "140105",
                            "grant-department": "education"})  # fmt: skip
    assert response.status_code == 400 and "不能给自己添加授权" in response.content.decode()
    own = cast.admin.grants.get()
    response = client.post(reverse("onboarding:grant_remove", args=[pk, own.pk]), follow=True)
    assert "不能移除自己的授权" in response.content.decode()
    assert state(cast.admin) == before


# -- a department user names their department (issue #20) ---------------------------------

DEPARTMENT_USER = "部门用户须选择教育以外的部门"


def test_the_forms_preselect_no_department(client, cast):
    login(client, cast.admin)
    for url in (
        reverse("onboarding:user_new"),
        reverse("onboarding:user", args=[cast.xiaodian.pk]),
    ):
        body = client.get(url).content.decode()
        assert 'value="education" selected' not in body, url


@pytest.mark.parametrize("department", ["", "education"])
def test_a_department_user_of_education_is_refused_everywhere(client, cast, department):
    with pytest.raises(ValidationError, match=DEPARTMENT_USER):
        services.user_create(username="dept.edu", role="department_user", region_code="140105",
                             department="education", actor=cast.admin)  # fmt: skip
    login(client, cast.admin)
    count, before = User.objects.count(), state(cast.xiaodian)
    data = CREATE | {"role": "department_user", "department": department}
    response = client.post(reverse("onboarding:user_new"), data)
    assert response.status_code == 400 and DEPARTMENT_USER in response.content.decode()
    response = client.post(reverse("onboarding:grant_add", args=[cast.xiaodian.pk]),
                           {"grant-role": "department_user", "grant-region": "140105",
                            "grant-department": department})  # fmt: skip
    assert response.status_code == 400 and DEPARTMENT_USER in response.content.decode()
    with pytest.raises(ValidationError, match=DEPARTMENT_USER):
        services.grant_add(user=cast.xiaodian, actor=cast.admin, role="department_user",
                           region_code="140105", department="education")  # fmt: skip
    assert User.objects.count() == count and state(cast.xiaodian) == before


def test_a_blank_department_is_education_for_the_education_roles(client, cast):
    login(client, cast.admin)
    response = client.post(reverse("onboarding:user_new"), CREATE | {"department": ""})
    assert response.status_code == 200
    grant = User.objects.get(username="zhang.san").grants.get()
    assert (grant.role, grant.department) == ("county_officer", "education")
    client.post(reverse("onboarding:user_new"),
                CREATE | {"username": "fire.one", "role": "department_user", "department": "fire"})  # fmt: skip
    assert User.objects.get(username="fire.one").grants.get().department == "fire"
