"""Reads for sampling, each through the scope: rounds, draws, assignments, quota status."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import PERMISSIONS_BY_ROLE, Department
from accounts.scope import Scope
from accounts.selectors import users_holding
from complaints.selectors import institutions_with_complaints
from core.models import Region
from inspections.models import Finding, Inspection, Round
from institutions.models import Institution, supervising_department_for

from .models import Assignment, Draw, PoolMember


def sampling_rounds(scope: Scope) -> QuerySet:
    """City spot-check and province supervision rounds the user may see."""
    return scope.filter(
        Round.objects.filter(level__in=[Round.Level.CITY, Round.Level.PROVINCE]),
        "sampling.view",
        region="region__code",
    ).select_related("region", "campaign")


def draw_list(scope: Scope) -> QuerySet:
    # The frame and snapshots are large; lists never need them.
    return (
        scope.filter(Draw.objects.all(), "sampling.view", region="round__region__code")
        .select_related("round__region", "round__campaign", "created_by", "confirmed_by")
        .defer("frame", "county_units", "pool", "conflicts")
    )


def pool_members(round_: Round) -> QuerySet:
    return PoolMember.objects.filter(round=round_).select_related("user", "home_region")


def draw_frame(round_: Round) -> tuple[list[list], list[str]]:
    """The frozen frame: operating institutions inside the round's region, ascending by id.

    Rows are [id, county code, supervising department]; the department decides who must
    be on the team. Also every county-level unit of the region, institutions or not.
    """
    prefix = round_.region.prefix
    rows = (
        Institution.objects.filter(
            status=Institution.Status.OPERATING, county__code__startswith=prefix
        )
        .order_by("id")
        .values_list("id", "county_id", "category", "sector")
    )
    departments: dict[tuple[str, str], str] = {}  # a handful of (category, sector) pairs
    frame = []
    for pk, county, category, sector in rows:
        key = (category, sector)
        if key not in departments:
            departments[key] = str(supervising_department_for(category, sector))
        frame.append([pk, county, departments[key]])
    units = list(
        Region.objects.filter(level=Region.Level.COUNTY, code__startswith=prefix)
        .order_by("code")
        .values_list("code", flat=True)
    )
    return frame, units


def must_row(pk, county, category, sector, reason: str, source: str) -> dict:
    """A must-include entry as the draw keeps it: enough to give the institution a team."""
    return {
        "id": pk,
        "reason": reason,
        "source": source,
        "county": county,
        "department": str(supervising_department_for(category, sector)),
    }


def must_include_candidates(round_: Round) -> list[dict]:
    """Institutions the lower level found in serious trouble: they are checked whatever the draw.

    Serious = a major hazard found (and not withdrawn by an amendment), or a 停业整改 result,
    at county screening in this campaign, anywhere in the region: an institution suspended
    since is exactly one to check again; or an open complaint (the reason names no category:
    the record is published).
    """
    prefix = round_.region.prefix
    found: dict[int, tuple[str, str]] = {}  # id → (reason, source)
    majors = (
        Finding.objects.filter(
            severity="major",
            task__inspection__round__campaign=round_.campaign,
            task__inspection__round__level=Round.Level.COUNTY,
            task__institution__county__code__startswith=prefix,
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .values_list("task__institution_id", "item__code")
        .order_by("task__institution_id", "item__code")
    )
    for institution_id, code in majors:
        found.setdefault(institution_id, (f"县级排查发现重大隐患（{code}）", "screening"))
    suspended = Inspection.objects.filter(
        round__campaign=round_.campaign,
        round__level=Round.Level.COUNTY,
        status=Inspection.Status.SUBMITTED,
        result=Inspection.Result.SUSPEND,
        institution__county__code__startswith=prefix,
    ).values_list("institution_id", flat=True)
    for institution_id in suspended:
        found.setdefault(institution_id, ("县级排查结论为停业整改", "screening"))
    for institution_id, reason in institutions_with_complaints(
        campaign=round_.campaign, region_prefix=prefix
    ):
        found.setdefault(institution_id, (reason, "complaint"))
    rows = Institution.objects.filter(pk__in=found).exclude(status=Institution.Status.CLOSED)
    return [
        must_row(pk, county, category, sector, *found[pk])
        for pk, county, category, sector in rows.order_by("pk").values_list(
            "pk", "county_id", "category", "sector"
        )
    ]


# A province draw's frozen inputs and its teams run to megabytes of JSON (112,000 frame
# rows, 5,600 teams): decoding them cost every dashboard 40 ms for two numbers.
HEAVY = ("frame", "pool", "conflicts")
TEAMS = ("teams", "county_units", "must_include", "allocation", "shortages", "notes")


def current_draw(round_: Round, *, counts_only: bool = False) -> Draw | None:
    """The round's confirmed draw, without its (large) frozen inputs; with `counts_only`
    also without its teams and working lists (what quota figures need)."""
    deferred = HEAVY + TEAMS if counts_only else HEAVY
    return round_.draws.filter(status=Draw.Status.CONFIRMED).defer(*deferred).first()


def assignment_list(round_: Round) -> QuerySet:
    return (
        Assignment.objects.filter(round=round_, is_active=True)
        .select_related("institution__county")
        .prefetch_related("inspectors")
    )


def quota_status(round_: Round) -> dict:
    """Counties and institutions drawn and inspected against what the quota requires.

    Only the random sample counts: must-include institutions are checked on top of it.
    `draw` is the confirmed draw without its teams (sampling.selectors.current_draw).
    """
    draw = current_draw(round_, counts_only=True)
    status = {
        "draw": draw,
        "required_counties": draw.required_counties if draw else 0,
        "required_institutions": draw.required_institutions if draw else 0,
        "drawn_counties": len(draw.counties) if draw else 0,
        "drawn_institutions": len(draw.institutions) if draw else 0,
        "inspected_counties": 0,
        "inspected_institutions": 0,
        "met": False,
    }
    if draw is None:
        return status
    done = (
        Inspection.objects.filter(
            round=round_,
            status=Inspection.Status.SUBMITTED,
            institution_id__in=Assignment.objects.filter(
                draw=draw, kind=Assignment.Kind.RANDOM
            ).values("institution_id"),
        )
        .values("institution__county_id")
        .annotate(n=Count("institution_id", distinct=True))
    )
    per_county = {row["institution__county_id"]: row["n"] for row in done}
    status["inspected_counties"] = len(per_county)
    status["inspected_institutions"] = sum(per_county.values())
    status["met"] = (
        status["inspected_counties"] >= status["required_counties"]
        and status["inspected_institutions"] >= status["required_institutions"]
    )
    return status


INSPECTING_ROLES = [r for r, perms in PERMISSIONS_BY_ROLE.items() if "inspections.change" in perms]


def pool_candidates(round_: Round) -> QuerySet:
    """Active users who inspect somewhere inside the round's region and are not yet in its pool."""
    roles = INSPECTING_ROLES
    return (
        users_holding(roles=roles, within=round_.region.prefix)
        .exclude(pk__in=round_.pool.values("user_id"))
        .order_by("username")
    )


def user_names(ids) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=set(ids))}


def member_labels(draw: Draw, ids) -> dict[int, str]:
    """Each team member as "姓名（部门）", the department they were drawn for (the draw's
    frozen pool): a reader sees at once that the team is joint."""
    ids = set(ids)
    names = user_names(ids)
    drawn_for = {row[0]: row[1] for row in draw.pool if row[0] in ids}
    return {
        pk: _("%(name)s（%(department)s）")
        % {"name": name, "department": department_label(drawn_for[pk])}
        if pk in drawn_for
        else name
        for pk, name in names.items()
    }


def short_teams(draw: Draw) -> int:
    """How many institutions' teams have fewer than 2 people (no confirmation then)."""
    return sum(1 for team in draw.teams.values() if len(team) < 2)


def my_assignments(user) -> QuerySet:
    """The spot-check institutions this inspector was drawn for, in rounds still open."""
    return (
        Assignment.objects.filter(inspectors=user, is_active=True, round__completed_at__isnull=True)
        .select_related("institution__county", "round__region")
        .order_by("round_id", "institution__county_id", "institution__name")
    )


def draw_attempt(draw: Draw) -> dict:
    """Which draw of its round this is, and how many came before it: shown on the record."""
    earlier = Draw.objects.filter(round_id=draw.round_id, pk__lt=draw.pk).count()
    return {"number": earlier + 1, "earlier": earlier}


ANY = "any"  # a place on the team for anybody, beyond the departments the institution needs


def department_label(code: str) -> str:
    """A department's Chinese name (or the English one, per the active language): the draw
    keeps codes, people read names."""
    if code == ANY:
        return str(_("其他组员"))
    try:
        return str(Department(code).label)
    except ValueError:  # a code from an older draw no longer listed: shown as kept
        return code


def team_gaps(draw: Draw) -> list[dict]:
    """The departments a draw's teams lack (the notice's joint checks, 三(二) and 四(三): education,
    each institution's supervising department, fire rescue; algorithm.needed_departments);
    no confirmation while any is missing.

    Per department: the institutions short of it and how many people to add to the pool.
    One is always enough: nobody's workload is capped, so one inspector of that department
    who is not posted in any of those institutions' counties (and has no 回避 with them)
    fills every such place on the next preview. Read from the draw alone, no query.
    """
    short: dict[str, list[int]] = {}
    for institution_id, departments in draw.shortages.items():
        for department in departments:
            if department != ANY:
                short.setdefault(department, []).append(int(institution_id))
    order = {code: n for n, code in enumerate(Department.values)}
    return [
        {
            "department": code,
            "label": department_label(code),
            "institutions": sorted(ids),
            "add": 1,
        }
        for code, ids in sorted(short.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]


def team_gaps_with_counties(draw: Draw) -> list[dict]:
    """team_gaps, each with the names of the counties the people to add must not work in."""
    gaps = team_gaps(draw)
    ids = {i for gap in gaps for i in gap["institutions"]}
    if not ids:
        return gaps
    county_of = dict(Institution.objects.filter(pk__in=ids).values_list("pk", "county_id"))
    names = dict(
        Region.objects.filter(code__in=set(county_of.values())).values_list("code", "name")
    )
    for gap in gaps:
        codes = sorted({county_of[i] for i in gap["institutions"] if i in county_of})
        gap["counties"] = [names.get(code, code) for code in codes]
    return gaps
