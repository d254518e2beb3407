"""Writes for sampling: the inspector pool, 回避, drawing, confirming, redrawing, completing.

A draw is made in two steps so the seed is fixed and shown before anything is final:
`draw_preview` freezes the frame, records the seed and computes the result (every preview
is kept and audited, so nobody can quietly try seeds until one pleases); `draw_confirm`
makes it the round's draw and turns it into inspection assignments. A confirmed draw is
never edited: a redraw is a new draw that names the old one and says why.
"""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification, User
from accounts.notifications import notify
from accounts.scope import Scope
from campaign.models import Campaign
from core.models import Region
from inspections.models import Round
from institutions.models import Institution

from . import algorithm
from .models import Assignment, Conflict, Draw, PoolMember
from .selectors import (
    draw_frame,
    must_include_candidates,
    must_row,
    quota_status,
    team_gaps,
)

SEED_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
LEVEL_BY_REGION = {"city": Round.Level.CITY, "province": Round.Level.PROVINCE}


def may_draw(scope: Scope, round_: Round) -> bool:
    """A round is drawn by its own level: 太原市 staff for 太原市, province staff for the province."""
    return scope.holds_at("sampling.draw", round_.region_id)


def _require_round(scope: Scope, permission: str, round_: Round) -> None:
    scope.require(permission)
    if not may_draw(scope, round_):
        raise PermissionDenied
    if round_.level not in (Round.Level.CITY, Round.Level.PROVINCE):
        raise ValidationError(_("县级排查不抽样：县级检查覆盖全部机构"))


def sampling_round(*, campaign: Campaign, region: Region) -> Round:
    """The city's spot-check round or the province's supervision round, made on first use."""
    level = LEVEL_BY_REGION.get(region.level)
    if level is None:
        raise ValidationError(_("只有市级和省级组织抽样"))
    if region.code[:2] != campaign.province_id[:2]:
        raise ValidationError(_("该地区不在本次专项行动范围内"))
    round_, _created = Round.objects.get_or_create(campaign=campaign, level=level, region=region)
    return round_


def generate_seed() -> str:
    """Twelve digits from the operating system's random source: easy to read out and note."""
    return f"{secrets.randbelow(10**12):012d}"


# -- the inspector pool and 回避 ----------------------------------------------------------


@transaction.atomic
def pool_add(*, round_: Round, user: User, actor, scope: Scope) -> PoolMember:
    _require_round(scope, "sampling.draw", round_)
    # Where they inspect inside the round's region (a role with inspections.change there).
    grant = Scope.held_by(user).first_within("inspections.change", round_.region.prefix)
    if grant is None:
        raise ValidationError(
            _("%(name)s 不在本轮次所属地区工作，不能加入检查人员库") % {"name": user}
        )
    member, created = PoolMember.objects.get_or_create(
        round=round_,
        user=user,
        defaults={
            "department": grant.department,
            "home_region_id": grant.region_code,
            "added_by": actor,
        },
    )
    if not created:
        raise ValidationError(_("%(name)s 已在检查人员库中") % {"name": user})
    return member


@transaction.atomic
def pool_remove(*, member: PoolMember, actor, scope: Scope) -> None:
    _require_round(scope, "sampling.draw", member.round)
    member.delete()


@transaction.atomic
def conflict_declare(
    *, user: User, institution: Institution, reason: str, actor, scope: Scope
) -> Conflict:
    scope.require("sampling.draw")
    if not scope.covers_region("sampling.draw", institution.county_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写回避原因"))
    conflict, created = Conflict.objects.get_or_create(
        user=user, institution=institution, defaults={"reason": reason, "declared_by": actor}
    )
    if not created:
        raise ValidationError(_("该回避已登记"))
    return conflict


# -- drawing -----------------------------------------------------------------------------


def _named_rows(named: list[tuple[Institution, str]], round_: Round) -> list[dict]:
    rows = []
    for institution, reason in named:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(_("请填写“%(name)s”的必查原因") % {"name": institution})
        if not institution.county_id.startswith(round_.region.prefix):
            raise ValidationError(_("“%(name)s”不在本地区，不能列为必查") % {"name": institution})
        rows.append(must_row(institution.pk, institution.county_id, institution.category,
                             institution.sector, reason, "named"))  # fmt: skip
    return rows


def _snapshot(round_: Round) -> tuple[list[list], list[list]]:
    """The pool (active users only) and their declared conflicts inside the round's region."""
    pool = [
        [m.user_id, m.department, m.home_region_id]
        for m in round_.pool.filter(user__is_active=True).order_by("user_id")
    ]  # fmt: skip
    # Asked by region, not by a list of up to 120,000 ids.
    declared = Conflict.objects.filter(
        user_id__in=[p[0] for p in pool],
        institution__county__code__startswith=round_.region.prefix,
    ).values_list("user_id", "institution_id")
    return pool, sorted([u, i] for u, i in declared)


@transaction.atomic
def draw_preview(
    *,
    round_: Round,
    actor,
    scope: Scope,
    seed: str = "",
    stratified: bool = True,
    team_size: int = 2,
    named: list[tuple[Institution, str]] = (),
    redraw_reason: str = "",
) -> Draw:
    """Freeze the frame, fix the seed and compute the draw; nothing is final until confirmed."""
    _require_round(scope, "sampling.draw", round_)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.completed_at is not None:
        raise ValidationError(_("本轮次已完成，不能再抽样"))
    # Only whether there is one (and which): its frozen frame is megabytes of JSON.
    current = round_.draws.filter(status=Draw.Status.CONFIRMED).only("pk").first()
    redraw_reason = (redraw_reason or "").strip()
    if current is not None and not redraw_reason:
        raise ValidationError(_("本轮次已有确认的抽样结果；重新抽样须写明原因"))
    # Trying seeds until a result pleases is the abuse a preview invites: every preview
    # after the first needs a written reason, and all of them stay on the record.
    if current is None and round_.draws.exists() and not redraw_reason:
        raise ValidationError(_("本轮次已预览过抽样结果；再次预览须写明原因（原预览保留）"))
    seed = (seed or "").strip() or generate_seed()
    if not SEED_PATTERN.match(seed):
        raise ValidationError(_("随机种子只能由字母、数字、下划线或短横线组成，最长64位"))
    if not 2 <= team_size <= 6:
        raise ValidationError(_("检查组人数应在2到6人之间"))

    frame, county_units = draw_frame(round_)
    must = [*must_include_candidates(round_), *_named_rows(list(named), round_)]
    seen: set[int] = set()
    must = [m for m in must if not (m["id"] in seen or seen.add(m["id"]))]
    pool, conflicts = _snapshot(round_)
    campaign = round_.campaign
    params = {
        "county_ratio": str(campaign.city_county_ratio),
        "institution_ratio": str(
            campaign.city_institution_ratio
            if round_.level == Round.Level.CITY
            else campaign.province_institution_ratio
        ),
        "stratified": bool(stratified),
        "team_size": team_size,
    }
    out = algorithm.run(
        level=round_.level,
        frame=frame,
        county_units=county_units,
        pool=pool,
        conflicts=conflicts,
        must_include=must,
        seed=seed,
        params=params,
    )
    round_.draws.filter(status=Draw.Status.PREVIEW).update(status=Draw.Status.DISCARDED)
    draw = Draw.objects.create(
        round=round_,
        algorithm=algorithm.ALGORITHM,
        seed=seed,
        params=params,
        frame=frame,
        frame_size=len(frame),
        frame_sha256=algorithm.frame_digest(frame),
        county_units=county_units,
        pool=pool,
        conflicts=conflicts,
        must_include=must,
        replaces=current,
        redraw_reason=redraw_reason,
        created_by=actor,
        **{k: out[k] for k in ("required_counties", "required_institutions", "counties",
                               "institutions", "allocation", "teams", "shortages", "notes")},
    )  # fmt: skip
    audit_log(
        kind=AuditEvent.Kind.DRAW,
        actor=actor,
        obj=draw,
        reason=redraw_reason,
        detail={"event": "preview", "seed": seed, "round": round_.pk, "frame": len(frame)},
    )
    return draw


@transaction.atomic
def draw_confirm(*, draw: Draw, actor, scope: Scope) -> Draw:
    """Make a previewed draw the round's draw and turn it into inspection assignments."""
    _require_round(scope, "sampling.draw", draw.round)
    Round.objects.select_for_update().get(pk=draw.round_id)
    draw = Draw.objects.get(pk=draw.pk)
    if draw.status != Draw.Status.PREVIEW:
        raise ValidationError(_("只能确认最新的预览结果；该抽样已确认、已放弃或已重抽"))
    if draw.round.completed_at is not None:
        raise ValidationError(_("本轮次已完成，不能再确认抽样"))
    if draw.algorithm != algorithm.ALGORITHM:
        # An earlier version's teams were not checked for the whole joint team.
        raise ValidationError(_("该预览由旧版抽样算法生成，请重新预览"))
    if list(_snapshot(draw.round)) != [draw.pool, draw.conflicts]:
        raise ValidationError(_("预览后检查人员库或回避登记有变化，请重新预览"))
    # The spot checks are joint (notice 三(二), 四(三)): every team holds education, the
    # supervising department of its institution and fire rescue, or the draw is not confirmed.
    gaps = team_gaps(draw)
    short = sum(1 for team in draw.teams.values() if len(team) < 2)
    if gaps:
        raise ValidationError(gaps_message(gaps))
    if short:
        raise ValidationError(
            _("%(n)s 家机构的检查组不足2人：请先在检查人员库中补充人员，再重新预览") % {"n": short}
        )
    current = draw.round.draws.filter(status=Draw.Status.CONFIRMED).first()
    if current is not None and current.pk != draw.replaces_id:
        raise ValidationError(_("本轮次的抽样结果已变化，请重新预览"))
    now = timezone.now()
    if current is not None:
        current.status = Draw.Status.SUPERSEDED
        current.superseded_at = now
        current.save(update_fields=["status", "superseded_at"])
        retired = list(current.assignments.filter(is_active=True))
        for assignment in retired:
            assignment.is_active = False
        bulk_update_with_history(
            retired, Assignment, ["is_active"], batch_size=2000, default_user=actor,
            default_change_reason=f"重抽 #{draw.pk}",
        )  # fmt: skip
    draw.status = Draw.Status.CONFIRMED
    draw.confirmed_by = actor
    draw.confirmed_at = now
    draw.save(update_fields=["status", "confirmed_by", "confirmed_at"])

    reasons = {m["id"]: m["reason"] for m in draw.must_include}
    random_ids = set(draw.institutions)
    rows = [
        Assignment(draw=draw, round=draw.round, institution_id=i, kind=Assignment.Kind.RANDOM)
        for i in draw.institutions
    ] + [
        Assignment(draw=draw, round=draw.round, institution_id=i, kind=Assignment.Kind.MUST,
                   reason=reasons[i][:200])
        for i in reasons if i not in random_ids
    ]  # fmt: skip
    rows = bulk_create_with_history(
        rows, Assignment, batch_size=2000, default_user=actor,
        default_change_reason=f"抽样 #{draw.pk}",
    )  # fmt: skip
    through = Assignment.inspectors.through
    links = [
        through(assignment_id=a.pk, user_id=user_id)
        for a in rows
        for user_id in draw.teams.get(str(a.institution_id), [])
    ]
    through.objects.bulk_create(links, batch_size=5000)
    _notify_teams(draw, links)
    audit_log(
        kind=AuditEvent.Kind.DRAW,
        actor=actor,
        obj=draw,
        reason=draw.redraw_reason,
        detail={
            "event": "redraw" if current is not None else "confirm",
            "seed": draw.seed,
            "replaces": current.pk if current is not None else None,
            "institutions": len(draw.institutions),
        },
    )
    return draw


def gaps_message(gaps: list[dict]) -> str:
    """Why a draw cannot be confirmed, naming the departments to add (selectors.team_gaps)."""
    institutions = {i for gap in gaps for i in gap["institutions"]}
    return _(
        "%(n)s 家机构的检查组缺少联合检查所需的部门人员（%(detail)s）：请在检查人员库中"
        "补充%(add)s（须不在所缺机构所在县区任职），再重新预览"
    ) % {
        "n": len(institutions),
        "detail": "、".join(
            _("缺%(department)s %(n)s 家") % {"department": g["label"], "n": len(g["institutions"])}
            for g in gaps
        ),
        "add": "、".join(
            _("%(department)s %(n)s 人") % {"department": g["label"], "n": g["add"]} for g in gaps
        ),
    }


def _notify_teams(draw: Draw, links: list) -> None:
    """Each drawn inspector hears once per draw how many institutions they go to."""
    per_user: dict[int, int] = {}
    for link in links:
        per_user[link.user_id] = per_user.get(link.user_id, 0) + 1
    for user in User.objects.filter(pk__in=per_user):
        notify(
            users=[user],
            kind=Notification.Kind.ASSIGNMENT,
            title=_("抽查任务：%(round)s") % {"round": draw.round},
            body=_("您被随机抽中参加%(round)s，负责检查 %(n)s 家机构，名单见工作台“我的抽查任务”。")
            % {"round": draw.round, "n": per_user[user.pk]},
            link=reverse("home"),
            reason=_("您在本轮次的检查人员库中，抽样 #%(draw)s 已确认") % {"draw": draw.pk},
            key=f"assignment:{draw.pk}",
        )


def draw_verify(draw: Draw) -> list[str]:
    """Recompute a draw from what it kept; the differences, or [] when it matches."""
    problems = []
    if algorithm.frame_digest(draw.frame) != draw.frame_sha256:
        problems.append("frame_sha256")
    if len(draw.frame) != draw.frame_size:
        problems.append("frame_size")
    if draw.algorithm not in algorithm.ALGORITHMS:
        problems.append("algorithm")
        return problems
    out = algorithm.run(
        level=draw.round.level,
        frame=draw.frame,
        county_units=draw.county_units,
        pool=draw.pool,
        conflicts=draw.conflicts,
        must_include=draw.must_include,
        seed=draw.seed,
        params=draw.params,
        algorithm=draw.algorithm,
    )
    for key, value in out.items():
        if getattr(draw, key) != value:
            problems.append(key)
    if draw.status in (Draw.Status.CONFIRMED, Draw.Status.SUPERSEDED):
        # The assignments people work from must be exactly the draw's institutions and teams.
        random_ids = set(draw.institutions)
        expected = {
            (i, Assignment.Kind.RANDOM): sorted(draw.teams.get(str(i), []))
            for i in draw.institutions
        }
        expected |= {
            (m["id"], Assignment.Kind.MUST): sorted(draw.teams.get(str(m["id"]), []))
            for m in draw.must_include
            if m["id"] not in random_ids
        }
        found = {
            (a.institution_id, a.kind): sorted(u.pk for u in a.inspectors.all())
            for a in draw.assignments.prefetch_related("inspectors")
        }
        if found != expected:
            problems.append("assignments")
        live = draw.assignments.filter(is_active=True).count()
        if live != (len(expected) if draw.status == Draw.Status.CONFIRMED else 0):
            problems.append("assignments_active")
    return problems


@transaction.atomic
def round_complete(*, round_: Round, actor, scope: Scope) -> Round:
    """Mark a spot-check round done; refused while its sample is below the quota."""
    _require_round(scope, "sampling.draw", round_)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.completed_at is not None:
        raise ValidationError(_("本轮次已标记完成"))
    status = quota_status(round_)
    if status["draw"] is None:
        raise ValidationError(_("本轮次尚未确认抽样，不能标记完成"))
    if not status["met"]:
        raise ValidationError(
            _(
                "未达到抽查数量要求：已检查县区 %(c)s/%(rc)s 个，已检查机构 %(i)s/%(ri)s 家，"
                "不能标记完成"
            )
            % {
                "c": status["inspected_counties"],
                "rc": status["required_counties"],
                "i": status["inspected_institutions"],
                "ri": status["required_institutions"],
            }
        )
    round_.completed_at = timezone.now()
    round_.save(update_fields=["completed_at"])
    round_.draws.filter(status=Draw.Status.PREVIEW).update(status=Draw.Status.DISCARDED)
    return round_
