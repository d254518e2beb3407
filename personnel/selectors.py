"""Reads for staff vetting. Every function takes the acting user's scope.

Who sees what:
- staff and whether each was checked: `staff.view` in the institution's region;
- check results and dismissals (they imply a result): only users whose department owns
  section 三 (education, public security) in that region — `results_q`. Others with
  `staff.view` see "checked / not checked" and nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.roles import Section
from accounts.scope import Scope
from campaign.models import Campaign, Phase
from core.regions import within_region
from core.text import small_int
from institutions.models import Institution

from .models import BackgroundCheck, CheckBatch, Dismissal, StaffMember


def staff_list(*, scope: Scope, permission: str = "staff.view", filters=None) -> QuerySet:
    # A subquery, not Max() over a join: an aggregate groups every staff row in scope
    # (1.2M at national scale) before the page's LIMIT; the subquery runs for the 50 shown.
    latest = (
        BackgroundCheck.objects.filter(
            staff=OuterRef("pk"), status=BackgroundCheck.Status.DONE, checked_on__isnull=False
        )
        .order_by("-checked_on")
        .values("checked_on")[:1]
    )
    qs = scope.institutions(
        StaffMember.objects.select_related("institution__county"), permission, path="institution"
    ).annotate(last_checked=Subquery(latest))
    return _filter_staff(qs, filters or {})


def other_records(*, scope: Scope, staff: StaffMember) -> list[StaffMember]:
    """The same person's records at other institutions, for those who vet staff and may see
    whole ID numbers (`staff.reveal`), at institutions where they hold it; to anyone else,
    where else a person works is not shown."""
    if not scope.can("staff.reveal"):
        return []
    qs = scope.institutions(
        StaffMember.objects.select_related("institution__county"), "staff.reveal",
        path="institution",
    )  # fmt: skip
    return list(
        qs.filter(id_hash=staff.id_hash).exclude(pk=staff.pk).order_by("institution__name", "id")
    )


def staff_by_id_number(qs: QuerySet, number: str) -> QuerySet:
    """Exact lookup by the keyed hash (the number itself is never stored)."""
    from core import crypto

    return qs.filter(id_hash=crypto.hash_id(crypto.normalize_id(number)))


def _filter_staff(qs: QuerySet, filters) -> QuerySet:
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(name__icontains=q) | Q(institution__name__icontains=q))
    if region := (filters.get("region") or "").strip():
        qs = within_region(qs, region, path="institution__county__code")
    if institution := (filters.get("institution") or "").strip():
        pk = small_int(institution)
        qs = qs.filter(institution_id=pk) if pk is not None else qs.none()
    if post := (filters.get("post") or "").strip():
        qs = qs.filter(post=post)
    employment = (filters.get("employment") or "").strip()
    if employment == "current":
        qs = qs.filter(pk__in=StaffMember.objects.current().values("pk"))
    elif employment == "left":
        qs = qs.filter(employed_until__lt=timezone.localdate())
    checked = (filters.get("checked") or "").strip()
    done = BackgroundCheck.objects.filter(staff=OuterRef("pk"), status="done")
    if checked == "yes":
        qs = qs.filter(Exists(done))
    elif checked == "no":
        qs = qs.exclude(Exists(done))
    return qs


def results_q(scope: Scope, *, path: str) -> Q:
    """Rows whose check results the user may see: section 三 owners, in their regions.

    `path` leads to the institution (e.g. "staff__institution").
    """
    return scope.q("staff.view", region=f"{path}__county__code", section=Section.STAFF)


def can_see_results(scope: Scope, institution: Institution) -> bool:
    return scope.covers_region("staff.view", institution.county_id, section=Section.STAFF)


def sees_any_results(scope: Scope) -> bool:
    return Section.STAFF in scope.sections("staff.view")


def check_list(*, scope: Scope, permission: str = "staff.view") -> QuerySet:
    return scope.institutions(
        BackgroundCheck.objects.select_related("staff__institution__county", "batch"),
        permission,
        path="staff__institution",
    )


def check_results(*, scope: Scope) -> QuerySet:
    """Checks whose results the user may read."""
    return check_list(scope=scope).filter(results_q(scope, path="staff__institution"))


def recordable_checks(*, scope: Scope) -> QuerySet:
    """Checks the user may enter results for (public security; education on its behalf)."""
    if scope.can("checks.record"):
        return check_list(scope=scope, permission="checks.record")
    return check_list(scope=scope, permission="staff.change").filter(
        results_q(scope, path="staff__institution")
    )


def can_record(scope: Scope) -> bool:
    return scope.can("checks.record") or (scope.can("staff.change") and sees_any_results(scope))


def batch_list(*, scope: Scope) -> QuerySet:
    """Batches the user can see: made in their regions (by region code prefix)."""
    return scope.filter(
        CheckBatch.objects.select_related("region", "institution", "created_by"),
        "staff.view",
        region="region__code",
    )


def dismissal_list(*, scope: Scope, permission: str = "staff.view") -> QuerySet:
    qs = scope.institutions(
        Dismissal.objects.select_related("staff", "institution__county", "check_result"),
        permission,
        path="institution",
    )
    return qs.filter(results_q(scope, path="institution"))


def screening_deadline(institution: Institution) -> dt.date | None:
    """The campaign's county screening deadline: by then every staff member must be checked."""
    phase = (
        Phase.objects.filter(
            kind=Phase.Kind.COUNTY_SCREENING,
            campaign__in=Campaign.objects.filter(
                province_id=institution.county_id[:2] + "0000", is_active=True
            ),
        )
        .order_by("-campaign__starts_on")
        .first()
    )
    return phase.deadline if phase else None


@dataclass
class Compliance:
    current: int
    checked: int
    unchecked: list = field(default_factory=list)
    open_dismissals: int = 0
    overdue_dismissals: int = 0
    deadline: dt.date | None = None
    unchecked_late: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.checked / self.current) if self.current else 100

    @property
    def reasons(self) -> list[str]:
        from django.utils.translation import gettext as _

        found = []
        if self.unchecked_late:
            found.append(_("截止日期后仍有从业人员未查询犯罪记录"))
        if self.overdue_dismissals:
            found.append(_("清退任务逾期未办结"))
        return found

    @property
    def accountable(self) -> bool:
        return bool(self.reasons)

    def without_results(self) -> Compliance:
        """What a user who may not read results sees: checked / not checked only."""
        self.open_dismissals = self.overdue_dismissals = 0
        return self


def institution_compliance(*, scope: Scope, institution: Institution) -> Compliance:
    """Share of current staff checked, who is unchecked, and whether the institution is to
    be held accountable (unchecked staff after the deadline, or a dismissal left undone)."""
    today = timezone.localdate()
    current = StaffMember.objects.current(today).filter(institution=institution)
    done = BackgroundCheck.objects.filter(staff=OuterRef("pk"), status="done")
    unchecked = list(current.exclude(Exists(done)).order_by("name", "id"))
    total = current.count()
    dismissals = Dismissal.objects.filter(institution=institution, status=Dismissal.Status.OPEN)
    deadline = screening_deadline(institution)
    result = Compliance(
        current=total,
        checked=total - len(unchecked),
        unchecked=unchecked,
        open_dismissals=dismissals.count(),
        overdue_dismissals=dismissals.filter(deadline__lt=today).count(),
        deadline=deadline,
        unchecked_late=bool(unchecked and deadline and today > deadline),
    )
    if not can_see_results(scope, institution):
        result.without_results()
    return result
