"""Every page of the URL walk, once more, over one richly linked world.

The walk (tests/walk/test_url_walk.py) builds only the object each page needs, so a page that
shows what is linked to it (a complaint's inspections, an institution's staff and fees) is
rendered there with nothing linked. Here one 平城区 institution has everything at once:
sites, staff with a check and a dismissal, a submitted inspection with findings and a
rectification task, a charge with a violation and a refund, a complaint linked to that
inspection and referred to the police, a 大同市 draw, a city summary. Every list and detail
page is fetched by each cast member who may see it: a 200, never a 500, and no shell
command or programmer's word on it (tests/walk/visible_text.py).
"""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import Scope
from tests.factories import InstitutionFactory, UserFactory
from tests.factories_personnel import StaffFactory
from tests.walk.test_url_walk import CAST, EXPECT, _pingcheng_site
from tests.walk.visible_text import FOR_DEVELOPERS, developer_words

pytestmark = pytest.mark.django_db

# Pages whose body owes nothing to the records (the API schema is built from the code).
RECORD_FREE = {"api_schema"}
# The cast members whose pages can show the 平城区 world: 小店区 and 太原市 see none of it
# (their pages are the walk's, record for record), so they are left out to keep this quick.
SEE_THE_WORLD = [m for m in CAST if m not in ("xiaodian", "taiyuan")]


def _linked_world(places) -> dict:
    """Build the 平城区 world through the walk's own builders, then link it together."""
    from complaints.services import case_link
    from sampling.models import Draw
    from tests.walk.url_walk_api import _refund
    from tests.walk.url_walk_complaints import _pingcheng_case, _referral
    from tests.walk.url_walk_fees import _pingcheng_record
    from tests.walk.url_walk_problems import _pingcheng_inspection
    from tests.walk.url_walk_sampling import datong_draw
    from tests.walk.url_walk_summary import _datong_submission
    from tests.walk.url_walk_vetting import _dismissal

    inspection = _pingcheng_inspection(places)  # submitted: findings, rectification tasks
    _pingcheng_site(places)
    from institutions.models import Site

    Site.objects.get_or_create(institution=places.pingcheng, name="分校区",
                               defaults={"address": "平城区测试路2号"})  # fmt: skip
    dismissal = _dismissal(places)  # staff, a batch, a disqualifying check, a dismissal
    # The dismissed person also works at a second 平城区 institution (one record each).
    second = InstitutionFactory(name="平城区第二培训学校", county_id="140213")
    StaffFactory(institution=second, number=dismissal.staff.reveal_id_number(), name="兼职者")
    record = _pingcheng_record(places)  # a charge over the limit: a violation
    _refund(places)
    case = _pingcheng_case(places)
    officer = User.objects.get(username="pingcheng")
    case_link(case=case, actor=officer, scope=Scope.for_user(officer), inspection=inspection,
              task=inspection.tasks.get(department="education"))  # fmt: skip
    _referral(places)  # referred to the police
    draw = datong_draw(places)
    _datong_submission(places)
    assert record.violations.exists() and record.refunds.exists()
    assert inspection.tasks.filter(findings__isnull=False).exists()
    assert Draw.objects.filter(pk=draw.pk, status="confirmed").exists()
    return {"inspection": inspection, "case": case, "dismissal": dismissal}


def _fetch(client, url) -> tuple[int | str, list[str]]:
    """The page's status, and the developer words an HTML page shows (visible_text.py)."""
    try:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # an export can fail while it is written
            return response.status_code, []
    except Exception as exc:  # noqa: BLE001 - the test client re-raises a view's error
        return f"raised {exc!r}", []
    html = response.get("Content-Type", "").startswith("text/html")
    words = developer_words(response.content.decode()) if html else []
    return response.status_code, words


def test_every_page_renders_over_linked_records_for_each_cast_member(client, cast, places):
    _linked_world(places)
    failures = []
    for name in sorted(EXPECT):
        make_kwargs, expected = EXPECT[name]
        # Those who see the page; a refusal (302, 401, 403, 404, 405) is decided before any
        # linked record is read, and the walk checks it already.
        members = [m for m in SEE_THE_WORLD if expected[m] == 200]
        if not members or name in RECORD_FREE:
            continue
        try:
            url = reverse(name, kwargs=make_kwargs(places) if make_kwargs else None)
        except Exception as exc:  # noqa: BLE001 - reported with the page's name below
            failures.append(f"{name}: building its object failed: {exc!r}")
            continue
        for member in members:
            client.logout()
            if member != "anonymous":
                client.force_login(getattr(cast, member))
            got, words = _fetch(client, url)
            if got != expected[member]:
                failures.append(f"{name} as {member}: {got}, expected {expected[member]}")
            if words and name not in FOR_DEVELOPERS:
                failures.append(f"{name} as {member} shows developer words: {', '.join(words)}")
    assert not failures, "\n".join(failures)


def test_people_beyond_the_cast_see_the_linked_records_without_an_error(client, cast, places):
    """The police the case went to, and 平城区's vetting officer (who sees where else a
    person works): each page answers them without a server error."""
    world = _linked_world(places)
    police = UserFactory(username="datong_police",
                         grant=("department_user", "140200", "public_security"))  # fmt: skip
    vetting = UserFactory(username="pingcheng_vetting", grant=("vetting_officer", "140213"))
    for name, args in [
        ("complaints:detail", [world["case"].pk]),
        ("complaints:referrals", []),
        ("complaints:list", []),
    ]:
        client.force_login(police)
        assert client.get(reverse(name, args=args)).status_code == 200, name
    client.force_login(vetting)
    page = client.get(reverse("personnel:detail", args=[world["dismissal"].staff_id]))
    assert page.status_code == 200 and "平城区第二培训学校" in page.content.decode()
    for name in ("personnel:list", "personnel:dismissals", "personnel:batches"):
        assert client.get(reverse(name)).status_code == 200, name
    client.force_login(cast.pingcheng)
    body = client.get(reverse("complaints:detail", args=[world["case"].pk])).content.decode()
    assert world["inspection"].institution.name in body
