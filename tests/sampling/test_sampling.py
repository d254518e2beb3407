"""Sampling services, commands, pages and scope: draw, confirm, redraw, verify, complete."""

import io
import json
import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import scope_for
from core.models import Region
from inspections.models import Finding, Inspection, Round
from institutions.models import Institution
from sampling import services
from sampling.models import Assignment, Conflict, Draw, PoolMember
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_inspections import answer_all, start, submit
from tests.inspections.test_problems import inspected, seed_campaign

# 太原市's county-level units: 6 districts, 3 counties, 1 county-level city.
TAIYUAN_COUNTIES = ["140105", "140106", "140107", "140108", "140109", "140110"]


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def taiyuan_frame(cast, campaign):
    """37 operating institutions over four 太原市 districts, plus some that must not count."""
    sizes = {"140105": 15, "140106": 10, "140107": 8, "140108": 4}
    made = []
    for code, n in sizes.items():
        made += InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    InstitutionFactory(county=Region.objects.get(code="140105"), status="closed")
    InstitutionFactory(county=Region.objects.get(code="140213"))  # 大同市: outside
    return made


def with_pool(round_, drawer, posts):
    """Register one inspector per (county code, department) in the round's pool."""
    people = [UserFactory(grant=("county_officer", code, department)) for code, department in posts]
    for person in people:
        services.pool_add(round_=round_, user=person, actor=drawer, scope=scope_for(drawer))
    return people


# From counties without frame institutions, so every team can be filled everywhere: the
# factory's institutions are culture & art, supervised by culture & tourism, which each
# team needs beside education and fire rescue (joint checks).
TAIYUAN_POOL = [("140109", "education"), ("140110", "education"), ("140109", "fire"),
                ("140110", "fire"), ("140110", "culture_tourism")]  # fmt: skip


@pytest.fixture
def round_(cast, campaign):
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140100"))
    with_pool(round_, cast.taiyuan, TAIYUAN_POOL)
    return round_


def preview(user, round_, **kwargs):
    return services.draw_preview(round_=round_, actor=user, scope=scope_for(user), **kwargs)


def confirm(user, draw):
    return services.draw_confirm(draw=draw, actor=user, scope=scope_for(user))


def test_a_city_draw_meets_both_quotas_over_a_frozen_frame(cast, taiyuan_frame, round_):
    draw = preview(cast.taiyuan, round_, seed="20231201")
    units = Region.objects.filter(level="county", code__startswith="1401").count()
    assert draw.frame_size == 37 == len(draw.frame)
    assert {row[0] for row in draw.frame} == {i.pk for i in taiyuan_frame}
    assert len(draw.county_units) == units
    # ⌈units/2⌉, but only 4 counties have institutions to check.
    assert draw.required_counties == min(math.ceil(units / 2), 4)
    assert draw.required_institutions == 4  # ⌈10% × 37⌉
    assert len(draw.institutions) >= 4
    assert set(draw.counties) <= {"140105", "140106", "140107", "140108"}
    assert draw.status == "preview" and draw.seed == "20231201"
    assert services.draw_verify(draw) == []
    # The registry changes afterwards: the stored frame, and so the check, do not.
    Institution.objects.filter(pk=taiyuan_frame[0].pk).update(status="suspended")
    InstitutionFactory.create_batch(5, county=Region.objects.get(code="140105"))
    assert services.draw_verify(Draw.objects.get(pk=draw.pk)) == []


def test_the_same_seed_gives_the_same_draw_and_an_empty_seed_is_generated(
    cast, taiyuan_frame, round_
):
    first = preview(cast.taiyuan, round_, seed="42")
    with pytest.raises(ValidationError, match="再次预览须写明原因"):
        preview(cast.taiyuan, round_, seed="43")
    second = preview(cast.taiyuan, round_, seed="42", redraw_reason="核对种子录入")
    assert (first.counties, first.institutions) == (second.counties, second.institutions)
    assert Draw.objects.get(pk=first.pk).status == "discarded"  # kept, never deleted
    generated = preview(cast.taiyuan, round_, redraw_reason="改用系统生成的种子")
    assert len(generated.seed) == 12 and generated.seed.isdigit()
    previews = AuditEvent.objects.filter(kind="draw", detail__event="preview")
    assert previews.count() == 3


def test_confirming_turns_the_draw_into_assignments_with_random_teams(cast, taiyuan_frame, round_):
    inspectors = [
        UserFactory(grant=("county_officer", code, dept))
        for code, dept in [("140105", "education"), ("140106", "education"),
                           ("140107", "fire"), ("140108", "fire"), ("140109", "culture_tourism")]
    ]  # fmt: skip
    for person in inspectors:
        services.pool_add(
            round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan)
        )
    target = taiyuan_frame[0]
    services.conflict_declare(
        user=inspectors[1], institution=target, reason="亲属在该机构任职", actor=cast.taiyuan,
        scope=scope_for(cast.taiyuan),
    )  # fmt: skip
    draw = confirm(
        cast.taiyuan, preview(cast.taiyuan, round_, seed="7", named=[(target, "群众举报")])
    )
    assert draw.status == "confirmed" and draw.confirmed_by == cast.taiyuan
    assignments = Assignment.objects.filter(draw=draw)
    assert {a.institution_id for a in assignments if a.kind == "random"} == set(draw.institutions)
    for a in assignments:
        team = list(a.inspectors.all())
        assert len(team) >= 2
        homes = {g.region_id for person in team for g in person.grants.all()}
        assert a.institution.county_id not in homes  # nobody checks their own county
        assert {"fire"} <= {g.department for person in team for g in person.grants.all()}
        if a.institution_id == target.pk:
            assert inspectors[1] not in team  # 回避
    if target.pk not in draw.institutions:
        must = assignments.get(institution=target)
        assert must.kind == "must" and must.reason == "群众举报"
    assert services.draw_verify(draw) == []
    assert AuditEvent.objects.filter(kind="draw", detail__event="confirm").count() == 1


def test_a_confirmed_draw_cannot_be_changed_even_by_raw_sql(cast, taiyuan_frame, round_):
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(seed="2")
    with pytest.raises(DatabaseError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).update(institutions=[1, 2, 3])
    with pytest.raises(DatabaseError), transaction.atomic():
        Draw.objects.filter(pk=draw.pk).delete()
    draw.refresh_from_db()
    assert draw.seed == "1" and draw.status == "confirmed"
    with pytest.raises(ValidationError):
        confirm(cast.taiyuan, draw)


def test_a_redraw_needs_a_reason_and_keeps_the_old_draw(cast, taiyuan_frame, round_):
    old = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="1"))
    with pytest.raises(ValidationError, match="原因"):
        preview(cast.taiyuan, round_, seed="2")
    assert Draw.objects.count() == 1
    new = preview(cast.taiyuan, round_, seed="2", redraw_reason="原抽样框漏报两家机构")
    assert new.replaces == old
    confirm(cast.taiyuan, new)
    old.refresh_from_db()
    assert old.status == "superseded" and old.superseded_at is not None
    assert not old.assignments.filter(is_active=True).exists()
    assert Assignment.objects.filter(round=round_, is_active=True, draw=new).count() >= 4
    event = AuditEvent.objects.get(kind="draw", detail__event="redraw")
    assert event.reason == "原抽样框漏报两家机构" and event.detail["replaces"] == old.pk
    assert services.draw_verify(old) == [] and services.draw_verify(new) == []


def test_major_hazards_found_at_screening_are_included_with_their_reason(
    cast, places, taiyuan_frame, round_
):
    inspected(cast.xiaodian, places.xiaodian, codes=("2.22",))  # a major fire hazard
    draw = preview(cast.taiyuan, round_, seed="3")
    must = {m["id"]: m["reason"] for m in draw.must_include}
    assert "重大隐患" in must[places.xiaodian.pk]
    assert services.draw_verify(draw) == []


def test_bad_input_is_refused_in_chinese_and_nothing_is_written(cast, taiyuan_frame, round_):
    for seed in ["种子", "a b", "x" * 65]:
        with pytest.raises(ValidationError, match="随机种子"):
            preview(cast.taiyuan, round_, seed=seed)
    outside = Institution.objects.get(county_id="140213")
    with pytest.raises(ValidationError, match="不在本地区"):
        preview(cast.taiyuan, round_, named=[(outside, "举报")])
    with pytest.raises(ValidationError, match="必查原因"):
        preview(cast.taiyuan, round_, named=[(taiyuan_frame[0], " ")])
    assert Draw.objects.count() == 0


def test_out_of_scope_and_wrong_role_cannot_draw(cast, taiyuan_frame, round_, campaign):
    datong = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140200"))
    with pytest.raises(PermissionDenied):
        preview(cast.taiyuan, datong)
    for member in (cast.xiaodian, cast.province, cast.admin, cast.auditor):
        with pytest.raises(PermissionDenied):
            preview(member, round_)
    assert Draw.objects.count() == 0


def test_pages_answer_out_of_scope_with_404_and_wrong_role_with_403(
    client, cast, taiyuan_frame, round_, campaign
):
    datong = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140200"))
    client.force_login(cast.taiyuan)
    response = client.post(reverse("sampling:draw_preview", args=[datong.pk]), {"seed": "1"})
    assert response.status_code == 404
    client.force_login(cast.province)  # sees the city round, but draws only the province's
    response = client.post(reverse("sampling:draw_preview", args=[round_.pk]), {"seed": "1"})
    assert response.status_code == 403
    client.force_login(cast.xiaodian)
    assert client.get(reverse("sampling:round", args=[round_.pk])).status_code == 404
    assert Draw.objects.count() == 0


def test_opening_a_round_with_a_garbled_campaign_is_refused_not_a_500(client, cast, campaign):
    client.force_login(cast.taiyuan)
    for garbled in ("\ufffd\ufffd", "1e9", "-1", "9" * 40):
        response = client.post(
            reverse("sampling:rounds"), {"region": "140100", "campaign": garbled}
        )
        assert response.status_code == 403, garbled
    assert Round.objects.filter(level="city").count() == 0


def test_the_page_shows_a_chinese_error_and_writes_nothing(client, cast, taiyuan_frame, round_):
    client.force_login(cast.taiyuan)
    url = reverse("sampling:draw_preview", args=[round_.pk])
    response = client.post(url, {"seed": "种子 1", "stratified": "on"})
    assert response.status_code == 400
    assert "随机种子只能由字母、数字" in response.content.decode()
    response = client.post(url, {"seed": "1", "named": "91140105MA0000000X 举报"})
    assert response.status_code == 400 and "本地区没有统一社会信用代码" in response.content.decode()
    assert Draw.objects.count() == 0


def test_the_round_cannot_be_completed_below_quota(cast, taiyuan_frame, round_):
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="5"))
    with pytest.raises(ValidationError, match="未达到抽查数量要求"):
        services.round_complete(round_=round_, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    institutions = Institution.objects.filter(pk__in=draw.institutions)
    for number, institution in enumerate(institutions):
        inspection = start(cast.taiyuan, institution, level=Round.Level.CITY)
        assert inspection.round == round_
        answer_all(cast.taiyuan, inspection)
        submit(cast.taiyuan, inspection, result="compliant")
        status = services.quota_status(round_)
        assert status["inspected_institutions"] == number + 1
    assert status["met"]
    services.round_complete(round_=round_, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    round_.refresh_from_db()
    assert round_.completed_at is not None
    with pytest.raises(ValidationError, match="已完成"):
        preview(cast.taiyuan, round_, seed="6", redraw_reason="x")


def test_a_province_draw_takes_five_percent_spread_over_cities(cast, campaign):
    for code, n in {"140105": 30, "140213": 20, "140802": 11}.items():
        InstitutionFactory.create_batch(n, county=Region.objects.get(code=code))
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140000"))
    with_pool(round_, cast.province, [("140106", "education"), ("140214", "education"),
                                      ("140107", "fire"), ("140215", "fire"),
                                      ("140109", "culture_tourism")])  # fmt: skip
    draw = confirm(cast.province, preview(cast.province, round_, seed="2023"))
    assert draw.required_institutions == 4  # ⌈5% × 61⌉
    assert draw.allocation == {"140100": 2, "140200": 1, "140800": 1}
    assert len(draw.institutions) == 4 and services.draw_verify(draw) == []


def test_draw_sample_and_verify_draw_commands(cast, taiyuan_frame, round_):
    out = io.StringIO()
    call_command("draw_sample", region="140100", seed="99", json=True, stdout=out)
    printed = json.loads(out.getvalue())
    assert set(printed) == {
        "draw_id", "seed", "frame_size", "required_counties", "required_institutions",
        "counties", "institutions", "must_include",
    }  # fmt: skip
    assert printed["seed"] == "99" and printed["frame_size"] == 37
    draw = Draw.objects.get(pk=printed["draw_id"])
    assert draw.status == "preview" and draw.created_by == cast.taiyuan
    out = io.StringIO()
    with pytest.raises(CommandError, match="再次预览须写明原因"):
        call_command("draw_sample", region="140100", seed="99", confirm=True, stdout=out)
    call_command(
        "draw_sample", region="140100", seed="99", confirm=True, json=True, stdout=out,
        redraw_reason="预览核对无误，正式抽取",
    )  # fmt: skip
    confirmed = json.loads(out.getvalue())
    assert confirmed["institutions"] == printed["institutions"]
    assert Draw.objects.get(pk=confirmed["draw_id"]).status == "confirmed"

    out = io.StringIO()
    call_command("verify_draw", str(confirmed["draw_id"]), stdout=out)
    assert "一致" in out.getvalue()
    # A tampered preview (previews are not locked) no longer verifies: exit status 1.
    Draw.objects.filter(pk=printed["draw_id"]).update(institutions=[taiyuan_frame[0].pk])
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_draw", str(printed["draw_id"]), stdout=io.StringIO())
    assert exit_.value.code == 1


def test_the_record_export_lists_seed_frame_quota_and_teams(client, cast, taiyuan_frame, round_):
    person = UserFactory(full_name="王检查", grant=("county_officer", "140109", "fire"))
    services.pool_add(round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan))
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="77"))
    client.force_login(cast.taiyuan)
    response = client.get(reverse("sampling:draw_export", args=[draw.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert cells["随机种子"] == draw.seed and cells["抽样框机构数"] == 37
    assert cells["应抽机构数"] == draw.required_institutions
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("王检查" in v for v in values)
    assert not any(v.startswith("=") for v in values)
    assert AuditEvent.objects.filter(kind="export", detail__ledger="sampling").exists()


def test_the_api_lists_draws_in_scope_with_the_frame_behind_them(
    client, cast, taiyuan_frame, round_
):
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="11"))
    client.force_login(cast.taiyuan)
    listed = client.get(reverse("api:draw-list")).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [draw.pk]
    assert rows[0]["seed"] == "11" and "frame" not in rows[0]
    frame = client.get(reverse("api:draw-frame", args=[draw.pk])).json()
    assert len(frame["frame"]) == 37
    client.force_login(cast.xiaodian)  # a county never sees the city's sample in advance
    listed = client.get(reverse("api:draw-list")).json()
    assert (listed["results"] if isinstance(listed, dict) else listed) == []


def test_pool_and_conflict_rules(cast, round_, places):
    scope = scope_for(cast.taiyuan)
    outsider = UserFactory(grant=("county_officer", "140213"))
    with pytest.raises(ValidationError, match="不在本轮次所属地区"):
        services.pool_add(round_=round_, user=outsider, actor=cast.taiyuan, scope=scope)
    services.pool_add(round_=round_, user=cast.xiaodian, actor=cast.taiyuan, scope=scope)
    with pytest.raises(ValidationError, match="已在检查人员库"):
        services.pool_add(round_=round_, user=cast.xiaodian, actor=cast.taiyuan, scope=scope)
    with pytest.raises(ValidationError, match="回避原因"):
        services.conflict_declare(
            user=cast.xiaodian,
            institution=places.yingze,
            reason="",
            actor=cast.taiyuan,
            scope=scope,
        )
    with pytest.raises(PermissionDenied):
        services.conflict_declare(
            user=cast.xiaodian, institution=places.pingcheng, reason="亲属", actor=cast.taiyuan,
            scope=scope,
        )  # fmt: skip
    assert PoolMember.objects.count() == len(TAIYUAN_POOL) + 1 and Conflict.objects.count() == 0


def test_a_drawn_inspector_is_told_and_may_open_only_the_institutions_drawn_for_them(
    client, cast, taiyuan_frame, round_
):
    PoolMember.objects.filter(round=round_).delete()  # just these
    yingze = UserFactory(grant=("county_officer", "140106"))
    fire = UserFactory(grant=("county_officer", "140109", "fire"))
    third = UserFactory(grant=("county_officer", "140110"))
    # The frame's culture & art institutions are supervised by culture & tourism (joint team).
    culture = UserFactory(grant=("county_officer", "140110", "culture_tourism"))
    for person in (yingze, fire, third, culture):
        services.pool_add(
            round_=round_, user=person, actor=cast.taiyuan, scope=scope_for(cast.taiyuan)
        )
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="8"))
    mine = set(
        Assignment.objects.filter(draw=draw, inspectors=yingze).values_list(
            "institution_id", flat=True
        )
    )
    outside_home = [i for i in taiyuan_frame if i.county_id != "140106"]
    assigned = next(i for i in outside_home if i.pk in mine)
    not_assigned = next(i for i in outside_home if i.pk not in mine)
    note = yingze.notifications.get(kind="assignment")
    assert f"{len(mine)} 家" in note.body and "抽样 #" in note.reason
    client.force_login(yingze)
    home = client.get(reverse("home")).content.decode()
    assert assigned.name in home and f"我的抽查任务（{len(mine)} 家）" in home
    assert client.get(reverse("institutions:detail", args=[assigned.pk])).status_code == 200
    assert client.get(reverse("institutions:detail", args=[not_assigned.pk])).status_code == 404
    # Once the round is complete the door closes again.
    Round.objects.filter(pk=round_.pk).update(completed_at="2023-12-10T12:00:00+08:00")
    assert client.get(reverse("institutions:detail", args=[assigned.pk])).status_code == 404


def _drawn_for(person, draw):
    return Assignment.objects.filter(draw=draw, inspectors=person).select_related("institution")


def test_a_drawn_inspector_inspects_through_the_start_page_in_the_city_round(
    client, cast, taiyuan_frame, round_
):
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="12"))
    # Education is on every joint team and answers every section.
    officer = next(
        m.user
        for m in PoolMember.objects.filter(round=round_, department="education")
        if _drawn_for(m.user, draw)
    )
    assignment = _drawn_for(officer, draw).first()
    client.force_login(officer)
    response = client.post(reverse("inspections:start", args=[assignment.institution_id]))
    inspection = Inspection.objects.get(institution=assignment.institution, created_by=officer)
    assert response.status_code == 302 and inspection.round == round_
    assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 200
    answer_all(officer, inspection)
    submit(officer, inspection, result="compliant")
    status = services.quota_status(round_)
    assert status["inspected_institutions"] == (1 if assignment.kind == "random" else 0)
    # Someone else's county-round draft of the same institution stays out of reach.
    local = UserFactory(grant=("county_officer", assignment.institution.county_id))
    other = start(local, assignment.institution)
    assert other.round.level == "county"
    assert client.get(reverse("inspections:detail", args=[other.pk])).status_code == 404


def test_confirming_is_refused_when_anything_changed_or_teams_are_short(
    cast, taiyuan_frame, round_, campaign
):
    draw = preview(cast.taiyuan, round_, seed="21")
    person = PoolMember.objects.filter(round=round_).first().user
    services.conflict_declare(
        user=person, institution=taiyuan_frame[0], reason="曾在该机构兼职", actor=cast.taiyuan,
        scope=scope_for(cast.taiyuan),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="请重新预览"):
        confirm(cast.taiyuan, draw)
    draw = preview(cast.taiyuan, round_, seed="21", redraw_reason="登记回避后重新预览")
    Round.objects.filter(pk=round_.pk).update(completed_at="2023-12-10T12:00:00+08:00")
    with pytest.raises(ValidationError, match="已完成"):
        confirm(cast.taiyuan, draw)
    datong = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140200"))
    staff = UserFactory(grant=("city_staff", "140200"))
    empty = preview(staff, datong, seed="1")
    with pytest.raises(ValidationError, match="补充教育 1 人、文化和旅游 1 人、消防救援 1 人"):
        confirm(staff, empty)
    assert not Draw.objects.filter(status="confirmed").exists()


def test_assignments_and_teams_cannot_be_changed_and_verify_watches_them(
    cast, taiyuan_frame, round_
):
    draw = confirm(cast.taiyuan, preview(cast.taiyuan, round_, seed="31"))
    assignment = Assignment.objects.filter(draw=draw).first()
    team = Assignment.inspectors.through.objects.filter(assignment=assignment)
    for change in (
        lambda: Assignment.objects.filter(pk=assignment.pk).update(institution=taiyuan_frame[-1]),
        lambda: Assignment.objects.filter(pk=assignment.pk).delete(),
        lambda: team.update(user=cast.xiaodian),
        lambda: team.delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert services.draw_verify(draw) == []
    assert assignment.history.count() == 1  # its creation, with who drew it
    Assignment.objects.filter(pk=assignment.pk).update(is_active=False)  # the one allowed change
    assert services.draw_verify(Draw.objects.get(pk=draw.pk)) == ["assignments_active"]


def test_must_include_skips_withdrawn_hazards_and_keeps_suspended_institutions(
    cast, places, taiyuan_frame, round_
):
    inspection = inspected(cast.xiaodian, places.xiaodian, codes=("2.22",), result="suspend")
    Institution.objects.filter(pk=places.xiaodian.pk).update(status="suspended")
    draw = preview(cast.taiyuan, round_, seed="41")
    must = {m["id"]: m for m in draw.must_include}
    assert places.xiaodian.pk in must and places.xiaodian.pk not in {r[0] for r in draw.frame}
    assert must[places.xiaodian.pk]["county"] == "140105"
    team = draw.teams[str(places.xiaodian.pk)]
    assert len(team) >= 2
    Finding.objects.filter(task__inspection=inspection).update(status="withdrawn")
    Inspection.objects.filter(pk=inspection.pk).update(result="rectify")
    again = preview(cast.taiyuan, round_, seed="41", redraw_reason="复核必查名单")
    assert places.xiaodian.pk not in {m["id"] for m in again.must_include}


def test_an_open_complaint_puts_its_institution_on_the_must_include_list(
    cast, taiyuan_frame, round_
):
    from complaints import services as complaints

    target = taiyuan_frame[3]
    complaints.case_create(
        actor=cast.xiaodian, scope=scope_for(cast.xiaodian), channel="phone",
        category="minor_offence", county_code=target.county_id, institution=target,
        description="家长来电反映该机构存在安全隐患，要求核查处理。",
    )  # fmt: skip
    draw = preview(cast.taiyuan, round_, seed="51")
    must = {m["id"]: m for m in draw.must_include}
    assert must[target.pk]["reason"] == "有未办结的投诉举报（1 件）"
    assert must[target.pk]["source"] == "complaint"
    assert "未成年" not in json.dumps(draw.must_include, ensure_ascii=False)
