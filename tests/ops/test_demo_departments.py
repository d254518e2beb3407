"""The demo's fire rescue user of 小店区 finds an open fire problem of its own and closes it;
the demo's 太原市 admin signs in to 系统管理 and manages only 太原市; the demo's institution
accounts land on the institution side, each in its own state (ops/demo/institution_accounts.py)."""

import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.scope import scope_for
from campaign.models import Campaign
from core.models import Region
from inspections.models import Finding
from ops.demo.departments import fire_problem_demo_create
from ops.demo.institution_accounts import institution_accounts_demo_create
from ops.demo.self_inspections import self_inspection_demo_create
from ops.management.commands.seed_demo import DEMO_PASSWORD
from progress.dashboards import region_board
from selfcheck.models import SelfInspection


def log_in(client, username):
    response = client.post(
        reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200, username
    return response.content.decode()


def test_fire_xiaodian_closes_an_open_fire_problem_and_admin_taiyuan_manages_taiyuan(client, db):
    call_command("seed_demo", institutions=200, stdout=io.StringIO())
    # The institution accounts, each opened by its county officer through the service.
    expected = {"jigou_zhenggai": "pending", "jigou_xiaohao": "closed", "jigou_weijian": "none"}
    for username, state in expected.items():
        client.logout()
        user = User.objects.get(username=username)
        own = user.institution_account.institution
        assert not user.must_change_password and own.county_id.startswith("1401")
        assert own.name in log_in(client, username)
        page = client.get(reverse("portal:home"))
        pending, closed = page.context["pending"], page.context["closed"]
        assert {"pending": bool(pending), "closed": not pending, "none": not (pending or closed)}[
            state
        ], username
        assert all(p.task.institution_id == own.pk for p in [*pending, *closed])
    client.logout()
    # Seeding again opens nothing more.
    again = institution_accounts_demo_create(password=DEMO_PASSWORD)
    assert [name for name, _institution in again] == list(expected)
    assert User.objects.filter(username__startswith="jigou_").count() == 3
    # Self-inspections in several states (ops/demo/self_inspections.py), on the boards.
    campaign = Campaign.objects.get(province_id="140000", is_active=True)
    own = {
        name: SelfInspection.objects.get(
            institution=User.objects.get(username=name).institution_account.institution
        )
        for name in expected
    }
    assert own["jigou_weijian"].status == SelfInspection.Status.DRAFT
    assert own["jigou_xiaohao"].status == SelfInspection.Status.SUBMITTED
    assert own["jigou_xiaohao"].amendments.count() == 1
    to_fix = own["jigou_zhenggai"].answers.filter(value="non_compliant")
    assert to_fix.filter(fixed_at__isnull=False).count() == 1
    assert to_fix.filter(fixed_at__isnull=True, fix_by__lt=timezone.localdate()).count() == 1
    assert self_inspection_demo_create(campaign=campaign) == 0
    city = User.objects.get(username="city_taiyuan")
    board = region_board(scope=scope_for(city), region=Region.objects.get(code="140100"))
    # Three named and two more per county; the full demo's major hazards at the extra
    # institutions of 迎泽区 and 杏花岭区 show as contradicted (200 institutions have none).
    assert board.total.self_checked >= 6
    assert "自查率" in log_in(client, "city_taiyuan")
    client.logout()
    # Added once: nothing more while an open one is there.
    assert fire_problem_demo_create(campaign=campaign) == 0
    fire = User.objects.get(username="fire_xiaodian")
    assert (fire.must_change_password, fire.full_name) == (False, "小店区消防救援大队 孙参谋")
    assert "部门工作台" in log_in(client, "fire_xiaodian")
    response = client.get(reverse("inspections:problems"), {"status": "open"})
    mine = [f for f in response.context["page"] if f.task.department == "fire"]
    assert mine and all(f.section == "二" for f in response.context["page"])
    assert {f.task.institution.county_id for f in mine} == {"140105"}
    assert "负责部门：消防救援" in response.content.decode()
    problem = mine[0]
    url = reverse("inspections:finding_report", args=[problem.pk])
    assert client.post(url, {"note": "已更换灭火器"}).status_code == 302
    url = reverse("inspections:finding_verify", args=[problem.pk])
    assert client.post(url, {"passed": "yes", "note": "复查合格"}).status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.verified_by) == (Finding.Status.CLOSED, fire)

    admin = User.objects.get(username="admin_taiyuan")
    assert (admin.must_change_password, admin.full_name) == (False, "太原市系统管理员")
    client.logout()
    assert "系统管理" in log_in(client, "admin_taiyuan")
    scope = scope_for(admin)
    assert scope.covers_region("accounts.manage", "140105")
    assert not scope.covers_region("accounts.manage", "140213")
