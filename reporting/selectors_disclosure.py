"""Reads for public disclosure: what a member of the public may see of one campaign.

Everything here leaves people out: no inspector, officer, reporter or legal representative,
no phone, no ID number, no complaint, and no must-include reason (a reason can point at a
complaint). Only institutions (a name and a county) and counts are published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.roles import Section
from accounts.scope import Scope
from campaign.models import Campaign
from core.models import Region
from enforcement.models import EnforcementAction
from inspections.models import Finding, Inspection
from institutions.models import Institution
from sampling.models import Draw

from .models import Publication
from .services_disclosure import PERMISSION


def current_publication(campaign: Campaign) -> Publication | None:
    return Publication.objects.filter(campaign=campaign, withdrawn_at__isnull=True).first()


def published_campaigns() -> list[Campaign]:
    """Campaigns with a current publication, newest first: the public index."""
    return list(
        Campaign.objects.filter(publications__withdrawn_at__isnull=True)
        .select_related("province")
        .order_by("-starts_on", "-id")
    )


def campaigns_to_publish(scope: Scope):
    """The campaigns of the provinces this user decides for (none without the right)."""
    codes = scope.region_codes(PERMISSION)
    return Campaign.objects.filter(province_id__in=codes).order_by("-starts_on", "-id")


# -- the public page -----------------------------------------------------------------------


@dataclass
class PublicDraw:
    level: str
    region: str
    seed: str
    algorithm: str
    frame_size: int
    frame_sha256: str
    required_counties: int
    required_institutions: int
    drawn: int
    must_count: int
    confirmed_at: object
    institutions: list[tuple[str, str]] = field(default_factory=list)  # (name, county)


def _place(county: Region) -> str:
    parent = county.parent
    return f"{parent.name} {county.name}" if parent is not None else county.name


def public_draws(campaign: Campaign) -> list[PublicDraw]:
    """The confirmed draws of the campaign: the randomly drawn institutions by name and
    county; institutions added as must-include are only counted (their reasons stay in)."""
    draws = list(
        Draw.objects.filter(round__campaign=campaign, status=Draw.Status.CONFIRMED)
        .select_related("round__region")
        .only(
            "seed", "algorithm", "frame_size", "frame_sha256", "required_counties",
            "required_institutions", "institutions", "must_include", "confirmed_at",
            "round__level", "round__region__name",
        )
        .order_by("round__level", "round__region_id")
    )  # fmt: skip
    ids = {i for d in draws for i in d.institutions}
    names = {
        i.pk: (i.name, _place(i.county))
        for i in Institution.objects.filter(pk__in=ids)
        .select_related("county__parent")
        .only("name", "county__name", "county__parent__name")
    }  # fmt: skip
    out = []
    for d in draws:
        random_ids = set(d.institutions)
        rows = sorted((names[i] for i in d.institutions if i in names), key=lambda r: (r[1], r[0]))
        out.append(
            PublicDraw(
                level=d.round.get_level_display(), region=d.round.region.name, seed=d.seed,
                algorithm=d.algorithm, frame_size=d.frame_size, frame_sha256=d.frame_sha256,
                required_counties=d.required_counties,
                required_institutions=d.required_institutions, drawn=len(d.institutions),
                must_count=len({m["id"] for m in d.must_include} - random_ids),
                confirmed_at=d.confirmed_at, institutions=rows,
            )
        )  # fmt: skip
    return out


@dataclass
class PublicViolation:
    institution: str
    place: str
    what: str
    status: str
    closed: bool


def public_violations(campaign: Campaign) -> list[PublicViolation]:
    """Major fire-safety (§二) problems not withdrawn, and suspensions ordered by a submitted
    inspection, with where their rectification stands."""
    rows: list[PublicViolation] = []
    findings = (
        Finding.objects.filter(
            task__inspection__round__campaign=campaign,
            task__inspection__status=Inspection.Status.SUBMITTED,
            section=Section.FIRE,
            severity="major",
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("task__institution__county__parent", "item")
        .only(
            "status", "item__text", "task__institution__name", "task__institution__county__name",
            "task__institution__county__parent__name",
        )
    )  # fmt: skip
    for f in findings:
        closed = f.status == Finding.Status.CLOSED
        institution = f.task.institution
        rows.append(
            PublicViolation(
                institution=institution.name, place=_place(institution.county),
                what=f.item.text, status=_("已整改") if closed else _("整改中"), closed=closed,
            )
        )  # fmt: skip
    suspended = (
        Inspection.objects.filter(
            round__campaign=campaign,
            status=Inspection.Status.SUBMITTED,
            result=Inspection.Result.SUSPEND,
        )
        .select_related("institution__county__parent")
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__closed_at__isnull=True)))
        .only("institution__name", "institution__county__name", "institution__county__parent__name")
    )  # fmt: skip
    for inspection in suspended:
        closed = inspection.open_tasks == 0
        institution = inspection.institution
        rows.append(
            PublicViolation(
                institution=institution.name, place=_place(institution.county),
                what=_("停业整改"), status=_("已整改") if closed else _("整改中"), closed=closed,
            )
        )  # fmt: skip
    rows.sort(key=lambda r: (r.closed, r.place, r.institution, r.what))
    return rows


@dataclass
class PublicAction:
    institution: str
    place: str
    violation: str
    kind: str
    taken_on: object
    document_number: str


def public_actions(campaign: Campaign) -> list[PublicAction]:
    """What was done about serious fire-safety violations and suspensions (依法依规严肃处理，
    及时向社会公布, §三(二)): institution, violation, action, date, document number. Never
    who recorded it, no note (free text may name people), no vetting actions, nothing
    withdrawn (the action or its problem)."""
    rows = (
        EnforcementAction.objects.filter(campaign=campaign, withdrawn_at__isnull=True)
        .filter(Q(section=Section.FIRE) | Q(trigger=EnforcementAction.Trigger.SUSPENSION))
        # As public_violations: a problem withdrawn by an amendment is not published.
        .exclude(finding__status=Finding.Status.WITHDRAWN)
        .select_related("institution__county__parent")
        .only(
            "basis", "kind", "taken_on", "document_number", "institution__name",
            "institution__county__name", "institution__county__parent__name",
        )
        .order_by("-taken_on", "institution__name", "pk")
    )  # fmt: skip
    return [
        PublicAction(
            institution=a.institution.name,
            place=_place(a.institution.county),
            violation=a.basis,
            kind=a.get_kind_display(),
            taken_on=a.taken_on,
            document_number=a.document_number,
        )
        for a in rows
    ]


def public_figures(campaign: Campaign) -> dict[str, int]:
    """The headline figures: institutions on the register, screened, problems found/closed."""
    prefix = campaign.province_id[:2]
    institutions = (
        Institution.objects.filter(county__code__startswith=prefix)
        .exclude(status=Institution.Status.CLOSED)
        .count()
    )
    screened = (
        Inspection.objects.filter(round__campaign=campaign, status=Inspection.Status.SUBMITTED)
        .values("institution_id")
        .distinct()
        .count()
    )
    problems = (
        Finding.objects.filter(
            task__inspection__round__campaign=campaign,
            task__inspection__status=Inspection.Status.SUBMITTED,
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .aggregate(found=Count("id"), closed=Count("id", filter=Q(status=Finding.Status.CLOSED)))
    )
    return {
        "institutions": institutions,
        "screened": screened,
        "problems_found": problems["found"],
        "problems_closed": problems["closed"],
    }
