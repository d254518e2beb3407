"""What a receipt (整改回执) tells whom: the officials learn that an institution sent one
(inspections/receipts.py), the institution learns what the re-inspection made of it
(services.finding_verify). Routine messages: a line in the day's digest, in the bell at once."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Notification
from accounts.notifications import notify, users_with_role
from accounts.roles import Department, Role
from institutions.models import InstitutionAccount

from .models import Finding


def tell_the_officials(finding: Finding) -> None:
    """The county's education officers, and the task's own department in the county when it
    is another, learn of the receipt: they re-inspect. Routine: one line in the day's digest."""
    task = finding.task
    institution = task.institution
    users = users_with_role(
        role=Role.COUNTY_OFFICER, region_code=institution.county_id, department=Department.EDUCATION
    )
    if task.department != Department.EDUCATION:
        users += users_with_role(
            role=(Role.COUNTY_OFFICER, Role.DEPARTMENT_USER),
            region_code=institution.county_id,
            department=task.department,
        )
    notify(
        users=users,
        kind=Notification.Kind.OTHER,
        urgent=False,
        title=_("%(name)s 报送了整改回执：%(code)s")
        % {"name": institution.name, "code": finding.item.code},
        body=finding.report_note[:200],
        link=reverse("inspections:finding", args=[finding.pk]),
        key=f"receipt:{finding.pk}:{finding.reported_at.isoformat()}",
    )


def tell_the_institution(finding: Finding) -> None:
    """The institution's own accounts learn that its problem was closed, or sent back with a
    new deadline and the re-inspection's opinion."""
    institution = finding.task.institution
    users = [
        account.user
        for account in InstitutionAccount.objects.filter(institution=institution).select_related(
            "user"
        )
    ]
    if not users:
        return
    code = finding.item.code
    if finding.status == Finding.Status.CLOSED:
        title = _("问题 %(code)s 已复查销号") % {"code": code}
    else:
        title = _("问题 %(code)s 复查未通过，请在 %(date)s 前重新整改") % {
            "code": code,
            "date": finding.effective_deadline.isoformat(),
        }
    notify(
        users=users,
        kind=Notification.Kind.OTHER,
        urgent=False,
        title=title,
        body=finding.verify_note[:200],
        link=reverse("portal:problem", args=[finding.pk]),
        key=f"verified:{finding.pk}:{finding.verified_at.isoformat()}",
    )
