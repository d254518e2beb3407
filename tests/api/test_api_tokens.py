"""API tokens: made and shown once, stored hashed, acting with exactly their user's scope,
revoked or expired → 401, every creation and revocation audited; the token page; and the
issue's Done-means: an outside program lists one county's overdue rectification tasks."""

import datetime as dt
import json
import urllib.request
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from api import services
from api.models import ApiToken
from inspections.models import RectificationTask
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_problems import inspected, seed_campaign


def auth(secret: str) -> dict:
    return {"Authorization": f"Token {secret}"}


# -- the service ---------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_as_its_digest(cast):
    token, secret = services.token_create(actor=cast.xiaodian, name="县局同步")
    assert secret.startswith("aq_") and len(secret) > 40
    assert token.prefix == secret[:10] and token.digest == services.digest(secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert secret not in [str(v) for v in row]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.API_TOKEN)
    assert (event.actor, event.object_id, event.reason) == (
        cast.xiaodian,
        str(token.pk),
        "创建 API 令牌",
    )
    assert event.detail == {"name": "县局同步", "prefix": token.prefix, "expires_on": None}
    assert secret not in json.dumps(event.detail)


def test_two_tokens_never_share_a_secret(cast):
    first = services.token_create(actor=cast.xiaodian, name="一")[1]
    second = services.token_create(actor=cast.xiaodian, name="二")[1]
    assert first != second and ApiToken.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "expires_on", "field", "message"),
    [
        ("  ", None, "name", "请填写令牌名称"),
        ("x" * 101, None, "name", "令牌名称不能超过 100 个字"),
        ("同步", dt.date(2020, 1, 1), "expires_on", "到期日期须晚于今天"),
    ],
)
def test_it_refuses_a_bad_token_request_and_writes_nothing(cast, name, expires_on, field, message):
    with pytest.raises(ValidationError) as info:
        services.token_create(actor=cast.xiaodian, name=name, expires_on=expires_on)
    assert info.value.message_dict == {field: [message]}
    assert not ApiToken.objects.exists() and not AuditEvent.objects.exists()


def test_a_user_without_a_role_cannot_hold_a_token(cast):
    with pytest.raises(PermissionDenied):
        services.token_create(actor=cast.outsider, name="x")
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_and_revoking_twice_logs_once(cast):
    token, _secret = services.token_create(actor=cast.xiaodian, name="同步")
    with pytest.raises(PermissionDenied):
        services.token_revoke(token=token, actor=cast.pingcheng)
    services.token_revoke(token=token, actor=cast.xiaodian)
    services.token_revoke(token=token, actor=cast.xiaodian)
    assert token.revoked_at is not None
    reasons = list(AuditEvent.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["创建 API 令牌", "吊销 API 令牌"]


# -- authentication ------------------------------------------------------------------------


def test_a_token_acts_with_exactly_its_users_scope(client, cast, places):
    _token, secret = services.token_create(actor=cast.xiaodian, name="同步")
    listed = client.get(reverse("api:institution-list"), headers=auth(secret)).json()
    assert [r["name"] for r in listed["results"]] == [places.xiaodian.name]
    other = reverse("api:institution-detail", args=[places.pingcheng.pk])
    assert client.get(other, headers=auth(secret)).status_code == 404
    # A write the role lacks is 403 with a token as with a session.
    _t, city = services.token_create(actor=cast.taiyuan, name="市局")
    response = client.post(reverse("api:institution-list"), {"name": "x"}, headers=auth(city))
    assert response.status_code == 403


def test_a_token_write_needs_no_csrf_token_but_a_session_write_does(cast, places):
    from django.test import Client

    from accounts.notifications import notify

    notify(users=[cast.xiaodian], kind="other", title="通知", key="k")
    _token, secret = services.token_create(actor=cast.xiaodian, name="同步")
    client = Client(enforce_csrf_checks=True)
    url = reverse("api:notification-read-all")
    assert client.post(url, headers=auth(secret)).json() == {"marked": 1}
    client.force_login(cast.xiaodian)
    assert client.post(url).status_code == 403


def test_a_token_call_notes_when_it_was_used(client, cast, places):
    token, secret = services.token_create(actor=cast.xiaodian, name="同步")
    assert token.last_used_at is None
    assert client.get(reverse("api:region-list"), headers=auth(secret)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_anonymous_calls_get_401_with_the_token_challenge(client, cast):
    response = client.get(reverse("api:institution-list"))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header", ["Token aq_not-a-real-token", "Token", "Token a b", "Token 令牌"]
)
def test_a_wrong_token_is_401_in_chinese(client, cast, header):
    response = client.get(reverse("api:institution-list"), headers={"Authorization": header})
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] in ("令牌无效、已过期或已吊销", "令牌格式不正确")


def test_a_revoked_token_is_401(client, cast, places):
    token, secret = services.token_create(actor=cast.xiaodian, name="同步")
    assert client.get(reverse("api:region-list"), headers=auth(secret)).status_code == 200
    services.token_revoke(token=token, actor=cast.xiaodian)
    assert client.get(reverse("api:region-list"), headers=auth(secret)).status_code == 401


def test_a_token_works_through_its_last_day_and_not_after(client, cast):
    today = timezone.localdate()
    _token, secret = services.token_create(
        actor=cast.xiaodian, name="临时", expires_on=today + dt.timedelta(days=1)
    )
    url = reverse("api:region-list")
    late_on_last_day = timezone.make_aware(
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time(23, 59))
    )
    with time_machine.travel(late_on_last_day):
        assert client.get(url, headers=auth(secret)).status_code == 200
    with time_machine.travel(late_on_last_day + dt.timedelta(minutes=2)):
        assert client.get(url, headers=auth(secret)).status_code == 401


def test_a_deactivated_users_token_is_401(client, cast):
    _token, secret = services.token_create(actor=cast.xiaodian, name="同步")
    cast.xiaodian.is_active = False
    cast.xiaodian.save()
    assert client.get(reverse("api:region-list"), headers=auth(secret)).status_code == 401


# -- the token page ------------------------------------------------------------------------


def test_the_page_shows_a_new_token_once_and_lists_it_by_prefix(client, cast):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("api_tokens"), {"name": "县局同步", "expires_on": ""})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    token = ApiToken.objects.get()
    assert secret in response.content.decode() and token.digest == services.digest(secret)
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and token.prefix in again and "县局同步" in again


def test_the_page_refuses_a_past_expiry_and_writes_nothing(client, cast):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("api_tokens"), {"name": "同步", "expires_on": "2020-01-01"})
    assert response.status_code == 400 and "到期日期须晚于今天" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_revoked_from_the_page(client, cast):
    token, _secret = services.token_create(actor=cast.pingcheng, name="平城同步")
    client.force_login(cast.xiaodian)
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "平城同步" not in client.get(reverse("api_tokens")).content.decode()


def test_the_owner_revokes_from_the_page(client, cast):
    token, _secret = services.token_create(actor=cast.xiaodian, name="同步")
    client.force_login(cast.xiaodian)
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_page_is_for_users_with_a_role(client, cast):
    client.force_login(cast.outsider)
    assert client.get(reverse("api_tokens")).status_code == 403
    assert client.post(reverse("api_tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


# -- Done means: an outside program, over HTTP, with a token -------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_outside_program_lists_the_overdue_rectification_tasks_of_xiaodian(
    live_server, cast, places
):
    seed_campaign()
    yingze_officer = UserFactory(grant=("county_officer", "140106"))
    late = [inspected(cast.xiaodian, places.xiaodian)]
    late += [inspected(cast.xiaodian, InstitutionFactory(county_id="140105")) for _ in range(2)]
    on_time = inspected(cast.xiaodian, InstitutionFactory(county_id="140105"))
    elsewhere = inspected(yingze_officer, places.yingze)
    past = timezone.localdate() - dt.timedelta(days=3)
    RectificationTask.objects.filter(inspection__in=[*late, elsewhere]).update(deadline=past)
    expected = set(
        RectificationTask.objects.filter(inspection__in=late).values_list("id", flat=True)
    )
    assert len(expected) == 6 and on_time.tasks.count() == 2
    _token, secret = services.token_create(actor=cast.taiyuan, name="市局看板")

    def fetch(url: str) -> dict:
        headers = {"Authorization": f"Token {secret}", "Accept": "application/json"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own server)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our server)
            assert response.status == 200
            return json.load(response)

    query = urlencode(
        {"county": "140105", "status": "overdue", "page_size": 4, "ordering": "deadline"}
    )
    url, rows = f"{live_server.url}/api/v1/rectifications/?{query}", []
    while url:
        page = fetch(url)
        rows += page["results"]
        url = page["next"]
    assert page["count"] == 6 and {r["id"] for r in rows} == expected
    assert {(r["county_code"], r["status"], r["deadline"]) for r in rows} == {
        ("140105", "overdue", past.isoformat())
    }
    assert all(r["findings"] for r in rows)
    # Without the token the same call is refused, with the token's challenge.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{live_server.url}/api/v1/rectifications/", timeout=30)  # noqa: S310
    refused.value.close()  # the error carries the open response
    assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"] == "Token"


def test_a_password_reset_or_switch_off_revokes_the_accounts_tokens(cast):
    """A reset is what an admin does when a password may have leaked: tokens made with it
    must not outlive it. Switching an account off revokes them too (and they stop at once)."""
    from accounts.services import password_reset, user_set_active

    _token, secret = services.token_create(actor=cast.xiaodian, name="县局同步")
    _other, other_secret = services.token_create(actor=cast.pingcheng, name="县局同步")
    password_reset(user=cast.xiaodian, actor=cast.admin)
    assert services.token_authenticate(secret) is None
    assert services.token_authenticate(other_secret) is not None
    revoked = AuditEvent.objects.filter(kind=AuditEvent.Kind.API_TOKEN, reason="吊销 API 令牌")
    assert revoked.get().actor == cast.admin

    _token, again = services.token_create(actor=cast.pingcheng, name="第二个")
    user_set_active(user=cast.pingcheng, active=False, actor=cast.admin)
    assert not ApiToken.objects.filter(user=cast.pingcheng, revoked_at__isnull=True).exists()
