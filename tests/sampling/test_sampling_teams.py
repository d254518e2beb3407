"""Joint spot-check teams (联合抽查): every team holds its institution's supervising department
and fire rescue, or the draw is not confirmed; departments are named in Chinese everywhere."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command, load_command_class
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, Notification, User
from accounts.roles import Department
from accounts.scope import scope_for
from core.models import Region
from sampling import algorithm, services
from sampling.models import Assignment, Draw
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_problems import seed_campaign

# Posted in counties without frame institutions, so only the department decides.
FULL_POOL = [("140109", "education"), ("140110", "education"), ("140109", "fire"),
             ("140110", "sports"), ("140109", "culture_tourism")]  # fmt: skip


@pytest.fixture
def frame(cast, regions):
    """Three 太原市 districts, one trade each: every one of them is drawn (one per county)."""
    seed_campaign()
    made = InstitutionFactory.create_batch(6, county_id="140105", sector="sports")
    made += InstitutionFactory.create_batch(5, county_id="140106", sector="culture_art")
    made += InstitutionFactory.create_batch(4, county_id="140107", category="subject", sector="")
    return made


def city_round(cast, posts):
    from campaign.models import Campaign

    campaign = Campaign.objects.get(is_active=True)
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    for code, department in posts:
        person = UserFactory(grant=("county_officer", code, department))
        services.pool_add(
            round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan)
        )
    return round_


def preview(cast, round_, seed="5", **kwargs):
    scope = scope_for(cast.taiyuan)
    return services.draw_preview(
        round_=round_, actor=cast.taiyuan, scope=scope, seed=seed, **kwargs
    )


def departments_of(team) -> set[str]:
    return {g.department for person in team for g in person.grants.all()}


def test_every_team_holds_the_supervising_department_and_fire_and_still_verifies(cast, frame):
    round_ = city_round(cast, FULL_POOL)
    draw = preview(cast, round_)
    assert draw.shortages == {} and services.draw_verify(draw) == []
    draw = services.draw_confirm(draw=draw, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    sectors = set()
    for assignment in Assignment.objects.filter(draw=draw).select_related("institution"):
        institution = assignment.institution
        team = departments_of(assignment.inspectors.all())
        assert {str(institution.supervising_department), "fire"} <= team
        sectors.add(institution.sector)
        if institution.sector == "sports":
            assert "sports" in team  # a sports-sector institution gets a sports inspector
    assert {"sports", "culture_art", ""} <= sectors
    assert services.draw_verify(draw) == []
    # Same seed, same frozen frame and pool: the same teams, and verify_draw agrees.
    again = preview(cast, round_, redraw_reason="核对检查组")
    assert (again.institutions, again.teams) == (draw.institutions, draw.teams)
    out = io.StringIO()
    call_command("verify_draw", str(draw.pk), stdout=out)
    assert "一致" in out.getvalue()


@pytest.mark.parametrize(
    ("missing", "label"), [("sports", "体育"), ("fire", "消防救援"), ("education", "教育")]
)
def test_confirming_without_sports_fire_or_education_is_refused_by_name_and_writes_nothing(
    cast, frame, missing, label
):
    round_ = city_round(cast, [p for p in FULL_POOL if p[1] != missing])
    draw = preview(cast, round_)
    assert services.draw_verify(draw) == []  # the gap is in the pool, not in the draw
    events, notes = AuditEvent.objects.count(), Notification.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.draw_confirm(draw=draw, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    message = "；".join(refused.value.messages)
    short = sum(1 for d in draw.shortages.values() if missing in d)
    assert f"缺{label} {short} 家" in message and f"补充{label} 1 人" in message
    assert missing not in message  # the name, never the code
    draw.refresh_from_db()
    assert draw.status == "preview" and draw.confirmed_at is None
    assert not Assignment.objects.exists()
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notes)


def test_the_preview_page_api_and_export_name_the_departments_to_add_in_chinese(
    client, cast, frame
):
    round_ = city_round(cast, [p for p in FULL_POOL if p[1] != "sports"])
    draw = preview(cast, round_)
    sports = sorted(i.pk for i in frame if i.sector == "sports" and str(i.pk) in draw.teams)
    assert sports  # 小店区 is drawn, and its sports institutions lack a sports inspector
    client.force_login(cast.taiyuan)
    page = client.get(reverse("sampling:draw", args=[draw.pk])).content.decode()
    assert 'data-testid="team-gaps"' in page
    assert f"体育：{len(sports)} 家机构的检查组缺该部门人员，至少补充 1 人" in page
    assert "须不在小店区任职" in page and "缺 体育" in page
    assert "sports" not in page and 'data-testid="confirm"' not in page

    gaps = client.get(reverse("api:draw-detail", args=[draw.pk])).json()["team_gaps"]
    assert gaps == [{"department": "sports", "department_label": "体育",
                     "institutions": sports, "add_at_least": 1}]  # fmt: skip

    response = client.get(reverse("sampling:draw_export", args=[draw.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = next(row for row in rows if row and "缺员部门" in row).index("缺员部门")
    assert sorted(r[column] for r in rows if r and r[column] == "体育") == ["体育"] * len(sports)
    assert not any("sports" in str(v) for row in rows for v in row if v)


def test_the_confirm_page_refuses_in_chinese_and_answers_out_of_scope_and_wrong_role(
    client, cast, frame
):
    round_ = city_round(cast, [p for p in FULL_POOL if p[1] != "sports"])
    draw = preview(cast, round_)
    url = reverse("sampling:draw_confirm", args=[draw.pk])
    client.force_login(cast.taiyuan)
    response = client.post(url, follow=True)
    assert "补充体育 1 人" in response.content.decode()
    datong = UserFactory(grant=("city_staff", "140200"))
    for user, status in ((datong, 404), (cast.xiaodian, 403), (cast.province, 403)):
        client.force_login(user)
        assert client.post(url).status_code == status, user
    draw.refresh_from_db()
    assert draw.status == "preview" and not Assignment.objects.exists()


def test_a_draw_made_by_the_earlier_algorithm_still_verifies_and_is_not_confirmed(cast, frame):
    """Draws made before the joint-team rule keep verifying with their own version (v1)."""
    round_ = city_round(cast, FULL_POOL)
    draw = preview(cast, round_)
    inputs = {k: getattr(draw, k) for k in ("frame", "county_units", "pool", "conflicts",
                                             "must_include", "seed", "params")}  # fmt: skip
    v1 = algorithm.run(level="city", algorithm="sha256-rank-v1", **inputs)
    assert v1["teams"] != draw.teams  # v2 adds education to the sector institutions' teams
    Draw.objects.filter(pk=draw.pk).update(algorithm="sha256-rank-v1")
    old = Draw.objects.get(pk=draw.pk)
    assert services.draw_verify(old) == ["teams"]  # v2's teams are not what v1 makes
    Draw.objects.filter(pk=draw.pk).update(teams=v1["teams"], shortages=v1["shortages"])
    old = Draw.objects.get(pk=draw.pk)
    assert services.draw_verify(old) == []
    with pytest.raises(ValidationError, match="旧版抽样算法"):
        services.draw_confirm(draw=old, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    assert not Assignment.objects.exists()


def run_command(monkeypatch, *argv):
    """Run as `manage.py draw_sample …` does, exit status and all (not call_command)."""
    # run_from_argv closes every connection when it ends: not the test's own.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    command = load_command_class("sampling", "draw_sample")
    command.run_from_argv(["manage.py", "draw_sample", *argv])


def test_draw_sample_exits_1_naming_the_missing_departments_and_confirms_nothing(
    cast, frame, monkeypatch, capsys
):
    city_round(cast, [p for p in FULL_POOL if p[1] not in ("sports", "culture_tourism")])
    with pytest.raises(SystemExit) as exit_:
        run_command(monkeypatch, "--region", "140100", "--seed", "1", "--confirm")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "未确认" in err and "补充文化和旅游 1 人、体育 1 人" in err
    assert not Draw.objects.filter(status="confirmed").exists()
    assert not Assignment.objects.exists()


def test_the_demo_pools_let_the_demo_draws_confirm_with_joint_teams(db, regions):
    call_command("seed_demo", institutions=200, stdout=io.StringIO())
    for region in ("140100", "140000"):
        out = io.StringIO()
        call_command("draw_sample", region=region, seed="1", confirm=True, stdout=out)
        assert "已确认" in out.getvalue()
        draw = Draw.objects.get(round__region_id=region, status="confirmed")
        assert draw.shortages == {} and services.draw_verify(draw) == []
        for assignment in Assignment.objects.filter(draw=draw).select_related("institution"):
            need = {str(assignment.institution.supervising_department), "fire"}
            assert need <= departments_of(assignment.inspectors.all()), assignment


def test_draw_sample_refused_at_confirmation_exits_1_in_chinese(cast, frame, monkeypatch, capsys):
    city_round(cast, FULL_POOL)

    def refuse(**kwargs):
        raise PermissionDenied

    monkeypatch.setattr(services, "draw_confirm", refuse)
    with pytest.raises(SystemExit) as exit_:
        run_command(monkeypatch, "--region", "140100", "--seed", "1", "--confirm")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "无权确认" in err and "Traceback" not in err
    assert not Draw.objects.filter(status="confirmed").exists()


def test_the_page_hides_confirm_for_an_old_algorithm_or_a_team_of_one(client, cast, frame):
    round_ = city_round(cast, FULL_POOL)
    draw = preview(cast, round_)
    client.force_login(cast.taiyuan)
    url = reverse("sampling:draw", args=[draw.pk])
    assert 'data-testid="confirm"' in client.get(url).content.decode()
    Draw.objects.filter(pk=draw.pk).update(algorithm="sha256-rank-v1")
    page = client.get(url).content.decode()
    assert 'data-testid="confirm"' not in page and "旧版抽样算法" in page
    lone = {pk: team[:1] for pk, team in draw.teams.items()}
    Draw.objects.filter(pk=draw.pk).update(algorithm=algorithm.ALGORITHM, teams=lone)
    page = client.get(url).content.decode()
    assert 'data-testid="confirm"' not in page and "检查组不足2人" in page


def test_team_members_are_shown_with_their_department_on_the_page_and_in_the_xlsx(
    client, cast, frame
):
    round_ = city_round(cast, FULL_POOL)
    draw = preview(cast, round_)
    member = next(iter(draw.teams.values()))[0]
    department = next(d for u, d, _home in draw.pool if u == member)
    label = f"{User.objects.get(pk=member)}（{Department(department).label}）"
    client.force_login(cast.taiyuan)
    assert label in client.get(reverse("sampling:draw", args=[draw.pk])).content.decode()
    response = client.get(reverse("sampling:draw_export", args=[draw.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    teams = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert any(label in v for v in teams)
    assert any("（消防救援）" in v for v in teams)
