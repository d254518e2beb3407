"""The load scenario's steps still match the pages: run them once against a live server.

`make load` drives the same `ops.load.flow` functions from Locust with 200 officers; here one
officer and one reviewer walk them with a requests session, so a change to the form or its
URLs breaks this test rather than a load run on deadline day.
"""

import json

import pytest
import requests

from accounts.models import User
from inspections.models import Evidence, Finding, Inspection
from institutions.models import Institution
from ops.load import flow
from ops.load.seed import PREFIX, load_plan_create


class _Session(requests.Session):
    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.base_url + url, *args, **kwargs)


@pytest.fixture
def plan(regions):
    return load_plan_create(officers=3, password="Load-pass-1", per_officer=2, institutions=300)


def test_the_plan_gives_each_officer_their_own_county_institutions(plan):
    assert len(plan["officers"]) == 3
    seen = set()
    for officer in plan["officers"]:
        user = User.objects.get(username=officer["username"])
        county = user.grants.get().region_id
        ids = [i["id"] for i in officer["institutions"]]
        assert ids, officer["username"]
        assert not seen & set(ids)
        seen |= set(ids)
        assert set(Institution.objects.filter(pk__in=ids).values_list("county_id", flat=True)) == {
            county
        }
        assert all(i["items"] for i in officer["institutions"])
    assert any(u.startswith(f"{PREFIX}city_") for u in plan["browsers"])
    assert f"{PREFIX}province" in plan["browsers"]
    json.dumps(plan, ensure_ascii=False)  # Locust reads it as JSON


def test_seeding_again_reuses_the_users_and_resets_their_password(plan):
    again = load_plan_create(officers=3, password="Load-pass-2", per_officer=2, institutions=300)
    assert [o["username"] for o in again["officers"]] == [o["username"] for o in plan["officers"]]
    user = User.objects.get(username=plan["officers"][0]["username"])
    assert user.check_password("Load-pass-2")
    assert not user.check_password("Load-pass-1")


@pytest.mark.django_db(transaction=True)
def test_one_officer_and_one_reviewer_walk_the_scenario(live_server, regions):
    plan = load_plan_create(officers=1, password="Load-pass-1", per_officer=1, institutions=300)
    officer = plan["officers"][0]
    session = _Session(live_server.url)
    flow.login(session, officer["username"], plan["password"])
    pk = flow.inspect(
        session, officer["institutions"][0], deadline=plan["deadline"], photo=flow.photo_bytes()
    )
    inspection = Inspection.objects.get(pk=pk)
    assert inspection.status == Inspection.Status.SUBMITTED
    assert inspection.institution_id == officer["institutions"][0]["id"]
    assert Finding.objects.filter(task__inspection=inspection).count() == 1
    assert Evidence.objects.filter(answer__inspection=inspection).count() == 1

    reviewer = _Session(live_server.url)
    flow.login(reviewer, plan["browsers"][-1], plan["password"])
    for step in range(len(flow.BROWSE)):
        assert flow.browse(reviewer, step).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_officer_resumes_the_seeded_session_without_logging_in(live_server, regions):
    plan = load_plan_create(officers=1, password="Load-pass-1", per_officer=1, institutions=300)
    session = _Session(live_server.url)
    response = flow.resume(session, plan["officers"][0]["session"])
    assert response.status_code == 200
    assert session.cookies.get("csrftoken")


@pytest.mark.django_db(transaction=True)
def test_a_paced_officer_saves_section_by_section_and_submits(live_server, regions):
    plan = load_plan_create(officers=1, password="Load-pass-1", per_officer=1, institutions=300)
    officer = plan["officers"][0]
    institution = officer["institutions"][0]
    session = _Session(live_server.url)
    flow.resume(session, officer["session"])
    pauses = []
    pk = flow.inspect(
        session, institution, deadline=plan["deadline"], photo=flow.photo_bytes(),
        think=lambda: pauses.append(Inspection.objects.get(pk=pk_of(officer)).version),
    )  # fmt: skip
    sections = {item["code"].split(".")[0] for item in institution["items"]}
    # One pause before each section's save and one before the submit; each save moved the
    # record's version on by one.
    assert len(pauses) == len(sections) + 1
    assert pauses == list(range(pauses[0], pauses[0] + len(pauses)))
    inspection = Inspection.objects.get(pk=pk)
    assert inspection.status == Inspection.Status.SUBMITTED
    assert Evidence.objects.filter(answer__inspection=inspection).count() == 1


def pk_of(officer) -> int:
    return Inspection.objects.filter(created_by__username=officer["username"]).latest("pk").pk


@pytest.mark.parametrize("think", ["abc", "5", "9,3", "-1,2", "1,700"])
def test_a_bad_think_range_is_refused_in_chinese(db, think):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--think"):
        call_command("load_test", think=think)


def test_a_refused_login_stops_the_scenario_with_a_reason(live_server, plan):
    session = _Session(live_server.url)
    with pytest.raises(flow.ScenarioError, match="login refused"):
        flow.login(session, plan["officers"][0]["username"], "wrong-password")
