"""The one place that decides what a user may see and change.

A user holds grants: a role on a node of the region tree, for a department. From them
the Scope answers these questions, and nothing else in the project answers them:

- may this user do X at all?                      `scope.can("fees.view")`
- which rows may they do X to?                    `scope.filter(queryset, "fees.view", ...)`
- which checklist sections are theirs?            `scope.sections("inspections.view")`
- may they set an inspection's conclusion?        `scope.may_conclude(inspection)`
- whose rectification tasks may they act on?      `scope.covers_task(...)`, `scope.task_q(...)`
- do they write a city's work summary, receive it,
  and which departments' parts of it do they write? `scope.writes_summary(city_code)`,
                                                  `scope.receives_summary(city_code)`,
                                                  `scope.summary_section_departments(city_code)`
- do they hold any role at all, in which provinces? `scope.is_empty`, `scope.provinces(...)`
- which institution is theirs (an institution's own account)? `scope.own_institution()`
- on which nodes, at which levels, in every sector? `scope.holds_at(perm, code)`,
                                                  `scope.region_codes(...)`,
                                                  `scope.levels_covering(...)`,
                                                  `scope.covers_every_sector(...)`

Pages, API views, exports and background jobs all ask here; jobs through a scope of one
grant held by nobody (`Scope.for_region`). The grants themselves stay private to it. Selectors filter their
querysets through `Scope.filter`; views fetch single objects with `get_in_scope_or_404`,
so an object outside the scope looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from .roles import (
    EXTRA_PERMISSIONS_BY_DEPARTMENT,
    OWN_INSTITUTION_PERMISSIONS,
    PERMISSIONS,
    PERMISSIONS_BY_ROLE,
    SECTIONS_BY_DEPARTMENT,
    SECTOR_BY_DEPARTMENT,
    SUMMARY_RECEIVING_DEPARTMENT,
    SUMMARY_SECTION_DEPARTMENTS,
    SUMMARY_WRITING_DEPARTMENT,
    Department,
    Role,
)

_PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6}


@dataclass(frozen=True)
class Grant:
    role: str
    region_code: str
    region_level: str
    department: str

    @property
    def prefix(self) -> str:
        return self.region_code[: _PREFIX_LENGTH[self.region_level]]

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS_BY_ROLE[self.role] | EXTRA_PERMISSIONS_BY_DEPARTMENT.get(
            self.department, frozenset()
        )

    @property
    def sections(self) -> frozenset[str]:
        return SECTIONS_BY_DEPARTMENT[self.department]

    @property
    def sector(self) -> str | None:
        return SECTOR_BY_DEPARTMENT.get(self.department)

    def reaches(self, county_code: str, sector: str) -> bool:
        """True when an institution in this county and sector lies inside this grant."""
        return county_code.startswith(self.prefix) and self.sector in (None, sector)


def _check_known(permission: str) -> None:
    if permission not in PERMISSIONS:
        raise ValueError(f"Unknown permission string {permission!r}; add it to accounts.roles")


# A spot-check team member may open, and inspect, the institutions drawn for them, wherever
# they lie: a 小店区 officer drawn for a 迎泽区 institution in the city round. Only for
# permissions their role holds anyway, only in the assignment's round for rows that belong to
# a round, and only while the round is open. Rectification and the rest stay with the
# institution's own region.
ASSIGNMENT_PERMISSIONS = frozenset({"institutions.view", "inspections.view", "inspections.change"})


class Scope:
    """What one user may do, resolved once per request from their grants and assignments."""

    def __init__(
        self,
        grants: list[Grant],
        assigned: frozenset[tuple[int, int]] = frozenset(),
        drawn_as: dict[tuple[int, int], str] | None = None,
        institution_id: int | None = None,
    ):
        # Private: code outside accounts asks the methods below, never the grant rows.
        self._grants = grants
        # (institution id, round id) of the user's open spot-check assignments.
        self.assigned = assigned
        # The department each of them was drawn for (PoolMember.department): in the drawn
        # record they act for it alone, not for every department they hold a grant of.
        self.drawn_as = drawn_as or {}
        # The institution an institution's own account acts for (institutions.InstitutionAccount).
        self._institution_id = institution_id

    @classmethod
    def for_user(cls, user) -> Scope:
        if user is None or not user.is_authenticated or not user.is_active:
            return cls([])
        grants = _held(user)
        if any(g.role == Role.INSTITUTION for g in grants):
            # By label, not import: institutions builds on accounts, not the other way round.
            account = apps.get_model("institutions", "InstitutionAccount")
            own = account.objects.filter(user=user).values_list("institution_id", flat=True)
            return cls(grants, institution_id=own.first())
        if not any(ASSIGNMENT_PERMISSIONS & g.permissions for g in grants):
            return cls(grants)
        # By label, not import: sampling builds on accounts, not the other way round.
        assignment = apps.get_model("sampling", "Assignment")
        member = apps.get_model("sampling", "PoolMember")
        drawn_as = member.objects.filter(round=OuterRef("round"), user=user).values("department")
        assigned = assignment.objects.filter(
            inspectors=user, is_active=True, round__completed_at__isnull=True
        ).values_list("institution_id", "round_id", Subquery(drawn_as[:1]))
        return cls(
            grants,
            frozenset((i, r) for i, r, _d in assigned),
            {(i, r): d for i, r, d in assigned if d},
        )

    @classmethod
    def for_region(
        cls, role: str, region_code: str, *, department: str = Department.EDUCATION
    ) -> Scope:
        """The scope of one grant, held by nobody: what jobs, kept figures and city summaries
        read through (e.g. province staff of education for a campaign's whole province), so
        they are filtered by the same rules as a person holding that grant."""
        return cls([Grant(role, region_code, _level_of(region_code), department)])

    @classmethod
    def held_by(cls, user) -> Scope:
        """Another user's grants as held, signed in or not, without spot-check assignments:
        what a pool or a team asks of its members (where they work, for which department)."""
        return cls(_held(user))

    def assigned_for(self, permission: str) -> frozenset[tuple[int, int]]:
        """The assignments that widen this permission (none for a role that lacks it)."""
        if permission not in ASSIGNMENT_PERMISSIONS or not self.can(permission):
            return frozenset()
        return self.assigned

    # -- may they at all? ---------------------------------------------------------------

    def _grants_for(
        self,
        permission: str,
        *,
        departments: Collection[str] | None = None,
        levels: Collection[str] | None = None,
        section: str | None = None,
    ) -> list[Grant]:
        """The grants holding this permission; when given, only those of `departments`, on a
        node of `levels` ("county", "city", "province"), of a department owning `section`."""
        _check_known(permission)
        return [
            g
            for g in self._grants
            if permission in g.permissions
            and (departments is None or g.department in departments)
            and (levels is None or g.region_level in levels)
            and (section is None or section in g.sections)
        ]

    def can(self, permission: str) -> bool:
        return bool(self._grants_for(permission))

    def require(self, permission: str) -> None:
        """403 when the role lacks the permission anywhere."""
        if not self.can(permission):
            raise PermissionDenied

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self._grants}

    @property
    def is_empty(self) -> bool:
        """True when the user holds no role anywhere (or may not sign in): such an account
        may hold no API token, since a token can do only what its user can."""
        return not self._grants

    def first_within(self, permission: str, region_prefix: str) -> Grant | None:
        """The user's oldest grant with this permission on a region inside `region_prefix`
        (a region's code prefix): where a spot-check pool member comes from, and for which
        department they are drawn. None when they hold none there."""
        return next(
            (g for g in self._grants_for(permission) if g.region_code.startswith(region_prefix)),
            None,
        )

    def own_institution(self) -> int | None:
        """The id of the one institution an institution's own account acts for (机构端), or
        None for everyone else: the institution side's pages read and write its rows alone,
        and answer 404 for any other institution's."""
        return self._institution_id if self.can("portal.use") else None

    def acts_for(self, permission: str, institution_id: int) -> bool:
        """True when an institution's own account does this for its own institution: only
        what roles.OWN_INSTITUTION_PERMISSIONS lists (its staff list, its fee records). The
        services that allow it ask this before the officials' rule."""
        _check_known(permission)
        return (
            permission in OWN_INSTITUTION_PERMISSIONS
            and institution_id is not None
            and self.own_institution() == institution_id
        )

    # -- which rows? --------------------------------------------------------------------

    def q(
        self,
        permission: str,
        *,
        region: str,
        sector: str | None = None,
        departments: Collection[str] | None = None,
        section: str | None = None,
    ) -> Q:
        """A filter matching rows inside the user's regions for this permission.

        `region` is the path to a Region code column (e.g. "county" or
        "institution__county"); `sector` the path to an institution's sector, which
        sector departments (sports, culture & tourism, science) are limited to.
        `departments` and `section` count only the grants held for one of those
        departments, or for a department owning that checklist section.
        """
        parts = []
        for grant in self._grants_for(permission, departments=departments, section=section):
            part = Q(**{f"{region}__startswith": grant.prefix})
            if sector is not None and grant.sector is not None:
                part &= Q(**{sector: grant.sector})
            parts.append(part)
        if not parts:
            # Matches nothing: Q(pk__in=[]) lets Django skip the query entirely.
            return Q(pk__in=[])
        return reduce(or_, parts)

    def filter(
        self, queryset: QuerySet, permission: str, *, region: str, sector: str | None = None
    ) -> QuerySet:
        return queryset.filter(self.q(permission, region=region, sector=sector))

    def institutions(
        self, queryset: QuerySet, permission: str, *, path: str = "", round_path: str = ""
    ) -> QuerySet:
        """Filter rows that belong to an institution (or are one) by its county and sector.

        Spot-check assignments add their institutions; for rows of an institution (an
        inspection, a problem) only those of the assignment's round, found at `round_path`
        (e.g. "round"); without a `round_path` such rows get nothing from assignments.
        """
        prefix = f"{path}__" if path else ""
        condition = self.q(permission, region=f"{prefix}county__code", sector=f"{prefix}sector")
        pairs = sorted(self.assigned_for(permission))
        if pairs and not path:
            condition |= Q(pk__in=[i for i, _ in pairs])
        elif pairs and round_path:
            condition |= reduce(
                or_, [Q(**{f"{path}_id": i, f"{round_path}_id": r}) for i, r in pairs]
            )
        return queryset.filter(condition)

    def regions(self, queryset: QuerySet, permission: str) -> QuerySet:
        """Regions inside the user's subtrees, plus the ancestors that lead to them."""
        grants = self._grants_for(permission)
        if not grants:
            return queryset.none()
        inside = reduce(or_, [Q(code__startswith=g.prefix) for g in grants])
        ancestors = {
            g.region_code[:n].ljust(6, "0") for g in grants for n in (2, 4) if n < len(g.prefix)
        }
        return queryset.filter(inside | Q(code__in=ancestors))

    def provinces(self, permission: str) -> frozenset[str]:
        """The codes of the provinces (e.g. "140000") the user holds this permission somewhere
        in: a county officer takes part in their province's campaign and sees its rules."""
        return frozenset(g.region_code[:2] + "0000" for g in self._grants_for(permission))

    def covers_region(
        self,
        permission: str,
        region_code: str,
        *,
        departments: Collection[str] | None = None,
        levels: Collection[str] | None = None,
        section: str | None = None,
    ) -> bool:
        """True when a region code lies inside one of the user's regions for this permission
        (when given, of a grant held for one of `departments`, on a node of `levels`, or for
        a department owning `section`)."""
        held = self._grants_for(permission, departments=departments, levels=levels, section=section)
        return any(region_code.startswith(g.prefix) for g in held)

    def covers_every_sector(self, permission: str, region_code: str) -> bool:
        """True when one grant with this permission covers this region (a code or a code
        prefix) in every sector, not limited to a sector department's trade."""
        return any(
            region_code.startswith(g.prefix) and g.sector is None
            for g in self._grants_for(permission)
        )

    def levels_covering(self, permission: str, region_code: str) -> frozenset[str]:
        """The levels ("county", "city", "province") of the user's grants with this permission
        whose region contains this region code."""
        return frozenset(
            g.region_level for g in self._grants_for(permission) if region_code.startswith(g.prefix)
        )

    def holds_at(self, permission: str, region_code: str) -> bool:
        """True when a grant with this permission sits on this very region node, not on one
        above or below it: the province that publishes, the city or province that draws."""
        return region_code in self.region_codes(permission)

    def region_codes(self, permission: str) -> frozenset[str]:
        """The codes of the region nodes the user holds this permission on (e.g. "140100")."""
        return frozenset(g.region_code for g in self._grants_for(permission))

    def region_prefixes(self, permission: str) -> frozenset[str]:
        """The code prefixes of the user's regions for this permission ("14", "1401", "140105"):
        a region code starting with one of them lies inside the scope."""
        return frozenset(g.prefix for g in self._grants_for(permission))

    def covers_institution(
        self,
        permission: str,
        *,
        county_code: str,
        sector: str,
        institution_id: int | None = None,
        round_id: int | None = None,
    ) -> bool:
        """True when an institution in this county and sector lies inside the scope.

        The same rule as `institutions()`, asked of values not yet saved: a write must
        not create or move a row to where its own author could no longer see it. Give
        `institution_id` (and the `round_id` of the work in hand) for an existing
        institution, so a spot-check assignment counts.
        """
        if institution_id is not None and any(
            i == institution_id and round_id in (None, r) for i, r in self.assigned_for(permission)
        ):
            return True
        return any(g.reaches(county_code, sector) for g in self._grants_for(permission))

    def departments_at(
        self,
        permission: str,
        *,
        county_code: str,
        sector: str,
        institution_id: int | None = None,
        round_id: int | None = None,
    ) -> frozenset[str]:
        """The departments the user acts for at an institution with this permission.

        Those of grants that reach it (the reach rule of `covers_institution`), plus, for a
        spot-check assignment of this institution in `round_id`, the department the user was
        drawn for. A grant elsewhere adds nothing: a fire officer of 小店区 who also works
        for education in 平城区 is only fire in 小店区.
        """
        held = self._grants_for(permission)
        found = {g.department for g in held if g.reaches(county_code, sector)}
        if (institution_id, round_id) in self.assigned_for(permission):
            drawn = self.drawn_as.get((institution_id, round_id))
            if drawn is not None and any(g.department == drawn for g in held):
                found.add(drawn)
        return frozenset(found)

    def may_conclude(self, inspection) -> bool:
        """True when the user may set an inspection's conclusion and summary (结论、检查意见).

        They act at the record (`departments_at`) for the department that leads it:
        education, which leads the campaign, or the departments recorded as making a record
        education took no part in. Everyone else corrects only the answers of their own
        sections.
        """
        made_by = set(inspection.departments or ())
        leads = {Department.EDUCATION} | (made_by if Department.EDUCATION not in made_by else set())
        institution = inspection.institution
        acting = self.departments_at(
            "inspections.change",
            county_code=institution.county_id,
            sector=institution.sector,
            institution_id=institution.pk,
            round_id=inspection.round_id,
        )
        return bool(acting & leads)

    # -- rectification tasks ------------------------------------------------------------

    def covers_task(
        self, permission: str, *, county_code: str, sector: str, department: str
    ) -> bool:
        """True when the user acts on a department's task (a rectification task, its problems)
        at an institution in this county and sector.

        A grant that reaches the institution (the reach rule of `covers_institution`), held
        for the task's own department: fire rescue reports and closes fire rescue's problems,
        never education's or sports'. Education leads the campaign and acts on every task,
        through its own roles' grants (`_leads_tasks`): never a department user's.
        """
        return any(
            g.reaches(county_code, sector) and (g.department == department or _leads_tasks(g))
            for g in self._grants_for(permission)
        )

    def task_q(self, permission: str, *, region: str, sector: str, department: str) -> Q:
        """The rule of `covers_task` as a filter: `region`, `sector` and `department` are the
        paths to the row's county code, its institution's sector and its task's department
        (e.g. "task__institution__county__code", "task__institution__sector",
        "task__department")."""
        parts = []
        for grant in self._grants_for(permission):
            part = Q(**{f"{region}__startswith": grant.prefix})
            if grant.sector is not None:
                part &= Q(**{sector: grant.sector})
            if not _leads_tasks(grant):
                part &= Q(**{department: grant.department})
            parts.append(part)
        return reduce(or_, parts) if parts else Q(pk__in=[])

    # -- city work summaries ------------------------------------------------------------

    def receives_summary(self, city_code: str) -> bool:
        """True when the user receives a city's work summary: may return or accept it.

        The notice has each city send its summary "报送省教育厅": only a `summary.review`
        grant of the education department that covers the city. Province staff of the other
        five departments keep reading the summaries (their role's `summary.view`): the plan
        is the six departments' joint one, each city's summary carries their departments'
        parts, and the province's supervision check is made "联合科技、文旅、体育、公安、消防"
        (§四(三)); but the decision on a city's report is the education department's.
        """
        return any(
            g.department == SUMMARY_RECEIVING_DEPARTMENT and city_code.startswith(g.prefix)
            for g in self._grants_for("summary.review")
        )

    def writes_summary(self, city_code: str) -> bool:
        """True when the user writes and submits a city's work summary (its narrative).

        "各市教育行政部门要协调相关部门汇总梳理…报送省教育厅": a `summary.change` grant of the
        education department that covers the city. City staff of the other departments hold
        `summary.change` too, for their role, but write their department's part instead
        (`summary_section_departments`).
        """
        return any(
            g.department == SUMMARY_WRITING_DEPARTMENT and city_code.startswith(g.prefix)
            for g in self._grants_for("summary.change")
        )

    def _summary_section_grants(self) -> list[Grant]:
        # A city's department users (`summary.section`) and its city staff of those same
        # departments (`summary.change`, which for them means their part, not the narrative).
        return [
            g
            for g in self._grants_for("summary.section") + self._grants_for("summary.change")
            if g.department in SUMMARY_SECTION_DEPARTMENTS
        ]

    def writes_summary_sections(self) -> bool:
        """True when the role may write some department's part of some city's summary: a page
        or API call that writes one answers 403 without it, before any city is looked up."""
        return bool(self._summary_section_grants())

    def summary_section_departments(self, city_code: str) -> frozenset[str]:
        """The departments whose part of this city's work summary the user writes.

        A `summary.section` or `summary.change` grant on the city itself, of a department
        other than education (education's text is the summary's own narrative): the notice
        has the city's education bureau gather "相关部门" of the same city. A county's grant
        lies below the city, a province's above it: neither writes the city's part.
        """
        return frozenset(
            g.department
            for g in self._summary_section_grants()
            if g.region_level == "city" and g.region_code == city_code
        )

    # -- which sections? ----------------------------------------------------------------

    def sections(self, permission: str) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for grant in self._grants_for(permission):
            found |= grant.sections
        return found

    def departments(self, permission: str) -> frozenset[str]:
        """The departments the user acts for with this permission (whose sections they own)."""
        return frozenset(g.department for g in self._grants_for(permission))


# The roles through which education leads the campaign and acts on every department's
# rectification task; a department user acts on its own department's tasks alone.
_TASK_LEADING_ROLES = frozenset({Role.COUNTY_OFFICER, Role.CITY_STAFF, Role.PROVINCE_STAFF})


def _leads_tasks(grant: Grant) -> bool:
    return grant.department == Department.EDUCATION and grant.role in _TASK_LEADING_ROLES


def _level_of(region_code: str) -> str:
    # Region codes (GB/T 2260): a province ends in 0000, a city in 00, a county in neither.
    if region_code.endswith("0000"):
        return "province"
    return "city" if region_code.endswith("00") else "county"


def _held(user) -> list[Grant]:
    """The user's grant rows as `Grant`s, oldest first (the order `first_within` relies on)."""
    rows = user.grants.select_related("region").order_by("pk")
    return [Grant(g.role, g.region.code, g.region.level, g.department) for g in rows]


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    cached = getattr(user, "_anquan_scope", None)
    if cached is None:
        cached = Scope.for_user(user)
        if user is not None and user.is_authenticated:
            user._anquan_scope = cached
    return cached


def get_in_scope_or_404(queryset: QuerySet, **lookup):
    """Fetch one object from an already scoped queryset; out of scope is a plain 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
