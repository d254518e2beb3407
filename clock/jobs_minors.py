"""The clock's watch on suspected offences against minors (§四): a case neither referred to
public security nor given a reviewed reason not to be (complaints/no_referral.py) within
the campaign's `minor_referral_days` of its receipt goes to the county's education officers
and, at once, the city's education staff. The response deadline of the category rule
(complaints/rules.py) is a different clock, escalated by `jobs.escalate_complaints`; this
one measures the referral itself, so a case triaged with a later deadline is still watched.
Claimed per case and limit, like every escalation: a second run sends nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .jobs import Late, _escalate, _in_province, _moment, _Run, _up_the_levels


def unreferred_minor_cases(run: _Run):
    """Open minors' cases of this campaign (or none) past the limit with no referral and no
    approved reason, within the campaign's province."""
    from complaints.models import Case, Category

    cutoff = run.now - dt.timedelta(days=run.campaign.minor_referral_days)
    cases = (
        Case.objects.filter(category=Category.MINOR_OFFENCE, received_at__lt=cutoff)
        .exclude(status=Case.Status.CLOSED)
        .filter(referrals__isnull=True, no_referral_reviewed_at__isnull=True)
        .filter(Q(campaign=run.campaign) | Q(campaign__isnull=True))
    )
    cases = run.scope.filter(cases, "complaints.view", region="county__code")
    return _in_province(run, cases, "county__code").select_related("county").order_by("pk")


def escalate_unreferred_minors(run: _Run) -> int:
    days = run.campaign.minor_referral_days
    escalated = 0
    for case in unreferred_minor_cases(run):
        county = case.county
        due = case.received_at + dt.timedelta(days=days)
        item = Late(f"minor-unreferred:{case.pk}:{int(due.timestamp())}", timezone.localdate(due))
        # The message names the case and its dates, never its details (complaints/access.py).
        text = _(
            "疑似侵害未成年人的线索于%(received)s收到，已超过专项行动规定的 %(n)d 天，"
            "仍未移送公安机关，也没有经审核同意的不移送理由。"
        ) % {"received": _moment(case.received_at), "n": days}
        for level, items, users, reason in _up_the_levels(
            run, county, [item],
            county_reason=_("您负责%(county)s的投诉举报办理，涉未成年人线索逾期未移送时立即通知您")
            % {"county": county.name},
            city_reason="",
            at_once_reason=_("涉未成年人线索逾期未移送公安，按规定立即上报市级"),
        ):  # fmt: skip
            escalated += _escalate(
                run, level=level, region=county, items=items, users=users,
                title=_("涉未成年人线索逾期未移送公安：%(number)s（%(county)s）")
                % {"number": case.number, "county": county.name},
                body=lambda claimed, text=text: text, reason=reason,
                link=reverse("complaints:detail", args=[case.pk]), urgent=True,
            )  # fmt: skip
    return escalated
