"""The clock's reminder to institutions that have not self-inspected (自查自评, §三(二)): from
a week before the county phase's deadline (县级排查整改, 30 Nov in 2023), each institution
with its own account and no submitted self-inspection of the campaign is told once, on its
own bell, what is missing and by when. The county reads who has not on 机构自查; the
county's own reminders (jobs.send_reminders) stay about its screening.

Claimed per campaign, institution and deadline, like every reminder: a second run, or a
deadline that does not move, sends nothing more.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Notification
from accounts.notifications import notify
from campaign.models import Phase
from institutions.models import Institution, InstitutionAccount
from selfcheck.models import SelfInspection

from .jobs import _claim, _date, _days_left, _in_province, _Run
from .models import Claim

WEEK = dt.timedelta(days=7)


def not_self_inspected(run: _Run):
    """Operating institutions of the campaign's province with an active account of their
    own and no submitted self-inspection of the campaign."""
    submitted = SelfInspection.objects.filter(
        campaign=run.campaign,
        institution=OuterRef("pk"),
        status=SelfInspection.Status.SUBMITTED,
    )
    with_account = InstitutionAccount.objects.filter(
        institution=OuterRef("pk"), user__is_active=True
    )
    institutions = run.scope.institutions(
        Institution.objects.filter(status=Institution.Status.OPERATING), "institutions.view"
    )
    institutions = _in_province(run, institutions, "county__code")
    return (
        institutions.filter(Exists(with_account))
        .exclude(Exists(submitted))
        .select_related("county")
        .order_by("pk")
    )


def remind_self_inspection(run: _Run) -> int:
    phase = next((p for p in run.phases if p.kind == Phase.Kind.COUNTY_SCREENING), None)
    if phase is None or not (phase.deadline - WEEK <= run.today <= phase.deadline):
        return 0
    sent = 0
    for institution in not_self_inspected(run):
        users = [
            account.user
            for account in InstitutionAccount.objects.filter(
                institution=institution, user__is_active=True
            ).select_related("user")
        ]
        key = f"clock:self-check:{run.campaign.pk}:{institution.pk}:{phase.deadline}"
        with transaction.atomic():
            if not _claim(
                key=key, job=Claim.Job.REMINDER, campaign=run.campaign, region=institution.county
            ):
                continue
            notify(
                users=users,
                kind=Notification.Kind.REMINDER,
                title=_("请尽快完成自查自评：%(name)s") % {"name": institution.name},
                body=_(
                    "本机构尚未提交“%(campaign)s”的自查表。县级排查整改的截止日期是"
                    "%(deadline)s，%(when)s。请对照检查表逐项自查并提交，发现的问题及时整改。"
                )
                % {
                    "campaign": run.campaign.name,
                    "deadline": _date(phase.deadline),
                    "when": _days_left(phase.deadline, run.today),
                },
                link=reverse("portal:selfcheck"),
                reason=_("专项行动要求培训机构在县级排查前完成自查自评，截止前一周仍未提交时提醒"),
                key=key,
            )
        sent += 1
    return sent
