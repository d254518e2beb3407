"""Reads for campaigns and checklists, scoped to the provinces the user works in."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.roles import Role
from accounts.scope import Scope
from core.models import Region
from institutions.models import Institution

from .models import Campaign, ChecklistItem, ChecklistTemplate, PublicityActivity


def campaign_list(*, scope: Scope, permission: str = "dashboard.view") -> QuerySet:
    """Campaigns of every province the user has a grant in (a county officer sees their province's)."""
    provinces = scope.provinces(permission)
    return Campaign.objects.filter(province_id__in=provinces).select_related("province")


def campaign_in_force(province_code: str) -> Campaign | None:
    """The campaign whose rules apply in a province: its newest active one. Not a user's
    read (no scope): services use it to take the campaign's time limits."""
    return (
        Campaign.objects.filter(is_active=True, province_id=province_code)
        .order_by("-starts_on", "-id")
        .first()
    )


def campaign_scope(campaign: Campaign) -> Scope:
    """The scope the jobs and the province's kept figures read through: the campaign's whole
    province, every section. Here, low, so the clock, the progress boards and reporting all
    take it without importing one another."""
    return Scope.for_region(Role.PROVINCE_STAFF, campaign.province_id)


@dataclass(frozen=True)
class Behind:
    """A region that has not finished a phase's work, and what is missing, in words: what
    each phase check returns (the clock's, and reporting's for the city summaries)."""

    region: Region
    missing: str
    link: str


def checklist_list(*, scope: Scope) -> QuerySet:
    return ChecklistTemplate.objects.filter(
        campaign__in=campaign_list(scope=scope, permission="inspections.view")
    ).select_related("campaign")


def checklist_items_for(
    *,
    template: ChecklistTemplate,
    institution: Institution,
    scope: Scope,
    has_dormitory: bool = False,
    has_kitchen: bool = False,
    all_sections: bool = False,
) -> QuerySet:
    """The items an officer sees for this institution: applicable ones, in their sections
    (or, with all_sections, every section: what a complete record must contain)."""
    applies = Q(applies_to="all")
    if institution.is_risky:
        applies |= Q(applies_to="risky")
    applies |= Q(applies_to=institution.category)
    if has_dormitory:
        applies |= Q(applies_to="dormitory")
    if has_kitchen:
        applies |= Q(applies_to="kitchen")
    items = ChecklistItem.objects.filter(applies, template=template)
    if not all_sections:
        items = items.filter(section__in=scope.sections("inspections.view"))
    return items


def upcoming_deadlines(*, scope: Scope) -> list[dict]:
    """The active campaign's phases with days left (negative once past), for dashboards."""
    from django.utils import timezone

    campaign = campaign_list(scope=scope).filter(is_active=True).order_by("-starts_on").first()
    if campaign is None:
        return []
    today = timezone.localdate()
    return [
        {"phase": phase, "days_left": (phase.deadline - today).days}
        for phase in campaign.phases.all()
    ]


def publicity_list(*, scope: Scope) -> QuerySet:
    return scope.filter(
        PublicityActivity.objects.select_related("county", "created_by"),
        "inspections.view",
        region="county__code",
    )
