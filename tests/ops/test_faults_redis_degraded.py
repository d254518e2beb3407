"""Redis down is a degraded service, not a dead one: a fee written on its page commits and
answers, an inspection submits, the boards show figures added up live, users log in, the
public files a complaint, and /healthz keeps the host in the load balancer while naming
Redis as down.

Each test stops a throwaway redis-server (tests/ops/test_faults_redis.py) that the cache and the
broker point at; the machine's own Redis is never touched.
"""

import logging

import pytest
from django.urls import reverse

from accounts.scope import Scope
from complaints import captcha
from complaints.models import Case
from core import kept
from fees.models import FeeRecord
from fees.selectors import fee_figures
from tests.clock.test_clock import screened
from tests.conftest import PASSWORD
from tests.fees.test_fees_pages import enter, form_data
from tests.inspections.test_problems import seed_campaign
from tests.ops import test_faults_redis as faults

# The throwaway redis-server, and the cache and broker pointed at it.
throwaway_redis = faults.throwaway_redis
broker_and_cache_on = faults.broker_and_cache_on


def without_time(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "computed_at"}


def open_home_then_stop(redis, client, user):
    """The site has been talking to its Redis (the home page read the kept copies through
    it), then Redis dies."""
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    redis.stop()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_fee_record_entered_on_its_page_is_saved_and_shown(
    client, cast, places, broker_and_cache_on
):
    seed_campaign()
    open_home_then_stop(broker_and_cache_on, client, cast.xiaodian)
    response = client.post(reverse("fees:record_create"), form_data(places.xiaodian))
    record = FeeRecord.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("fees:record", args=[record.pk])
    assert client.get(response.url).status_code == 200
    # With no copy to read, the list's figures are added up live: the new charge is in them.
    listing = client.get(reverse("fees:records"))
    assert listing.status_code == 200 and listing.context["figures"]["charges"] == 1


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_an_inspection_submitted_on_the_form_page_opens_afterwards(
    client, cast, places, broker_and_cache_on
):
    seed_campaign()
    open_home_then_stop(broker_and_cache_on, client, cast.xiaodian)
    inspection, response = faults.submit_with_a_major_hazard(client, cast.xiaodian, places.xiaodian)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == "submitted"
    assert client.get(response.url).status_code == 200
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_with_redis_down_healthz_is_200_and_names_redis_as_down(client, settings, throwaway_redis):
    settings.REDIS_URL = throwaway_redis.url
    assert client.get("/healthz").json()["status"] == "ok"
    throwaway_redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "down"}}


@pytest.mark.django_db
def test_with_redis_down_the_boards_show_live_figures_and_say_so_once_in_the_log(
    client, cast, places, broker_and_cache_on, caplog, monkeypatch
):
    seed_campaign()
    screened(cast.xiaodian, places.xiaodian)
    enter(cast.xiaodian, places.xiaodian, contract_number="XD-1")
    enter(cast.pingcheng, places.pingcheng, "4000.00", contract_number="PC-1")
    open_home_then_stop(broker_and_cache_on, client, cast.province)
    monkeypatch.setattr(kept, "_warned_at", None)  # an earlier test's warning is not ours
    # Both written after the home page kept its copies: only live figures can show them.
    screened(cast.pingcheng, places.pingcheng)
    enter(cast.xiaodian, places.xiaodian, "4500.00", contract_number="XD-2")

    with caplog.at_level(logging.WARNING, logger="core.kept"):
        board = client.get(reverse("progress:region"), {"region": "140000"})
        ledger = client.get(reverse("fees:ledger"))
        home = client.get(reverse("home"))
    assert board.status_code == ledger.status_code == home.status_code == 200
    assert board.context["board_total"].screened == 2
    assert board.context["fees"]["figures"]["charges"] == 3
    live = without_time(fee_figures(Scope.for_user(cast.province), ""))
    assert without_time(ledger.context["figures"]) == live
    warnings = [r for r in caplog.records if r.name == "core.kept"]
    assert len(warnings) == 1 and "live" in warnings[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_user_logs_in_and_sees_the_home_page(client, cast, broker_and_cache_on):
    seed_campaign()
    broker_and_cache_on.stop()
    response = client.post(reverse("login"), {"username": "province", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(response.url)
    assert home.status_code == 200 and 'data-testid="board-province"' in home.content.decode()


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_from_the_start_the_public_files_a_complaint_and_looks_it_up(
    client, regions, broker_and_cache_on
):
    broker_and_cache_on.stop()
    assert client.get(reverse("complaints_public:form")).status_code == 200
    assert client.get(reverse("complaints_public:captcha")).status_code == 200
    answer = client.session[captcha.SESSION_KEY]["answer"]
    response = client.post(
        reverse("complaints_public:form"),
        {"category": "safety_hazard", "county": "140105", "institution_name": "某培训学校",
         "description": "教室安全出口被杂物堵塞。", "captcha": answer},
    )  # fmt: skip
    assert response.status_code == 302 and Case.objects.count() == 1
    code = client.get(response.url).context["code"]
    assert client.post(reverse("complaints_public:status"), {"code": code}).status_code == 200
