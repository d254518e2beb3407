"""Review of the REST API (reviewer "rapi"): what a list hides, every detail and action hides
too; list endpoints keep a fixed number of queries; a bad path value is a 404, not a 500."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import notify
from accounts.scope import Scope
from api.urls import router
from inspections.models import Finding
from tests.complaints.test_complaints import officer_case
from tests.factories import UserFactory
from tests.inspections.test_problems import inspected, seed_campaign
from tests.walk.url_walk_api import _dismissal, _referral, _refund, _site
from tests.walk.url_walk_sampling import datong_draw
from tests.walk.url_walk_summary import _datong_submission

# -- what a list hides, its detail and actions hide: a 404 and nothing changed --------------


@pytest.fixture
def world(cast, places):
    """Rows of every resource in 平城区 / 大同市, and in 小店区 some its officer must not see
    either: another officer's notification, a minor-offence case assigned to a colleague."""
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)
    inspected(cast.pingcheng, places.pingcheng)
    _site(places), _dismissal(places), _referral(places), _refund(places)
    datong_draw(places)
    _datong_submission(places)
    colleague = UserFactory(grant=("county_officer", "140105"))
    officer_case(colleague, category="minor_offence")
    notify(users=[cast.pingcheng], kind="other", title="平城通知", key="rapi")
    notify(users=[colleague], kind="other", title="同事通知", key="rapi")


def _visible_keys(client, basename, key) -> set | None:
    """Every row the caller's list shows (every page; withdrawn problems asked for too);
    None when the role may not list the resource at all (403)."""
    variants = [{}] + ([{"status": "withdrawn"}] if basename == "finding" else [])
    seen = set()
    for params in variants:
        url, query = reverse(f"api:{basename}-list"), {**params, "page_size": 200}
        while url:
            response = client.get(url, query)
            assert response.status_code in (200, 403), (basename, response.content)
            if response.status_code == 403:
                return None
            body = response.json()
            rows = body["results"] if isinstance(body, dict) else body
            seen |= {str(row[key]) for row in rows}
            url, query = (body.get("next") if isinstance(body, dict) else None), {}
    return seen


def _model(viewset):
    return viewset.serializer_class.Meta.model


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "fire", "police"])
def test_every_detail_and_action_hides_what_the_list_hides(client, cast, world, member):
    users = {
        "fire": lambda: UserFactory(grant=("county_officer", "140105", "fire")),
        "police": lambda: UserFactory(grant=("department_user", "140100", "public_security")),
    }
    user = users[member]() if member in users else getattr(cast, member)
    client.force_login(user)
    checked = 0
    for _prefix, viewset, basename in router.registry:
        lookup = getattr(viewset, "lookup_field", "pk")
        key = "id" if lookup == "pk" else lookup
        model = _model(viewset)
        every = {str(k) for k in model.objects.values_list("pk", flat=True)}
        visible = _visible_keys(client, basename, key)
        hidden = every - (visible or set())
        # A role that may list the resource gets 404 for a row the list hides: not 403, which
        # would tell it the row exists. A role that may not list it gets 403 throughout.
        refused = 404 if visible is not None else 403
        actions = [a for a in viewset.get_extra_actions() if a.detail]
        for pk in sorted(hidden):
            before = list(model.objects.filter(pk=pk).values())
            url = reverse(f"api:{basename}-detail", args=[pk])
            response = client.get(url)
            assert response.status_code == refused, (basename, pk, response.content[:300])
            for extra in actions:
                url = reverse(f"api:{basename}-{extra.url_name}", args=[pk])
                for method in extra.mapping:
                    response = getattr(client, method)(url, {}, content_type="application/json")
                    assert response.status_code in (403, 404), (basename, extra.url_name, pk)
            assert list(model.objects.filter(pk=pk).values()) == before
            checked += 1
    # The world hides something from everyone: the check is not vacuous.
    assert checked >= 10


def test_a_fire_officer_sees_no_education_problem_of_their_own_county(client, cast, world):
    """The check above leans on the list; this pins one row it must treat as hidden."""
    fire = UserFactory(grant=("county_officer", "140105", "fire"))
    education = Finding.objects.get(task__institution__county_id="140105", item__code="1.01")
    client.force_login(fire)
    assert str(education.pk) not in _visible_keys(client, "finding", "id")
    assert client.get(reverse("api:finding-detail", args=[education.pk])).status_code == 404
    assert (
        Scope.for_user(fire).can("inspections.view")
        and client.get(reverse("api:finding-list")).status_code == 200
    )


# -- a bad value in the path: 404, never a 500 ----------------------------------------------


@pytest.mark.parametrize("code", ["\x00", "14%00", "abc", "1401051"])
def test_a_region_code_that_cannot_be_one_is_404(client, cast, regions, code):
    client.force_login(cast.province)
    assert client.get(f"/api/v1/regions/{code}/").status_code == 404
    assert client.get(reverse("api:region-detail", args=["140105"])).status_code == 200


# -- list endpoints: a fixed number of queries, however many rows ---------------------------


def _queries(client, name) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), {"page_size": 200})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


def test_the_draw_list_costs_the_same_for_one_draw_or_four(client, cast, places):
    draw = datong_draw(places)
    staff = draw.created_by
    client.force_login(cast.province)
    one, count = _queries(client, "api:draw-list")
    assert count == 1
    from sampling import services

    for seed in ("b", "c", "d"):
        services.draw_preview(round_=draw.round, actor=staff, scope=Scope.for_user(staff),
                              seed=seed, redraw_reason="复核")  # fmt: skip
    four, count = _queries(client, "api:draw-list")
    assert count == 4 and four == one
    attempts = sorted(r["attempt"] for r in client.get(reverse("api:draw-list")).json()["results"])
    assert attempts == [1, 2, 3, 4]


def test_the_summary_list_costs_the_same_for_one_city_or_three(client, cast, places):
    from campaign.models import Campaign
    from core.models import Region
    from reporting import services_summary

    _datong_submission(places)
    client.force_login(cast.province)
    one, count = _queries(client, "api:summary-list")
    assert count == 1
    campaign = Campaign.objects.get()
    texts = {
        "organisation": "组织",
        "experiences": "经验",
        "problems": "问题",
        "next_steps": "打算",
    }
    for code in ("140100", "140300"):
        writer = UserFactory(grant=("city_staff", code))
        city, scope = Region.objects.get(code=code), Scope.for_user(writer)
        services_summary.summary_save(campaign=campaign, city=city, actor=writer, scope=scope,
                                      narratives=texts, version=0)  # fmt: skip
        services_summary.summary_submit(campaign=campaign, city=city, actor=writer, scope=scope)
    three, count = _queries(client, "api:summary-list")
    assert count == 3 and three == one
    rows = client.get(reverse("api:summary-list")).json()["results"]
    assert all(r["figures"] is not None for r in rows)


# -- a rectification task's deadline and status come from the problems the caller sees -----


def test_a_task_is_not_overdue_for_a_sector_user_because_of_a_problem_they_cannot_see(
    client, cast, places
):
    """The culture bureau follows sections 一 and 六: a fee problem (五) in the same task,
    open and past its deadline, is not theirs to see, nor to be told about by its date."""
    from inspections import services as inspection_services

    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "5.01"), days=7)
    scope = Scope.for_user(cast.xiaodian)
    safety = Finding.objects.get(item__code="1.01")
    inspection_services.finding_report(
        finding=safety, actor=cast.xiaodian, scope=scope, note="已整改"
    )
    inspection_services.finding_verify(
        finding=safety, actor=cast.xiaodian, scope=scope, passed=True
    )
    culture = UserFactory(grant=("department_user", "140105", "culture_tourism"))
    later = timezone.now() + dt.timedelta(days=10)
    with time_machine.travel(later):
        client.force_login(culture)
        response = client.get(reverse("api:rectification-list"))
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        overdue = client.get(reverse("api:rectification-list"), {"status": "overdue"}).json()
    assert [[f["code"] for f in r["findings"]] for r in rows] == [["1.01"]]
    assert rows[0]["status"] != "overdue" and overdue["count"] == 0
    assert rows[0]["deadline"] == str(safety.task.deadline)
    # The education office, which sees the fee problem, is told it is overdue.
    with time_machine.travel(later):
        client.force_login(cast.xiaodian)
        rows = client.get(reverse("api:rectification-list")).json()["results"]
    assert [r["status"] for r in rows] == ["overdue"]


# -- a token is no more than its user, today ----------------------------------------------


def test_a_token_of_a_user_who_lost_their_role_opens_nothing(client, cast, places):
    from accounts.models import RoleGrant
    from api.services import token_create

    _token, secret = token_create(actor=cast.xiaodian, name="同步")
    headers = {"Authorization": f"Token {secret}"}
    assert client.get(reverse("api:institution-list"), headers=headers).status_code == 200
    RoleGrant.objects.filter(user=cast.xiaodian).delete()
    for name in ("api:institution-list", "api:complaint-list", "api:notification-list"):
        assert client.get(reverse(name), headers=headers).status_code == 403, name
    url = reverse("api:institution-detail", args=[places.xiaodian.pk])
    assert client.patch(url, {"name": "改"}, "application/json", headers=headers).status_code == 403
    places.xiaodian.refresh_from_db()
    assert places.xiaodian.name != "改"


# -- a minor-offence case's referral is a read of its details: logged, as the case is ------


def test_reading_a_minor_cases_referral_through_the_api_is_logged(client, cast, places):
    from accounts.models import AuditEvent
    from tests.complaints.test_complaints import refer

    colleague = UserFactory(grant=("county_officer", "140105"))
    case = officer_case(colleague, category="minor_offence")
    referral = refer(case, colleague)
    police = UserFactory(grant=("department_user", "140100", "public_security"))
    client.force_login(police)

    def reveals():
        return AuditEvent.objects.filter(
            kind=AuditEvent.Kind.REVEAL, actor=police, detail__what="minor_case"
        ).count()

    rows = client.get(reverse("api:referral-list")).json()["results"]
    assert [r["id"] for r in rows] == [referral.pk] and reveals() == 1
    assert client.get(reverse("api:referral-detail", args=[referral.pk])).status_code == 200
    assert reveals() == 2
    # A referral of an ordinary case is not a minor's detail: nothing logged.
    refer(officer_case(colleague), colleague)
    assert len(client.get(reverse("api:referral-list")).json()["results"]) == 2
    assert reveals() == 3
