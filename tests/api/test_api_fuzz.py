"""The API fuzzed against its own OpenAPI document (/api/schema/) with schemathesis.

For members of the standing cast, each with their own API token: every operation is called
with generated parameters (GET everywhere, a few POSTs), and no response may be a 5xx, break
the schema, or carry another region's data. Bounded: a handful of examples per operation,
derandomized, so the run is the same every time and takes well under two minutes.

The region check here only catches a foreign code or name in a body, and generated ids
rarely name a real row: tests/walk/test_api_hidden_rows.py asks every detail and detail action for
each row the caller's list hides (other regions, other sections, minor-offence cases,
others' notifications) and wants a 404 with the row unchanged.
"""

import pytest
import schemathesis
from django.core import signals as signal
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from api.services import token_create
from tests.inspections.test_problems import inspected, seed_campaign
from tests.walk.url_walk_api import _dismissal, _referral, _refund, _site

EXAMPLES = 4
# Writes a county officer makes: problem report and re-inspection, marking notifications
# read, a new site or institution, complaint triage. Everything else is read.
POSTS = {
    "/api/v1/findings/{id}/report/", "/api/v1/findings/{id}/verify/",
    "/api/v1/notifications/read-all/", "/api/v1/sites/", "/api/v1/institutions/",
    "/api/v1/complaints/{id}/triage/",
}  # fmt: skip
# What each member must never see: a region outside theirs (codes and names).
FOREIGN = {"xiaodian": ["140213", "平城", "140106"], "taiyuan": ["140213", "平城", "大同"]}


@pytest.fixture
def in_process():
    """Requests go through the WSGI app in this thread, inside the test's transaction: as
    Django's test client does, keep the request signals from closing that connection."""
    signal.request_started.disconnect(close_old_connections)
    signal.request_finished.disconnect(close_old_connections)
    yield
    signal.request_started.connect(close_old_connections)
    signal.request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast, places, settings, in_process):
    settings.ALLOWED_HOSTS = ["*"]
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)
    inspected(cast.pingcheng, places.pingcheng)
    _site(places), _dismissal(places), _referral(places), _refund(places)


def fuzz(member, user) -> list[str]:
    """Runs every operation for one user; returns the operations it exercised."""
    secret = token_create(actor=user, name="fuzz")[1]
    headers = {"Authorization": f"Token {secret}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers=headers
    )
    done = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" and operation.path not in POSTS:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(
                response,
                checks=[checks.not_a_server_error, checks.response_schema_conformance,
                        checks.content_type_conformance],
            )  # fmt: skip
            body = response.text
            for foreign in FOREIGN[member]:
                assert foreign not in body, (case.path, case.query, foreign)

        call()
        done.append(f"{operation.method.upper()} {operation.path}")
    return done


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan"])
def test_the_api_keeps_its_schema_and_its_scope_under_fuzzing(member, cast, world):
    done = fuzz(member, getattr(cast, member))
    assert "GET /api/v1/rectifications/" in done and "POST /api/v1/findings/{id}/verify/" in done
    assert len(done) > 40
