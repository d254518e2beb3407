"""/healthz for the load balancer: PostgreSQL and Redis checked, nothing else said; only the
database being down takes the host out (503, tests/ops/test_ops_db_down.py)."""

import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_it_answers_200_when_postgresql_and_redis_answer(client, settings):
    assert settings.REDIS_URL, "the suite runs against the real Redis"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_the_demo_without_redis_reports_it_as_not_used(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "not_used"}


def test_an_unreachable_redis_is_degraded_but_keeps_the_host_in_service(client, settings):
    # Port 1 on loopback: nothing listens there, the connection is refused for real. The site
    # works without Redis (slower figures, e-mails and runs wait for the sweeps): 200, so the
    # load balancer keeps every host, and "degraded" for monitoring to alert on.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "down"},
    }


def test_it_says_nothing_about_versions_hosts_or_people(client, cast):
    client.force_login(cast.province)
    body = client.get("/healthz").content.decode()
    for leak in ("PostgreSQL", "15.", "redis_version", "127.0.0.1", "province", "Django"):
        assert leak not in body
    assert set(json.loads(body)) == {"status", "checks"}


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["anquan.example.gov.cn"])
def test_a_probe_by_address_over_plain_http_is_answered_not_redirected(client):
    # The load balancer asks each host by its private address, without TLS.
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    page = client.get("/accounts/login/", HTTP_HOST="anquan.example.gov.cn")
    assert page.status_code == 301 and page["Location"].startswith("https://")
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_only_get_and_head_are_answered(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
