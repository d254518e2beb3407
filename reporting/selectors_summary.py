"""Reads for the city work summaries (工作总结): which summaries a user may see, and the
figures of one city computed from the data.

Access goes through the scope: a summary is visible where `summary.view` covers its city
(province staff see every city of their province, city staff their own; a county officer's
grant lies below the city and sees none). The figures are the city's own, whoever reads
them: they are computed through the scope a city education officer of that city would
have (every section, every sector), the way the clock reads through the province's scope
(`campaign.selectors.campaign_scope`). Only counts leave here, nothing personal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Department, Role, Section
from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem, Phase
from campaign.selectors import Behind, campaign_list, publicity_list
from complaints.models import Case, Referral
from core.models import Region
from enforcement.models import EnforcementAction
from enforcement.selectors import action_list, counted
from fees.selectors import fee_figures
from institutions.models import Institution
from personnel.models import BackgroundCheck, Dismissal, StaffMember
from personnel.selectors import dismissal_list
from progress.dashboards import county_figures, live_facts
from sampling.selectors import quota_status, sampling_rounds

from .models import CitySummary, SummarySubmission

VIEW, CHANGE, REVIEW = "summary.view", "summary.change", "summary.review"
FIGURES_VERSION = 1


# -- access -------------------------------------------------------------------------------


def summary_campaigns(scope: Scope) -> QuerySet:
    """The campaigns whose summaries the user may read (those of their province)."""
    return campaign_list(scope=scope, permission=VIEW).order_by("-starts_on", "-pk")


def active_summary_campaign(scope: Scope) -> Campaign | None:
    return summary_campaigns(scope).filter(is_active=True).first()


def summary_list(scope: Scope) -> QuerySet:
    """Summaries whose city lies inside the user's `summary.view` regions."""
    return scope.filter(
        CitySummary.objects.select_related("campaign", "city", "updated_by", "reviewed_by"),
        VIEW,
        region="city__code",
    )


def cities_in_scope(scope: Scope, campaign: Campaign, permission: str = VIEW) -> QuerySet:
    """The cities of the campaign's province the user may see a summary of."""
    cities = Region.objects.filter(
        level=Region.Level.CITY, code__startswith=campaign.province.prefix
    )
    return scope.filter(cities, permission, region="code").order_by("code")


def city_in_scope(scope: Scope, campaign: Campaign, code: str) -> Region | None:
    return cities_in_scope(scope, campaign).filter(code=(code or "")[:6]).first()


def summary_for(campaign: Campaign, city: Region) -> CitySummary | None:
    return CitySummary.objects.filter(campaign=campaign, city=city).first()


def latest_submission(summary: CitySummary | None) -> SummarySubmission | None:
    if summary is None or not summary.revision:
        return None
    return summary.submissions.filter(number=summary.revision).first()


def summary_deadline(campaign: Campaign) -> dt.date | None:
    return (
        Phase.objects.filter(campaign=campaign, kind=Phase.Kind.CITY_SUMMARY)
        .values_list("deadline", flat=True)
        .first()
    )


@dataclass
class CityRow:
    """One city on the province's list: its summary (if begun) and where it stands."""

    city: Region
    summary: CitySummary | None
    first_submitted_at: dt.datetime | None
    late: bool  # first submitted after the deadline, or not submitted and the deadline passed
    pending: bool  # not submitted or accepted: the province is still waiting for it

    @property
    def status_label(self) -> str:
        return self.summary.get_status_display() if self.summary else _("未开始")


def city_rows(scope: Scope, campaign: Campaign, today: dt.date | None = None) -> list[CityRow]:
    """Every city the user may see, with its summary's status, for the list and dashboard."""
    today = today or timezone.localdate()
    deadline = summary_deadline(campaign)
    summaries = {s.city_id: s for s in summary_list(scope).filter(campaign=campaign)}
    rows = []
    for city in cities_in_scope(scope, campaign):
        summary = summaries.get(city.code)
        first = summary.submitted_at if summary else None
        if deadline is None:
            late = False
        elif first is not None:
            late = timezone.localdate(first) > deadline
        else:
            late = today > deadline
        pending = summary is None or not summary.is_frozen
        rows.append(CityRow(city, summary, first, late, pending))
    return rows


def summary_behind(campaign: Campaign, scope: Scope) -> dict:
    """The clock's check for Phase.Kind.CITY_SUMMARY: cities with operating institutions
    whose summary is not submitted (or accepted) — not begun, a draft, or returned."""
    prefixes = set(
        scope.institutions(
            Institution.objects.filter(
                status=Institution.Status.OPERATING,
                county__code__startswith=campaign.province.prefix,
            ),
            "inspections.view",
        )
        .order_by()
        .values_list("county_id", flat=True)
        .distinct()
    )
    cities = {code[:4] for code in prefixes}
    done = set(
        CitySummary.objects.filter(
            campaign=campaign,
            status__in=[CitySummary.Status.SUBMITTED, CitySummary.Status.ACCEPTED],
        ).values_list("city_id", flat=True)
    )
    returned = set(
        CitySummary.objects.filter(
            campaign=campaign, status=CitySummary.Status.RETURNED
        ).values_list("city_id", flat=True)
    )
    found = {}
    regions = Region.objects.filter(
        level=Region.Level.CITY, code__startswith=campaign.province.prefix
    )
    for city in regions.order_by("code"):
        if city.prefix not in cities or city.code in done:
            continue
        if city.code in returned:
            missing = _("%(region)s：工作总结已退回修改，尚未重新报送") % {"region": city.name}
        else:
            missing = _("%(region)s：工作总结尚未报送") % {"region": city.name}
        link = reverse("summaries:detail", args=[campaign.pk, city.code])
        found[city.code] = Behind(city, missing, link)
    return found


# -- the figures ---------------------------------------------------------------------------


def city_scope(city: Region) -> Scope:
    """What a city education officer of this city sees: the figures' reading scope."""
    return Scope.for_region(Role.CITY_STAFF, city.code, department=Department.EDUCATION)


ROW_KEYS = (
    "institutions", "total", "screened", "found", "major", "general", "rectified", "closed",
    "open", "overdue", "staff", "staff_checked", "staff_records", "dismissed",
    "fee_violations", "complaints", "referred", "publicity",
    # The county phase's rectification (排查整改) and staff records complete on the national
    # platform (§三); older frozen figures lack them, readers default them.
    "screening_found", "screening_closed", "screening_late", "staff_platform",
    # Actions taken on institutions (查处问责, enforcement/); older figures lack it too.
    "actions",
    # Self-inspections submitted (自查自评, §三(二)) and major problems found where the
    # institution had said 合规 (selfcheck/); older figures lack them.
    "self_checked", "contradicted",
)  # fmt: skip


def _row(code: str, name: str) -> dict:
    return {"code": code, "name": name, **dict.fromkeys(ROW_KEYS, 0), "refunded": "0.00"}


def _rate(screened: int, total: int) -> float:
    return round(100 * screened / total, 1) if total else 100.0


def _money(value) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def _by_county(queryset: QuerySet, path: str, **aggregates) -> dict[str, dict]:
    rows = queryset.order_by().values(path).annotate(**aggregates)
    return {row[path]: row for row in rows}


def city_figures(
    *, campaign: Campaign, city: Region, today: dt.date | None = None, per_county: bool = True
) -> dict:
    """Every statistic the province asks of one city, per county and in total, as JSON-ready
    values (money as strings of yuan): what a submission freezes. `per_county=False` (the
    province roll-up, city totals only) skips the fee figures of each county."""
    today = today or timezone.localdate()
    scope = city_scope(city)
    prefix = city.prefix
    counties = list(Region.objects.filter(parent=city).order_by("code"))
    rows = {c.code: _row(c.code, c.name) for c in counties}

    # Screening and problems: the dashboards' own statements (portable on SQLite). Staff
    # are counted below, over the same campaign window, so the boards' staff rows are skipped.
    facts = live_facts(scope, campaign, prefix, today, with_staff=False)
    names = {c.code: c.name for c in counties}
    sections = {s: {"major": 0, "general": 0} for s in Section.values}
    for code, f in county_figures(facts, names).items():
        row = rows.setdefault(code, _row(code, f.name))
        row.update(
            institutions=f.institutions, total=f.total, screened=f.screened, found=f.found,
            major=f.major, general=f.found - f.major, rectified=f.reported + f.closed,
            closed=f.closed, open=f.open, overdue=f.overdue,
            screening_found=f.screening_found, screening_closed=f.screening_closed,
            screening_late=f.screening_late, self_checked=f.self_checked,
            contradicted=f.contradicted,
        )  # fmt: skip
        for (section, severity), n in f.problems.items():
            key = "major" if severity == ChecklistItem.Severity.MAJOR else "general"
            sections.setdefault(section, {"major": 0, "general": 0})[key] += n

    # Staff vetting (§三): staff employed at some time during the campaign (not those who
    # left before it began, nor those starting after it ended), checked, with a record found;
    # dismissals ordered since it began (one ordered after its end follows from its checks).
    staff = scope.institutions(
        StaffMember.objects.employed_between(campaign.starts_on, campaign.ends_on).filter(
            institution__county__code__startswith=prefix
        ),
        "staff.view",
        path="institution",
    )
    done = BackgroundCheck.objects.filter(staff=OuterRef("pk"), status=BackgroundCheck.Status.DONE)
    staff = staff.annotate(
        checked=Exists(done), record=Exists(done.filter(outcome=BackgroundCheck.Outcome.RECORD))
    )
    for code, r in _by_county(
        staff, "institution__county_id", n=Count("id"),
        checked_n=Count("id", filter=Q(checked=True)), record_n=Count("id", filter=Q(record=True)),
        platform_n=Count("id", filter=Q(platform_complete=True)),
    ).items():  # fmt: skip
        row = rows.setdefault(code, _row(code, code))
        row.update(staff=r["n"], staff_checked=r["checked_n"], staff_records=r["record_n"],
                   staff_platform=r["platform_n"])  # fmt: skip
    dismissals = dismissal_list(scope=scope).filter(
        institution__county__code__startswith=prefix, created_at__date__gte=campaign.starts_on
    )
    dismissal_counts = dismissals.order_by().aggregate(
        ordered=Count("id"), done=Count("id", filter=Q(status=Dismissal.Status.CLOSED))
    )
    for code, r in _by_county(
        dismissals, "institution__county_id", n=Count("id", filter=Q(status=Dismissal.Status.CLOSED))
    ).items():  # fmt: skip
        rows.setdefault(code, _row(code, code))["dismissed"] = r["n"]

    # Fees (§五): the fee dashboards' own figures, for the city and each county.
    fees = fee_figures(scope, prefix)
    for code, row in rows.items() if per_county else ():
        county_fees = fee_figures(scope, code)
        row["fee_violations"] = county_fees["violations"]
        row["refunded"] = _money(county_fees["refunded_amount"])

    # Complaints and referrals (§四): the campaign's cases (or, without one, received
    # during the campaign), counted only.
    in_campaign = Q(campaign=campaign) | Q(
        campaign__isnull=True,
        received_at__date__gte=campaign.starts_on,
        received_at__date__lte=campaign.ends_on,
    )
    cases = scope.filter(
        Case.objects.filter(in_campaign, county__code__startswith=prefix),
        "complaints.view",
        region="county__code",
    )
    referred = Count("id", filter=Q(referrals__isnull=False), distinct=True)
    for code, r in _by_county(
        cases, "county_id", n=Count("id", distinct=True), referred_n=referred
    ).items():
        row = rows.setdefault(code, _row(code, code))
        row.update(complaints=r["n"], referred=r["referred_n"])
    case_counts = cases.order_by().aggregate(
        total=Count("id", distinct=True),
        closed=Count("id", filter=Q(status=Case.Status.CLOSED), distinct=True),
        referred=referred,
    )
    referrals = Referral.objects.filter(case__in=cases.values("pk")).aggregate(
        total=Count("id"), answered=Count("id", filter=Q(feedback_at__isnull=False))
    )

    # Publicity (§六): the campaign's activities held in the city's counties.
    activities = publicity_list(scope=scope).filter(
        campaign=campaign, county__code__startswith=prefix
    )
    for code, r in _by_county(activities, "county_id", n=Count("id")).items():
        rows.setdefault(code, _row(code, code))["publicity"] = r["n"]
    publicity = activities.order_by().aggregate(
        activities=Count("id"), times=Sum("times"), reached=Sum("reached"),
        institutions_reached=Sum("institutions_reached"),
    )  # fmt: skip

    # Actions taken (查处问责): the campaign's (or, without one, taken during it), by kind,
    # with the fines' total, withdrawn ones left out. The city's education scope reads every
    # section's actions, the vetting ones too.
    during = Q(taken_on__gte=campaign.starts_on, taken_on__lte=campaign.ends_on)
    actions = counted(action_list(scope=scope)).filter(
        Q(campaign=campaign) | (Q(campaign__isnull=True) & during),
        institution__county__code__startswith=prefix,
    )
    for code, r in _by_county(actions, "institution__county_id", n=Count("id")).items():
        rows.setdefault(code, _row(code, code))["actions"] = r["n"]
    by_kind = dict(actions.order_by().values_list("kind").annotate(n=Count("id")))
    enforcement = {
        "actions": sum(by_kind.values()),
        "institutions": actions.order_by().values("institution_id").distinct().count(),
        **{kind: by_kind.get(kind, 0) for kind in EnforcementAction.Kind.values},
        "fined_amount": _money(actions.order_by().aggregate(s=Sum("amount"))["s"]),
    }

    # The city's own random spot-check sample against its quota.
    round_ = sampling_rounds(scope).filter(campaign=campaign, level="city", region=city).first()
    status = quota_status(round_) if round_ is not None else None
    sampling = {
        "drawn": bool(status and status["draw"] is not None),
        "completed": bool(round_ is not None and round_.completed_at is not None),
        **{
            key: (status or {}).get(key, 0)
            for key in (
                "required_counties", "required_institutions", "drawn_counties",
                "drawn_institutions", "inspected_counties", "inspected_institutions",
            )
        },
        "met": bool(status and status["met"]),
    }  # fmt: skip

    county_rows = [rows[c] for c in sorted(rows)]
    total = _row(city.code, city.name)
    for row in county_rows:
        row["rate"] = _rate(row["screened"], row["total"])
        row["self_rate"] = _rate(row["self_checked"], row["total"])
        for key in ROW_KEYS:
            total[key] += row[key]
    total["refunded"] = _money(fees["refunded_amount"])
    total["fee_violations"] = fees["violations"]
    total["rate"] = _rate(total["screened"], total["total"])
    total["self_rate"] = _rate(total["self_checked"], total["total"])
    return {
        "version": FIGURES_VERSION,
        "computed_at": timezone.localtime().isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "document_number": campaign.document_number,
        },  # fmt: skip
        "city": {"code": city.code, "name": city.name},
        "total": total,
        "counties": county_rows,
        "sections": sections,
        "sampling": sampling,
        "personnel": {
            "staff": total["staff"],
            "platform_complete": total["staff_platform"],
            "checked": total["staff_checked"],
            "records": total["staff_records"],
            "dismissals_ordered": dismissal_counts["ordered"],
            "dismissed": dismissal_counts["done"],
        },  # fmt: skip
        "fees": {
            "charges": fees["charges"],
            "checked": fees["checked"],
            "violations": fees["violations"],
            "violating_charges": fees["violating_charges"],
            "over_limit_amount": _money(fees["over_limit_amount"]),
            "refunded_amount": _money(fees["refunded_amount"]),
            "open": fees["open"],
            "closed": fees["closed"],
            "overdue": fees["overdue"],
        },  # fmt: skip
        "complaints": {
            "cases": case_counts["total"],
            "closed": case_counts["closed"],
            "referred": case_counts["referred"],
            "referrals": referrals["total"],
            "referrals_answered": referrals["answered"],
        },  # fmt: skip
        "publicity": {key: publicity[key] or 0 for key in publicity},
        "enforcement": enforcement,
    }


def summary_figures(summary: CitySummary | None, *, campaign: Campaign, city: Region) -> dict:
    """A submitted (or accepted) summary's frozen figures; live ones for a draft."""
    if summary is not None and summary.is_frozen:
        submission = latest_submission(summary)
        if submission is not None:
            return submission.figures
    return city_figures(campaign=campaign, city=city)
