"""The draw itself: pure functions of (frame, seed, parameters), nothing else.

No database, no clock, no Python `random`: every random choice is an order by a SHA-256
key, so anyone can recompute a published draw in any language from the stored frame and
seed (docs/sampling.md states the rules for an outsider). `verify_draw` runs these same
functions over the frame kept with the draw and compares.

Ranking: an element's key is SHA-256 of the UTF-8 text "{seed}|{stage}|{element}"; a stage
orders its candidates by key (bytes, ascending) and takes from the front. Taking the first
k of a hash order is a uniform random k-subset for any fixed seed that is not chosen after
seeing the frame, which is why the seed is fixed (and shown) before the draw is confirmed.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

# The version is stored with every draw and `verify_draw` recomputes a draw with its own:
# v1 (until the joint-team rule) needed the supervising department and fire rescue on a team;
# v2 adds education, which leads every spot check and alone may answer every section.
ALGORITHM = "sha256-rank-v2"
ALGORITHMS = ("sha256-rank-v1", "sha256-rank-v2")


def rank_key(seed: str, stage: str, element) -> bytes:
    return hashlib.sha256(f"{seed}|{stage}|{element}".encode()).digest()


def ranked(seed: str, stage: str, elements) -> list:
    """Elements in draw order for this seed and stage."""
    return sorted(elements, key=lambda e: rank_key(seed, stage, e))


def at_least(total: int, ratio) -> int:
    """⌈total × ratio⌉, exactly: 7 counties × 1/2 → 4, 95 institutions × 10% → 10."""
    return math.ceil(total * Fraction(str(ratio)))


@dataclass
class DrawResult:
    required_counties: int = 0
    required_institutions: int = 0
    counties: list[str] = field(default_factory=list)  # drawn county codes, in draw order
    institutions: list[int] = field(default_factory=list)  # drawn ids, ascending
    allocation: dict[str, int] = field(default_factory=dict)  # region code → how many
    notes: list[str] = field(default_factory=list)


def city_draw(
    frame: list[tuple[int, str]],
    county_units: list[str],
    *,
    seed: str,
    county_ratio,
    institution_ratio,
    stratified: bool = True,
) -> DrawResult:
    """Two stages: counties first, then institutions from the drawn counties only.

    `frame` is every eligible institution of the city as (id, county code); `county_units`
    every county-level unit of the city, with or without institutions.
    """
    by_county: dict[str, list[int]] = defaultdict(list)
    for institution_id, county in frame:
        by_county[county].append(institution_id)
    result = DrawResult(
        required_counties=at_least(len(county_units), county_ratio),
        required_institutions=at_least(len(frame), institution_ratio),
    )
    # A county without an eligible institution has nothing to spot-check: it is not a
    # candidate, and the county quota cannot exceed the counties that have any.
    candidates = [code for code in county_units if by_county.get(code)]
    if result.required_counties > len(candidates):
        result.notes.append("counties_capped")
        result.required_counties = len(candidates)
    order = ranked(seed, "county", candidates)
    taken = order[: result.required_counties]
    capacity = sum(len(by_county[c]) for c in taken)
    # The 10% is of the whole city; if the drawn counties hold too few, draw on.
    for code in order[len(taken) :]:
        if capacity >= result.required_institutions:
            break
        taken.append(code)
        capacity += len(by_county[code])
    if len(taken) > result.required_counties:
        result.notes.append("counties_extended")
    result.counties = taken

    # Every drawn county is actually visited: it gives at least its first-ranked institution.
    order_in = {code: ranked(seed, "institution", by_county[code]) for code in taken}
    if stratified:
        # Proportional stratified: the quota spread over the drawn counties by their size.
        sizes = {code: len(by_county[code]) for code in taken}
        allocation = proportional(result.required_institutions, sizes)
        chosen = [i for code in taken for i in order_in[code][: allocation[code]]]
    else:
        # One from each drawn county, the rest uniformly across all of their institutions.
        firsts = [order_in[code][0] for code in taken]
        rest = [i for code in taken for i in order_in[code][1:]]
        missing = max(0, result.required_institutions - len(firsts))
        chosen = firsts + ranked(seed, "institution", rest)[:missing]
    result.institutions = sorted(chosen)
    picked = set(chosen)
    for code in sorted(taken):
        result.allocation[code] = sum(1 for i in by_county[code] if i in picked)
    return result


def proportional(required: int, sizes: dict[str, int]) -> dict[str, int]:
    """Hamilton's largest-remainder allocation with at least one for every non-empty stratum.

    Each stratum gets max(1, ⌊share⌋) of `required`, share = required × size / total; the
    seats still missing go one by one to the largest remainders share − seats so far (a
    stratum lifted to its minimum of one has a negative remainder and comes last; ties:
    lower code first), never more than a stratum holds.
    """
    sizes = {code: n for code, n in sizes.items() if n > 0}
    total = sum(sizes.values())
    if total == 0:
        return {}
    shares = {code: Fraction(required * n, total) for code, n in sizes.items()}
    allocation = {code: min(n, max(1, math.floor(shares[code]))) for code, n in sizes.items()}
    by_remainder = sorted(shares, key=lambda c: (-(shares[c] - allocation[c]), c))
    while sum(allocation.values()) < required:
        grew = False
        for code in by_remainder:
            if sum(allocation.values()) >= required:
                break
            if allocation[code] < sizes[code]:
                allocation[code] += 1
                grew = True
        if not grew:  # every stratum fully taken
            break
    return dict(sorted(allocation.items()))


def province_draw(frame: list[tuple[int, str]], *, seed: str, institution_ratio) -> DrawResult:
    """⌈ratio × all⌉ institutions, spread over the cities in proportion to their size.

    Allocation is Hamilton's (largest remainder): each city gets the whole part of its
    proportional share, at least one when it has institutions, and the seats still
    missing go to the largest remainders (ties: lower city code first).
    """
    by_city: dict[str, list[int]] = defaultdict(list)
    for institution_id, county in frame:
        by_city[county[:4] + "00"].append(institution_id)
    total = len(frame)
    result = DrawResult(required_institutions=at_least(total, institution_ratio))
    if total == 0:
        return result
    allocation = proportional(result.required_institutions, {c: len(v) for c, v in by_city.items()})
    chosen: list[int] = []
    for city in sorted(allocation):
        chosen.extend(ranked(seed, "institution", by_city[city])[: allocation[city]])
    result.institutions = sorted(chosen)
    result.allocation = allocation
    return result


@dataclass(frozen=True)
class Inspector:
    user_id: int
    department: str
    home_region: str  # the region code of the inspector's own post


@dataclass
class TeamResult:
    teams: dict[int, list[int]] = field(default_factory=dict)  # institution → user ids
    shortages: dict[int, list[str]] = field(default_factory=dict)  # institution → departments


def draw_teams(
    targets: list[tuple[int, str, list[str]]],
    pool: list[Inspector],
    *,
    seed: str,
    conflicts: set[tuple[int, int]],
    team_size: int = 2,
) -> TeamResult:
    """The second 随机: a team for each (institution id, county code, departments needed).

    Institutions are served in the order ranked with stage "team-order". Each place (one
    per needed department, then anyone until the team has `team_size`) goes to the first
    eligible inspector in the order (assignments so far, key "inspector" of the user id):
    the least loaded first, so the work spreads evenly, ties by rank. Eligible: not on
    the team yet, not from the institution's own county, no declared conflict (回避).
    """
    rank = {p.user_id: rank_key(seed, "inspector", p.user_id) for p in pool}
    load = dict.fromkeys(rank, 0)

    def order(person: Inspector):
        return (load[person.user_id], rank[person.user_id])

    # One queue per department and one of everybody (None), each kept sorted by order().
    queues: dict[str | None, list[Inspector]] = defaultdict(list)
    for person in sorted(pool, key=order):
        queues[person.department].append(person)
        queues[None].append(person)
    result = TeamResult()
    by_id = {t[0]: t for t in targets}
    for institution_id in ranked(seed, "team-order", list(by_id)):
        _, county, needed = by_id[institution_id]
        team: list[int] = []
        for department in [*needed, *[None] * team_size]:
            if department is None and len(team) >= team_size:
                break
            chosen = next(
                (
                    p
                    for p in queues.get(department, ())
                    if p.user_id not in team
                    and p.home_region != county
                    and (p.user_id, institution_id) not in conflicts
                ),
                None,
            )
            if chosen is None:
                result.shortages.setdefault(institution_id, []).append(department or "any")
                if department is None:
                    break
                continue
            team.append(chosen.user_id)
            # Move the chosen one back in both queues: found by its key, not by a scan.
            for queue in (queues[chosen.department], queues[None]):
                del queue[bisect.bisect_left(queue, order(chosen), key=order)]
            load[chosen.user_id] += 1
            for queue in (queues[chosen.department], queues[None]):
                bisect.insort(queue, chosen, key=order)
        result.teams[institution_id] = team
    return result


def needed_departments(supervising_department: str, algorithm: str = ALGORITHM) -> list[str]:
    """Who a spot check needs: the joint team of the notice (三(二), 四(三)).

    Education, which leads the check and answers the sections nobody else on the team owns
    (staff vetting, minors, fees: a record is submitted only with every section answered),
    the institution's own supervising department (the sector's, for non-subject training),
    and fire rescue (section 二). v1 asked only the supervisor and fire rescue.
    """
    if algorithm == "sha256-rank-v1":
        return list(dict.fromkeys([supervising_department, "fire"]))
    return list(dict.fromkeys(["education", supervising_department, "fire"]))


def run(
    *,
    level: str,
    frame: list[list],
    county_units: list[str],
    pool: list[list],
    conflicts: list[list],
    must_include: list[dict],
    seed: str,
    params: dict,
    algorithm: str = ALGORITHM,
) -> dict:
    """Everything a draw produces, from everything it keeps. Used to draw and to verify
    (with the draw's own `algorithm`, so a draw made under an earlier version still checks).

    frame: [[institution id, county code, supervising department], …];
    pool: [[user id, department, home region code], …]; conflicts: [[user id, institution id], …];
    must_include: [{"id", "county", "department", "reason", …}, …] (they get teams too).
    """
    pairs = [(row[0], row[1]) for row in frame]
    if level == "city":
        drawn = city_draw(
            pairs,
            county_units,
            seed=seed,
            county_ratio=params["county_ratio"],
            institution_ratio=params["institution_ratio"],
            stratified=params.get("stratified", True),
        )
    else:
        drawn = province_draw(pairs, seed=seed, institution_ratio=params["institution_ratio"])
    rows = {row[0]: row for row in frame}
    random_ids = set(drawn.institutions)
    targets = [
        (i, rows[i][1], needed_departments(rows[i][2], algorithm)) for i in drawn.institutions
    ]
    targets += [
        (m["id"], m["county"], needed_departments(m["department"], algorithm))
        for m in must_include
        if m["id"] not in random_ids
    ]
    teams = draw_teams(
        targets,
        [Inspector(int(u), d, r) for u, d, r in pool],
        seed=seed,
        conflicts={(int(u), int(i)) for u, i in conflicts},
        team_size=params.get("team_size", 2),
    )
    return {
        "required_counties": drawn.required_counties,
        "required_institutions": drawn.required_institutions,
        "counties": drawn.counties,
        "institutions": drawn.institutions,
        "allocation": drawn.allocation,
        "notes": drawn.notes,
        # JSON object keys are strings; store them so, to compare like with like.
        "teams": {str(k): v for k, v in sorted(teams.teams.items())},
        "shortages": {str(k): v for k, v in sorted(teams.shortages.items())},
    }


def frame_digest(frame: list[list]) -> str:
    """SHA-256 of the frame as lines "id,county,department\n", ascending by id."""
    text = "".join(f"{i},{c},{d}\n" for i, c, d in frame)
    return hashlib.sha256(text.encode()).hexdigest()
