"""The reads of 自查自评: the institution's own record (`Scope.own_institution`), and the
officials' view of the institutions in their scope (read only, `inspections.view`: the
county's screening officers, the city and the province)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.scope import Scope
from campaign.models import Campaign
from institutions.models import Institution

from .models import SelfAnswer, SelfInspection, SelfPhoto
from .services import campaign_for

PERMISSION = "inspections.view"


def own_self_inspection(*, scope: Scope) -> SelfInspection | None:
    """The signed-in institution's self-inspection of the campaign in force, if it began one."""
    own = scope.own_institution()
    if own is None:
        return None
    institution = Institution.objects.filter(pk=own).first()
    campaign = campaign_for(institution) if institution else None
    if campaign is None:
        return None
    return (
        SelfInspection.objects.select_related("checklist", "institution", "campaign")
        .filter(campaign=campaign, institution_id=own)
        .first()
    )


def own_answers(*, scope: Scope) -> QuerySet[SelfAnswer]:
    own = scope.own_institution()
    if own is None:
        return SelfAnswer.objects.none()
    return SelfAnswer.objects.filter(self_inspection__institution_id=own)


def self_photos_for_institution(*, scope: Scope) -> QuerySet[SelfPhoto]:
    own = scope.own_institution()
    if own is None:
        return SelfPhoto.objects.none()
    return SelfPhoto.objects.filter(answer__self_inspection__institution_id=own)


def self_inspection_list(*, scope: Scope) -> QuerySet[SelfInspection]:
    """Every self-inspection of the institutions the official sees."""
    return scope.institutions(SelfInspection.objects.all(), PERMISSION, path="institution")


def self_photos_for_officials(*, scope: Scope) -> QuerySet[SelfPhoto]:
    """Photos of the submitted self-inspections the official sees (a draft is the
    institution's own until it submits)."""
    return SelfPhoto.objects.filter(
        answer__self_inspection__in=self_inspection_list(scope=scope).filter(
            status=SelfInspection.Status.SUBMITTED
        )
    )


def rectification_list(self_inspection: SelfInspection) -> QuerySet[SelfAnswer]:
    """The institution's own rectification list (自查整改): its 不合规 answers."""
    return (
        self_inspection.answers.filter(value=SelfAnswer.Value.NON_COMPLIANT)
        .select_related("item")
        .prefetch_related("photos")
        .order_by("item__order", "item__code")
    )


def submitted_answers(*, institution: Institution, campaign: Campaign) -> dict[str, SelfAnswer]:
    """The institution's submitted self-answers of a campaign by item code (the county's
    screening form shows each beside its item); empty when it has not submitted."""
    return {
        answer.item.code: answer
        for answer in SelfAnswer.objects.filter(
            self_inspection__institution=institution,
            self_inspection__campaign=campaign,
            self_inspection__status=SelfInspection.Status.SUBMITTED,
        )
        .select_related("item", "self_inspection")
        .prefetch_related("photos")
    }


def institutions_with_status(*, scope: Scope, campaign: Campaign) -> QuerySet[Institution]:
    """The operating institutions the official sees, each with its self-inspection's state,
    when it was submitted, and how many of its own items are still open (in the reader's
    sections: a fire officer counts the fire items)."""
    mine = SelfInspection.objects.filter(campaign=campaign, institution=OuterRef("pk"))
    open_items = (
        SelfAnswer.objects.filter(
            self_inspection__campaign=campaign,
            self_inspection__institution=OuterRef("pk"),
            self_inspection__status=SelfInspection.Status.SUBMITTED,
            value=SelfAnswer.Value.NON_COMPLIANT,
            fixed_at__isnull=True,
            item__section__in=sorted(scope.sections(PERMISSION)),
        )
        .order_by()
        .values("self_inspection__institution")
        .annotate(n=Count("pk"))
        .values("n")
    )
    late_items = open_items.filter(fix_by__lt=timezone.localdate())
    institutions = scope.institutions(
        Institution.objects.filter(status=Institution.Status.OPERATING), PERMISSION
    )
    return (
        institutions.select_related("county")
        .annotate(
            self_status=Subquery(mine.values("status")[:1]),
            self_submitted_at=Subquery(mine.values("submitted_at")[:1]),
            self_id=Subquery(mine.values("pk")[:1]),
            self_open=Subquery(open_items),
            self_late=Subquery(late_items),
        )
        .order_by("county__code", "name", "pk")
    )


def status_filter(queryset: QuerySet[Institution], status: str) -> QuerySet[Institution]:
    """Narrow the list to 已提交 / 填写中 / 未开始 / 未提交 (either) / 有未整改项."""
    if status == "submitted":
        return queryset.filter(self_status=SelfInspection.Status.SUBMITTED)
    if status == "draft":
        return queryset.filter(self_status=SelfInspection.Status.DRAFT)
    if status == "none":
        return queryset.filter(self_status__isnull=True)
    if status == "unsubmitted":
        return queryset.filter(
            Q(self_status__isnull=True) | Q(self_status=SelfInspection.Status.DRAFT)
        )
    if status == "open":
        return queryset.filter(self_open__gt=0)
    return queryset


def counts(queryset: QuerySet[Institution]) -> dict[str, int]:
    return queryset.aggregate(
        total=Count("pk"),
        submitted=Count("pk", filter=Q(self_status=SelfInspection.Status.SUBMITTED)),
        draft=Count("pk", filter=Q(self_status=SelfInspection.Status.DRAFT)),
        open=Count("pk", filter=Q(self_open__gt=0)),
    )


def amendment_rows(self_inspection: SelfInspection, sections=None) -> list[dict]:
    """The corrections made after submitting, with the answers in words; with `sections`,
    only the changes to items of those sections (an official reads their own)."""
    labels = dict(SelfAnswer.Value.choices)
    codes = None
    if sections is not None:
        codes = set(
            self_inspection.checklist.items.filter(section__in=sections).values_list(
                "code", flat=True
            )
        )

    def said(side: dict) -> str:
        parts = [str(labels.get(side.get("value"), "")), side.get("number") or ""]
        return " ".join(p for p in parts if p) or "—"

    rows = []
    for amendment in self_inspection.amendments.select_related("made_by"):
        changes = [
            {"code": c["code"], "before": said(c["before"]), "after": said(c["after"])}
            for c in amendment.changes
            if codes is None or c["code"] in codes
        ]
        if changes:
            rows.append({"made_at": amendment.made_at, "made_by": amendment.made_by,
                         "reason": amendment.reason, "changes": changes})  # fmt: skip
    return rows


def said_compliant(*, institution: str, campaign: str, code: str, before: str) -> Exists:
    """True for a row (an official's problem) whose institution, in a self-inspection of the
    same campaign submitted before the inspection (`before`: the row's path to the
    inspection's submission time), said the same item was 合规: where the official finding
    contradicts the self-assessment. The answer as submitted counts (`submitted_value`), so a
    correction made after seeing the finding does not hide it; a self-inspection submitted
    after the inspection may truthfully say 合规 of a problem fixed since."""
    return Exists(
        SelfAnswer.objects.filter(
            self_inspection__institution=OuterRef(institution),
            self_inspection__campaign=OuterRef(campaign),
            self_inspection__status=SelfInspection.Status.SUBMITTED,
            self_inspection__submitted_at__lt=OuterRef(before),
            item__code=OuterRef(code),
            submitted_value=SelfAnswer.Value.COMPLIANT,
        )
    )


def submitted_per_county(institutions: QuerySet[Institution], campaign: Campaign) -> list[tuple]:
    """(county, sector, institutions with a submitted self-inspection) among `institutions`
    (the boards' operating institutions in scope)."""
    rows = (
        SelfInspection.objects.filter(
            campaign=campaign,
            status=SelfInspection.Status.SUBMITTED,
            institution__in=institutions,
        )
        .order_by()
        .values_list("institution__county_id", "institution__sector")
        .annotate(n=Count("pk"))
    )
    return [(county, sector or "", n) for county, sector, n in rows]
