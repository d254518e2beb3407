"""Reads for the progress dashboards of county, city and province, through the scope.

Everything is computed live, per county, in two grouped SQL statements over the whole region
(institutions × their first submitted county-round inspection; problems by section, severity
and status), then added up per city and per province in Python: 117 counties, not 120,000
rows. The institutions both statements read are the scope's own queryset, compiled into
the SQL, so a dashboard counts exactly what the lists behind it show.

Only the flags (RegionOverdue, QuotaFlag) come from the clock's jobs; the pages say when they
last ran.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.roles import Section, Sector
from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem, Phase
from campaign.selectors import campaign_list, campaign_scope, upcoming_deadlines
from clock.models import JobRun, QuotaFlag, RegionOverdue
from core import kept as kept_copies
from core.models import Region
from inspections.models import Finding, Inspection, Round
from institutions.models import Institution
from sampling.selectors import quota_status, sampling_rounds

from .portable import portable_rows
from .selfcheck import selfcheck_rows

PERMISSION = "inspections.view"
NO_SECTOR = ""
SEVERITIES = [ChecklistItem.Severity.MAJOR, ChecklistItem.Severity.GENERAL]
SECTORS = [*Sector.values, NO_SECTOR]
# The phases whose lateness is about screening every institution (the rest are samples).
SCREENING_PHASES = (Phase.Kind.COUNTY_SCREENING,)


def section_labels(sections) -> list[tuple[str, str]]:
    """The sections in the notice's order, with their names."""
    return [(value, label) for value, label in Section.choices if value in sections]


def active_campaign(scope: Scope) -> Campaign | None:
    """The running campaign of the user's province (the newest, if there were two)."""
    return (
        campaign_list(scope=scope, permission=PERMISSION)
        .filter(is_active=True)
        .order_by("-starts_on", "-pk")
        .first()
    )


@dataclass
class Figures:
    """One region's measures (a county, a city or a province), or one sector's."""

    code: str
    name: str
    institutions: int = 0  # every status: the register's size
    subject: int = 0
    risky: int = 0
    total: int = 0  # operating: what must be screened
    screened: int = 0
    found: int = 0  # problems, withdrawn ones never were
    open: int = 0
    reported: int = 0
    closed: int = 0
    overdue: int = 0
    major: int = 0
    # The county phase is 排查整改: screening every institution AND rectifying what it found.
    # Problems found by county screening (not spot checks), closed of them, and those still
    # open past their deadline (one inside the deadline the county set is in hand).
    screening_found: int = 0
    screening_closed: int = 0
    screening_late: int = 0
    # Staff employed during the campaign, and those whose record on the national platform
    # is complete (§三: 在全国平台上加快完善全体人员基本信息); counted where staff.view reaches.
    staff: int = 0
    staff_platform: int = 0
    # Operating institutions that submitted their self-inspection (自查自评), and major
    # problems the officials found where the institution's self-inspection said 合规.
    self_checked: int = 0
    contradicted: int = 0
    by_sector: dict[str, list[int]] = field(default_factory=dict)  # sector → [total, screened]
    problems: dict[tuple[str, str], int] = field(default_factory=dict)  # (section, severity)
    flags: list = field(default_factory=list)  # open RegionOverdue on this region or below

    COUNTS = (
        "institutions", "subject", "risky", "total", "screened",
        "found", "open", "reported", "closed", "overdue", "major",
        "screening_found", "screening_closed", "screening_late", "staff", "staff_platform",
        "self_checked", "contradicted",
    )  # fmt: skip

    @property
    def unscreened(self) -> int:
        return self.total - self.screened

    @property
    def coverage(self) -> float:
        """Screened share of operating institutions, 0–100; a region with none is done."""
        return round(100 * self.screened / self.total, 1) if self.total else 100.0

    @property
    def self_check_rate(self) -> float:
        """Self-inspected share of operating institutions, 0–100."""
        return round(100 * self.self_checked / self.total, 1) if self.total else 0.0

    @property
    def done(self) -> bool:
        """The county phase's work is done here: every operating institution screened and
        no problem screening found left open past its deadline."""
        return self.screened >= self.total and not self.screening_late

    def add(self, other: Figures) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for sector, (total, screened) in other.by_sector.items():
            mine = self.by_sector.setdefault(sector, [0, 0])
            mine[0] += total
            mine[1] += screened
        for key, n in other.problems.items():
            self.problems[key] = self.problems.get(key, 0) + n
        self.flags.extend(other.flags)

    def progress(self) -> dict:
        """The shape the existing `_progress.html` partial reads."""
        return {
            name: getattr(self, name)
            for name in (
                "total", "screened", "found", "reported", "closed", "overdue", "major",
                "screening_found", "screening_closed", "screening_late",
                "staff", "staff_platform", "done", "self_checked", "contradicted",
            )
        }  # fmt: skip


@dataclass
class TrendDay:
    day: dt.date
    screened: int
    cumulative: int


@dataclass
class Board:
    """Everything one dashboard shows for one region."""

    region: Region
    campaign: Campaign | None
    today: dt.date
    total: Figures
    children: list[Figures]  # per city of a province, per county of a city; none for a county
    counties: list[Figures]  # every county inside the region
    trend: list[TrendDay]
    flags: list  # open RegionOverdue inside the region, in scope
    quota: dict | None  # the region's own sample (a city's spot checks, the province's)
    quota_round: Round | None
    quota_flags: list  # open QuotaFlag on the region and the cities below it, in scope
    deadlines: list[dict]
    last_run: JobRun | None
    computed_at: dt.datetime
    precomputed: bool
    sections: list[str]

    @property
    def behind(self) -> list[Figures]:
        """Children ranked from furthest behind: lowest coverage, then most overdue problems."""
        return sorted(self.children, key=lambda f: (f.coverage, -f.overdue, -len(f.flags), f.code))

    @property
    def counties_behind(self) -> list[Figures]:
        late = [f for f in self.counties if f.unscreened or f.overdue or f.flags]
        return sorted(late, key=lambda f: (f.coverage, -f.overdue, f.code))

    @property
    def counties_done(self) -> int:
        """Counties whose 排查整改 is done (every institution screened, nothing found left
        open past its deadline)."""
        return sum(f.done for f in self.counties)

    def sector_rows(self) -> list[tuple[str, int, int]]:
        labels = dict(Sector.choices)
        rows = []
        for sector in SECTORS:
            total, screened = self.total.by_sector.get(sector, (0, 0))
            if total:
                rows.append((sector, labels.get(sector, ""), total, screened))
        return rows


# -- the two grouped statements -------------------------------------------------------


def _scoped_institutions(scope: Scope, prefix: str) -> tuple[str, tuple]:
    """The SQL of the institutions the scope shows inside the region (every status)."""
    qs = scope.institutions(
        Institution.objects.filter(county__code__startswith=prefix), PERMISSION
    ).order_by()
    qs = qs.values("id", "county_id", "sector", "status", "category", "is_risky")
    return qs.query.sql_with_params()


def _round_ids(campaign: Campaign | None, prefix: str, *, county_only: bool = False) -> list[int]:
    """The campaign's rounds whose work can lie inside the region: its county rounds and,
    unless `county_only`, every city and province round (they span counties)."""
    if campaign is None:
        return []
    rounds = Round.objects.filter(campaign=campaign)
    inside = Q(level=Round.Level.COUNTY, region__code__startswith=prefix)
    rounds = rounds.filter(inside if county_only else inside | ~Q(level=Round.Level.COUNTY))
    return list(rounds.values_list("pk", flat=True))


SCREENING_SQL = """
WITH inst AS ({institutions}),
first AS (
    SELECT institution_id, MIN(submitted_at) AS at
    FROM {inspection}
    WHERE round_id = ANY(%s) AND status = %s
    GROUP BY institution_id
)
SELECT GROUPING((first.at AT TIME ZONE %s)::date) = 0 AS by_day, inst.county_id, inst.sector,
       (first.at AT TIME ZONE %s)::date AS day,
       COUNT(*),
       COUNT(*) FILTER (WHERE inst.category = %s),
       COUNT(*) FILTER (WHERE inst.is_risky),
       COUNT(*) FILTER (WHERE inst.status = %s),
       COUNT(first.at) FILTER (WHERE inst.status = %s)
FROM inst LEFT JOIN first ON first.institution_id = inst.id
GROUP BY GROUPING SETS (
    (inst.county_id, inst.sector),
    (inst.county_id, inst.sector, (first.at AT TIME ZONE %s)::date)
)
"""

PROBLEMS_SQL = """
WITH inst AS ({institutions})
SELECT inst.county_id, inst.sector, f.section, f.severity, f.status,
       (COALESCE(f.deadline, t.deadline) < %s) AS late,
       (ins.round_id = ANY(%s)) AS screening, COUNT(*)
FROM {finding} f
JOIN {task} t ON t.id = f.task_id
JOIN {inspection} ins ON ins.id = t.inspection_id
JOIN inst ON inst.id = t.institution_id
WHERE ins.round_id = ANY(%s) AND f.section = ANY(%s) AND f.status <> %s
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def statements(scope: Scope, campaign: Campaign | None, prefix: str, today: dt.date):
    """The two statements a dashboard runs, as (sql, params): the benchmark times them bare."""
    inst_sql, inst_params = _scoped_institutions(scope, prefix)
    county_rounds = _round_ids(campaign, prefix, county_only=True)
    tz = settings.TIME_ZONE
    operating = Institution.Status.OPERATING
    screening = (
        SCREENING_SQL.format(institutions=inst_sql, inspection=Inspection._meta.db_table),
        (
            *inst_params, county_rounds, Inspection.Status.SUBMITTED, tz, tz,
            Institution.Category.SUBJECT, operating, operating, tz,
        ),
    )  # fmt: skip
    problems = (
        PROBLEMS_SQL.format(
            institutions=inst_sql,
            finding=Finding._meta.db_table,
            task=Finding.task.field.related_model._meta.db_table,
            inspection=Inspection._meta.db_table,
        ),
        (
            *inst_params, today, county_rounds, _round_ids(campaign, prefix),
            sorted(scope.sections(PERMISSION)), Finding.Status.WITHDRAWN,
        ),
    )  # fmt: skip
    return screening, problems


@dataclass
class Facts:
    """The grouped rows both statements return, per county and sector (and day, section…)."""

    computed_at: dt.datetime
    today: dt.date
    screening: list[tuple]  # county, sector, institutions, subject, risky, total, screened
    days: list[tuple]  # county, sector, day, first screened that day
    problems: list[tuple]  # county, sector, section, severity, status, late, screening, n
    # county, sector, staff employed during the campaign, their platform records complete;
    # every staff row the reading scope holds: a board keeps those `staff.view` reaches.
    staff: list[tuple] = field(default_factory=list)
    # county, sector, operating institutions that submitted their self-inspection (自查自评)
    selfcheck: list[tuple] = field(default_factory=list)
    # county, sector, section, major problems found where the institution's self-inspection
    # said the item was 合规
    contradicted: list[tuple] = field(default_factory=list)

    def within(self, scope: Scope, prefix: str) -> Facts:
        """Only the rows of counties and sectors inside the scope and the region, and the
        problems of the scope's sections: the same rule `Scope.institutions` applies in SQL."""
        sections = scope.sections(PERMISSION)
        whole = set(Section.values) <= sections and scope.covers_every_sector(PERMISSION, prefix)
        if whole:
            # A grant covers the whole region, every sector and section (province and city
            # staff): only the region narrows, a string test per row.
            rows = (
                self.screening, self.days, self.problems, self.staff,
                self.selfcheck, self.contradicted,
            )  # fmt: skip
            return Facts(
                self.computed_at,
                self.today,
                *([r for r in group if r[0].startswith(prefix)] for group in rows),
            )
        cache: dict[tuple[str, str], bool] = {}

        def inside(county: str, sector: str) -> bool:
            key = (county, sector)
            if key not in cache:
                cache[key] = county.startswith(prefix) and scope.covers_institution(
                    PERMISSION, county_code=county, sector=sector
                )
            return cache[key]

        return Facts(
            computed_at=self.computed_at,
            today=self.today,
            screening=[r for r in self.screening if inside(r[0], r[1])],
            days=[r for r in self.days if inside(r[0], r[1])],
            problems=[r for r in self.problems if inside(r[0], r[1]) and r[2] in sections],
            staff=[r for r in self.staff if r[0].startswith(prefix)],
            selfcheck=[r for r in self.selfcheck if inside(r[0], r[1])],
            contradicted=[r for r in self.contradicted if inside(r[0], r[1]) and r[2] in sections],
        )


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def staff_rows(scope: Scope, campaign: Campaign | None, prefix: str) -> list[tuple]:
    """(county, sector, staff, platform complete) of the staff employed at some time during
    the campaign (as the city summary counts them), in the scope's `staff.view` reach."""
    from personnel.models import StaffMember

    if campaign is None or not scope.can("staff.view"):
        return []
    staff = scope.institutions(
        StaffMember.objects.employed_between(campaign.starts_on, campaign.ends_on).filter(
            institution__county__code__startswith=prefix
        ),
        "staff.view",
        path="institution",
    )
    rows = (
        staff.order_by()
        .values_list("institution__county_id", "institution__sector")
        .annotate(n=Count("id"), complete=Count("id", filter=Q(platform_complete=True)))
    )
    return [(county, sector or NO_SECTOR, n, complete) for county, sector, n, complete in rows]


def live_facts(
    scope: Scope, campaign: Campaign | None, prefix: str, today: dt.date, *, with_staff: bool = True
) -> Facts:
    """The facts of a region as the scope shows it, read now. `with_staff=False` leaves the
    staff rows out, for a reader that counts staff its own way (the city summary)."""
    computed_at = timezone.now()
    staff = staff_rows(scope, campaign, prefix) if with_staff else []
    selfcheck, contradicted = selfcheck_rows(scope, campaign, prefix)
    if connection.vendor != "postgresql":
        # The SQLite demo: the same rows, added up in Python (progress/portable.py).
        screening, days, problems = portable_rows(
            scope, campaign, prefix, today, permission=PERMISSION,
            county_rounds=_round_ids(campaign, prefix, county_only=True),
            all_rounds=_round_ids(campaign, prefix), no_sector=NO_SECTOR,
        )  # fmt: skip
        return Facts(computed_at, today, screening, days, problems, staff, selfcheck, contradicted)
    screening_sql, problems_sql = statements(scope, campaign, prefix, today)
    screening, days = [], []
    for by_day, county, sector, day, n, subject, risky, total, screened in _fetch(*screening_sql):
        if not by_day:
            screening.append((county, sector or NO_SECTOR, n, subject, risky, total, screened))
        elif day is not None and screened:
            days.append((county, sector or NO_SECTOR, day, screened))
    problems = [
        (county, sector or NO_SECTOR, *rest) for county, sector, *rest in _fetch(*problems_sql)
    ]
    return Facts(computed_at, today, screening, days, problems, staff, selfcheck, contradicted)


# -- the province's figures, precomputed ------------------------------------------------

# A province's figures take about a second to add up at 120,000 institutions and 500,000
# inspections, its largest city's half a second. They are kept (core/kept.py), whole-province
# and every section, for SUMMARY_MAX_AGE; each viewer gets the rows of their own scope from
# the copy, and the page says how old it is.
SUMMARY_MAX_AGE = kept_copies.MAX_AGE


def _summary_key(campaign: Campaign) -> str:
    # The campaign's creation time keeps a campaign deleted and created again under the
    # same id from reading the old one's copy.
    # v3: problem rows say whether county screening found them; staff rows.
    # v4: self-inspection rows.
    return kept_copies.key("progress", "v4", campaign.pk, campaign.created_at.timestamp())


def refresh_summary(campaign: Campaign, today: dt.date | None = None) -> Facts:
    """Add up the whole province now and keep the result (for the beat or an operator)."""
    return kept_copies.refresh(_summary_key(campaign), lambda: _province_facts(campaign, today))


def _province_facts(campaign: Campaign, today: dt.date | None = None) -> Facts:
    today = today or timezone.localdate()
    return live_facts(campaign_scope(campaign), campaign, campaign.province.prefix, today)


def forget_summary(campaign: Campaign) -> None:
    kept_copies.forget(_summary_key(campaign))


def summary_facts(campaign: Campaign, today: dt.date) -> Facts:
    """The kept province figures; refreshed when missing, older than SUMMARY_MAX_AGE or of
    another day (what is overdue changes at midnight), one request at a time."""
    return kept_copies.read(
        _summary_key(campaign),
        today,
        refresh=lambda: refresh_summary(campaign, today),
        compute=lambda: _province_facts(campaign, today),
        max_age=SUMMARY_MAX_AGE,
    )


def kept(campaign: Campaign | None, region: Region) -> bool:
    """Province and city boards read the kept copy; a county's is small enough to add live."""
    return campaign is not None and region.level != Region.Level.COUNTY


def region_facts(scope: Scope, campaign: Campaign | None, region: Region, today: dt.date) -> Facts:
    """The province's or a city's facts from the kept copy; a county's added up live."""
    if kept(campaign, region):
        return summary_facts(campaign, today).within(scope, region.prefix)
    return live_facts(scope, campaign, region.prefix, today)


def county_figures(
    facts: Facts, names: dict[str, str], staff_scope: Scope | None = None
) -> dict[str, Figures]:
    """Figures per county from the facts; staff counted where `staff_scope` has staff.view
    (every staff row of the facts when None: they were read through the scope already)."""
    counties: dict[str, Figures] = {}

    def county(code: str) -> Figures:
        if code not in counties:
            counties[code] = Figures(code=code, name=names.get(code, code))
        return counties[code]

    for code, sector, n, subject, risky, total, screened in facts.screening:
        row = county(code)
        row.institutions += n
        row.subject += subject
        row.risky += risky
        row.total += total
        row.screened += screened
        if total:
            row.by_sector[sector] = [total, screened]
    done = set(Finding.DONE)
    for code, _sector, section, severity, status, late, screening, n in facts.problems:
        row = county(code)
        row.found += n
        if screening:
            row.screening_found += n
            row.screening_closed += n if status == Finding.Status.CLOSED else 0
            row.screening_late += n if late and status not in done else 0
        if status == Finding.Status.OPEN:
            row.open += n
        elif status == Finding.Status.REPORTED:
            row.reported += n
        elif status == Finding.Status.CLOSED:
            row.closed += n
        if late and status not in done:
            row.overdue += n
        if severity == ChecklistItem.Severity.MAJOR:
            row.major += n
        row.problems[(section, severity)] = row.problems.get((section, severity), 0) + n
    for code, _sector, n in facts.selfcheck:
        county(code).self_checked += n
    for code, _sector, _section, n in facts.contradicted:
        county(code).contradicted += n
    for code, sector, n, complete in facts.staff:
        if staff_scope is not None and not staff_scope.covers_institution(
            "staff.view", county_code=code, sector=sector
        ):
            continue
        row = county(code)
        row.staff += n
        row.staff_platform += complete
    return counties


def _trend(campaign: Campaign | None, days: list[tuple], today: dt.date):
    """Every campaign day up to today (or the campaign's end), with the days' first screenings
    and the running total; screenings before the start count on the first day."""
    if campaign is None:
        return []
    end = min(today, campaign.ends_on)
    per_day: dict[dt.date, int] = {}
    for _county, _sector, day, n in days:
        key = max(day, campaign.starts_on)
        per_day[key] = per_day.get(key, 0) + n
    rows, cumulative, day = [], 0, campaign.starts_on
    while day <= end:
        cumulative += per_day.get(day, 0)
        rows.append(TrendDay(day, per_day.get(day, 0), cumulative))
        day += dt.timedelta(days=1)
    return rows


def open_flags(scope: Scope, campaign: Campaign | None, prefix: str) -> QuerySet:
    """Open overdue flags on regions inside `prefix` that the scope covers."""
    if campaign is None:
        return RegionOverdue.objects.none()
    flags = RegionOverdue.objects.filter(
        campaign=campaign, cleared_at__isnull=True, region__code__startswith=prefix
    )
    return scope.filter(flags, PERMISSION, region="region__code").select_related("region", "phase")


def open_quota_flags(scope: Scope, campaign: Campaign | None, region: Region) -> QuerySet:
    """Open quota flags (a sample below its quota as the deadline nears) on the region and
    the cities inside it that the scope covers; none for a county (it draws no sample)."""
    if campaign is None or region.level == Region.Level.COUNTY:
        return QuotaFlag.objects.none()
    flags = QuotaFlag.objects.filter(
        campaign=campaign, cleared_at__isnull=True, region__code__startswith=region.prefix
    ).exclude(region__level=Region.Level.COUNTY)
    flags = scope.filter(flags, PERMISSION, region="region__code")
    return flags.select_related("region", "phase").order_by("region_id", "phase__deadline")


def region_quota(scope: Scope, campaign: Campaign | None, region: Region):
    """The region's own sample (a city's spot checks, the province's supervision) and its
    quota status; (None, None) for a county or before the round exists."""
    level = {Region.Level.CITY: Round.Level.CITY, Region.Level.PROVINCE: Round.Level.PROVINCE}
    if campaign is None or region.level not in level or not scope.can("sampling.view"):
        return None, None
    round_ = (
        sampling_rounds(scope)
        .filter(campaign=campaign, level=level[region.level], region=region)
        .first()
    )
    return (round_, quota_status(round_)) if round_ is not None else (None, None)


def region_board(*, scope: Scope, region: Region, today: dt.date | None = None) -> Board:
    """The dashboard of one region, as the scope shows it."""
    today = today or timezone.localdate()
    campaign = active_campaign(scope)
    prefix = region.prefix
    regions = {r.code: r for r in Region.objects.filter(code__startswith=prefix)}
    names = {code: r.name for code, r in regions.items()}
    facts = region_facts(scope, campaign, region, today)
    by_county = county_figures(facts, names, staff_scope=scope)
    for r in regions.values():
        if r.level == Region.Level.COUNTY and scope.covers_region(PERMISSION, r.code):
            by_county.setdefault(r.code, Figures(code=r.code, name=r.name))
    flags = list(open_flags(scope, campaign, prefix))
    for flag in flags:
        if flag.region_id in by_county:
            by_county[flag.region_id].flags.append(flag)

    total = Figures(code=region.code, name=region.name)
    children: dict[str, Figures] = {}
    child_level = {Region.Level.PROVINCE: Region.Level.CITY, Region.Level.CITY: Region.Level.COUNTY}
    for r in regions.values():
        if r.level == child_level.get(region.level) and scope.covers_region(PERMISSION, r.code):
            children[r.prefix] = Figures(code=r.code, name=r.name)
    width = 4 if region.level == Region.Level.PROVINCE else 6
    for code, figures in by_county.items():
        total.add(figures)
        child = children.get(code[:width])
        if child is not None:
            child.add(figures)
    for flag in flags:
        # A city's or the province's own flag (its sample) sits on that region itself.
        if flag.region.level == Region.Level.COUNTY:
            continue
        total.flags.append(flag)
        child = children.get(flag.region.prefix)
        if child is not None and flag.region_id != region.code:
            child.flags.append(flag)
    quota_round, quota = region_quota(scope, campaign, region)
    return Board(
        region=region,
        campaign=campaign,
        today=today,
        total=total,
        children=sorted(children.values(), key=lambda f: f.code),
        counties=sorted(by_county.values(), key=lambda f: f.code),
        trend=_trend(campaign, facts.days, today),
        flags=flags,
        quota=quota,
        quota_round=quota_round,
        quota_flags=list(open_quota_flags(scope, campaign, region)),
        deadlines=upcoming_deadlines(scope=scope),
        last_run=(
            JobRun.objects.filter(campaign=campaign).order_by("-finished_at", "-pk").first()
            if campaign
            else None
        ),
        computed_at=facts.computed_at,
        precomputed=kept(campaign, region),
        sections=sorted(scope.sections(PERMISSION)),
    )


# -- drill-down lists -----------------------------------------------------------------


def screened_ids(campaign: Campaign | None, prefix: str) -> QuerySet:
    """Institution ids with a submitted inspection in the campaign's county rounds."""
    return Inspection.objects.filter(
        round_id__in=_round_ids(campaign, prefix, county_only=True),
        status=Inspection.Status.SUBMITTED,
    ).values("institution_id")


def screening_list(
    *,
    scope: Scope,
    region: Region,
    screened: bool,
    sector: str | None = None,
    day: dt.date | None = None,
) -> QuerySet:
    """The operating institutions behind a coverage figure: not yet screened (or screened,
    optionally first on `day`) in the active campaign's county round, inside the region.

    A day agrees with the trend: its first day takes the screenings from before the
    campaign's start too, and a day before the start lists nothing."""
    campaign = active_campaign(scope)
    qs = scope.institutions(
        Institution.objects.filter(
            county__code__startswith=region.prefix, status=Institution.Status.OPERATING
        ),
        PERMISSION,
    ).select_related("county__parent")
    if sector is not None:
        qs = qs.filter(sector=sector)
    ids = screened_ids(campaign, region.prefix)
    if day is not None:
        first = ids.order_by().values("institution_id").annotate(first=Min("submitted_at"))
        if campaign is not None and day < campaign.starts_on:
            return qs.none()  # the trend counts these on the campaign's first day
        if campaign is not None and day == campaign.starts_on:
            first = first.filter(first__date__lte=day)  # as the trend's first day counts
        else:
            first = first.filter(first__date=day)
        qs = qs.filter(pk__in=first.values("institution_id"))
    elif screened:
        qs = qs.filter(pk__in=ids)
    else:
        qs = qs.exclude(pk__in=ids)
    return qs.order_by("county_id", "name", "id")


def first_screened(campaign: Campaign | None, institution_ids: list[int]) -> dict[int, dt.datetime]:
    """When each of these institutions was first screened in the campaign (one query)."""
    rows = (
        Inspection.objects.filter(
            round_id__in=_round_ids(campaign, "", county_only=True),
            status=Inspection.Status.SUBMITTED,
            institution_id__in=institution_ids,
        )
        .values("institution_id")
        .annotate(first=Min("submitted_at"))
    )
    return {row["institution_id"]: row["first"] for row in rows}
