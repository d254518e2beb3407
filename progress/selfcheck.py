"""The boards' self-inspection rows (自查自评, #21): plain grouped counts through the scope,
the same on PostgreSQL and the SQLite demo, kept with the rest of the facts."""

from __future__ import annotations

from django.db.models import Count

from accounts.scope import Scope
from campaign.models import Campaign, ChecklistItem
from inspections.models import Finding
from institutions.models import Institution
from selfcheck.selectors import said_compliant, submitted_per_county

PERMISSION = "inspections.view"
NO_SECTOR = ""


def selfcheck_rows(
    scope: Scope, campaign: Campaign | None, prefix: str
) -> tuple[list[tuple], list[tuple]]:
    """The self-inspection rows of the facts: (county, sector, submitted) and (county,
    sector, section, major problems the institution had said were 合规). Plain grouped
    counts, the same on PostgreSQL and the SQLite demo."""
    if campaign is None:
        return [], []
    institutions = scope.institutions(
        Institution.objects.filter(county__code__startswith=prefix), PERMISSION
    )
    submitted = submitted_per_county(
        institutions.filter(status=Institution.Status.OPERATING), campaign
    )
    contradicted = (
        Finding.objects.filter(
            task__inspection__round__campaign=campaign,
            task__institution__in=institutions,
            severity=ChecklistItem.Severity.MAJOR,
            # The live county board narrows to the reader's sections here, as Facts.within
            # narrows the kept copy for the city and the province.
            section__in=sorted(scope.sections(PERMISSION)),
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .filter(
            said_compliant(
                institution="task__institution",
                campaign="task__inspection__round__campaign",
                code="item__code",
                before="task__inspection__submitted_at",
            )
        )
        .order_by()
        .values_list("task__institution__county_id", "task__institution__sector", "section")
        .annotate(n=Count("pk"))
    )
    return submitted, [
        (c, sector or NO_SECTOR, section, n) for c, sector, section, n in contradicted
    ]
