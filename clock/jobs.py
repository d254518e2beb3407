"""The campaign clock: what the jobs do at a given moment `now`.

- reminders before each phase deadline to the regions that are behind, saying what is missing;
- after a deadline, an overdue flag on each late region (notified, with the level above),
  cleared by a later run once the work is done;
- overdue work escalates, each thing claimed per level with its own deadline: rectification
  problems past their effective deadline (the county lead at once, the city after the
  campaign's `escalate_to_city_after_days`, the province for major hazards); open dismissals,
  fee violations, complaint cases and police referrals past theirs (the county's education
  officers at once, the city's after the same days; a suspected offence against a minor to
  the city at once, and also when it is not referred to the police, nor a reviewed reason
  not to recorded, within the campaign's `minor_referral_days` (jobs_minors.py));
- the quota watch: a city or province sample below its quota as the deadline nears.

Every step is idempotent and safe to run concurrently. Each message is claimed first, in
its own transaction, by a row with a unique key (a `Claim`, or the partial unique index of
an open flag); a second run, a redelivered task or a second beat waits for the first
inserter and then skips. The notification is written in the same transaction as its claim,
and its e-mail goes out after commit, so a crash mid-run sends nothing twice.

Messages go only to people: a reminder or escalation to a region where nobody holds the
role is not claimed, so whoever is granted the role later still gets it on the next run.
Flags are state and are raised whoever is there to tell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification
from accounts.notifications import notify
from campaign.models import Campaign, Phase
from campaign.selectors import Behind, campaign_scope

from . import selectors
from .models import CampaignClock, Claim, JobRun, QuotaFlag, RegionFlag, RegionOverdue


@dataclass
class Tally:
    """What a run newly did; a second run at the same moment counts zeros."""

    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    quota_flags: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(**{k: v + getattr(other, k) for k, v in asdict(self).items()})

    def line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


def parse_moment(text: str) -> dt.datetime:
    """'2023-12-01T09:00' (or a date, or with an offset) as an aware datetime; local time
    when no offset is given. ValueError when it is not a moment."""
    moment = dt.datetime.fromisoformat(text.strip())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def clock_settings(campaign: Campaign) -> CampaignClock:
    """The campaign's reminder days, or the defaults when it has none of its own."""
    return CampaignClock.objects.filter(campaign=campaign).first() or CampaignClock(
        campaign=campaign
    )


def _date(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def _days_left(deadline: dt.date, today: dt.date) -> str:
    left = (deadline - today).days
    return _("今天截止") if left == 0 else _("还有 %(n)d 天") % {"n": left}


class _Run:
    """One run of one campaign's jobs at one moment; each phase's laggards are read once."""

    def __init__(self, campaign: Campaign, now: dt.datetime):
        self.campaign = campaign
        self.now = now
        self.today = timezone.localdate(now)
        self.scope = campaign_scope(campaign)
        self.clock = clock_settings(campaign)
        self.phases = list(campaign.phases.all())
        self.people = selectors.Recipients()
        self._behind: dict[int, dict | None] = {}

    def behind(self, phase: Phase) -> dict[str, Behind] | None:
        """Regions behind on this phase by code; None for a phase nothing checks yet."""
        if phase.pk not in self._behind:
            check = selectors.PHASE_CHECKS.get(phase.kind)
            if check is not None and phase.kind in selectors.DATED_CHECKS:
                # As at the run's moment, not the wall clock: `--now` replays a day.
                check = partial(check, today=self.today)
            self._behind[phase.pk] = check(self.campaign, self.scope) if check else None
        return self._behind[phase.pk]

    def quota_window(self, phase: Phase) -> bool:
        start = phase.deadline - dt.timedelta(days=self.clock.quota_watch_days)
        return start <= self.today

    def reminder_day(self, phase: Phase) -> dt.date | None:
        """The latest reminder day reached before the deadline (one message, not a backlog)."""
        days = [phase.deadline - dt.timedelta(days=n) for n in self.clock.reminder_days]
        due = [d for d in days if d <= self.today <= phase.deadline]
        return max(due) if due else None


def _claim(**fields) -> bool:
    """Insert the claim; False when another run, earlier or at this moment, holds the key."""
    try:
        with transaction.atomic():
            Claim.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def _raise_flag(model: type[RegionFlag], run: _Run, phase: Phase, item) -> RegionFlag | None:
    """Open a flag on the region; None when one is open already (the partial unique index)."""
    try:
        with transaction.atomic():
            return model.objects.create(
                campaign=run.campaign,
                phase=phase,
                region=item.region,
                deadline=phase.deadline,
                since=run.now,
                missing=item.missing,
            )
    except IntegrityError:
        return None


# -- the jobs ---------------------------------------------------------------------------


def clear_flags(run: _Run) -> int:
    """Close the flags whose work is now done (or whose deadline moved away)."""
    cleared = 0
    for model in (RegionOverdue, QuotaFlag):
        flags = model.objects.filter(campaign=run.campaign, cleared_at__isnull=True)
        for flag in flags.select_related("phase"):
            behind = run.behind(flag.phase)
            if behind is None:
                continue
            applies = (
                run.today > flag.phase.deadline
                if model is RegionOverdue
                else run.quota_window(flag.phase)
            )
            if applies and flag.region_id in behind:
                continue
            with transaction.atomic():
                # Claimed by a conditional lock: of two runs, one clears and one finds it done.
                row = model.objects.select_for_update().filter(pk=flag.pk, cleared_at=None).first()
                if row is not None:
                    row.cleared_at = run.now
                    row.save(update_fields=["cleared_at"])
                    cleared += 1
    return cleared


def send_reminders(run: _Run) -> int:
    sent = 0
    for phase in run.phases:
        day = run.reminder_day(phase)
        behind = run.behind(phase) if day else None
        if not behind:
            continue
        when = _days_left(phase.deadline, run.today)
        for code, item in behind.items():
            users = run.people.responsible(item.region)
            if not users:
                continue
            key = f"clock:reminder:{phase.kind}:{run.campaign.pk}:{code}:{phase.deadline}:{day}"
            with transaction.atomic():
                if not _claim(
                    key=key, job=Claim.Job.REMINDER, campaign=run.campaign, region=item.region
                ):
                    continue
                notify(
                    users=users,
                    kind=Notification.Kind.REMINDER,
                    title=_("%(phase)s截止提醒：%(region)s")
                    % {"phase": phase.get_kind_display(), "region": item.region.name},
                    body=_("%(missing)s。\n%(phase)s的截止日期是%(deadline)s，%(when)s。")
                    % {
                        "missing": item.missing,
                        "phase": phase.get_kind_display(),
                        "deadline": _date(phase.deadline),
                        "when": when,
                    },
                    link=item.link,
                    reason=_("您负责%(region)s的%(phase)s工作，截止前尚未完成时提醒您")
                    % {"region": item.region.name, "phase": phase.get_kind_display()},
                    key=key,
                )
            sent += 1
    return sent


def flag_overdue(run: _Run) -> int:
    flagged = 0
    for phase in run.phases:
        behind = run.behind(phase) if run.today > phase.deadline else None
        if not behind:
            continue
        for item in behind.values():
            with transaction.atomic():
                flag = _raise_flag(RegionOverdue, run, phase, item)
                if flag is None:
                    continue
                _announce(
                    run,
                    item,
                    key=f"clock:overdue:{flag.pk}",
                    kind=Notification.Kind.OVERDUE,
                    title=_("已逾期：%(region)s%(phase)s")
                    % {"region": item.region.name, "phase": phase.get_kind_display()},
                    body=_(
                        "%(phase)s的截止日期%(deadline)s已过，%(missing)s。在完成前一直标记为逾期。"
                    )
                    % {
                        "phase": phase.get_kind_display(),
                        "deadline": _date(phase.deadline),
                        "missing": item.missing,
                    },
                    reason=_("%(region)s未在截止日期前完成%(phase)s")
                    % {"region": item.region.name, "phase": phase.get_kind_display()},
                )
            flagged += 1
    return flagged


def watch_quotas(run: _Run) -> int:
    """A sample below its quota within the watch window before its deadline is flagged.

    After the deadline the overdue flag speaks for it; a quota flag raised before stays
    open until the quota is met."""
    flagged = 0
    for phase in run.phases:
        if phase.kind not in selectors.QUOTA_PHASES or not (
            run.quota_window(phase) and run.today <= phase.deadline
        ):
            continue
        when = _days_left(phase.deadline, run.today)
        for item in (run.behind(phase) or {}).values():
            with transaction.atomic():
                flag = _raise_flag(QuotaFlag, run, phase, item)
                if flag is None:
                    continue
                _announce(
                    run,
                    item,
                    key=f"clock:quota:{flag.pk}",
                    kind=Notification.Kind.REMINDER,
                    title=_("抽查数量预警：%(region)s") % {"region": item.region.name},
                    body=_("%(missing)s。%(phase)s的截止日期是%(deadline)s，%(when)s。")
                    % {
                        "missing": item.missing,
                        "phase": phase.get_kind_display(),
                        "deadline": _date(phase.deadline),
                        "when": when,
                    },
                    reason=_("%(region)s的抽查样本在截止前仍未达到数量要求")
                    % {"region": item.region.name},
                )
            flagged += 1
    return flagged


def _announce(run: _Run, item, *, key: str, kind: str, title: str, body: str, reason: str):
    """Tell the region's own people and, with their own reason, the level above."""
    notify(
        users=run.people.responsible(item.region), kind=kind, title=title, body=body,
        link=item.link, reason=reason, key=key,
    )  # fmt: skip
    notify(
        users=run.people.above(item.region),
        kind=kind,
        title=title,
        body=body,
        link=item.link,
        reason=_("%(reason)s；您负责督促下级，一并通知您") % {"reason": reason},
        key=key,
    )


# -- escalations -------------------------------------------------------------------------
#
# Each overdue thing is claimed per level with its own deadline in the key: a problem, a
# dismissal, a fee violation, a complaint case or a police referral. Something closed or
# dealt with never moves another's claim; something given a new deadline and missed again
# is a new key, so it goes up again. One message tells a level of all the things of one
# task (or institution) it newly claimed.


@dataclass(frozen=True)
class Late:
    """One overdue thing: its claim key (which carries its deadline), the local day it fell
    due, and its line in the message."""

    key: str
    due: dt.date
    line: str = ""


def _escalate(
    run: _Run, *, level: str, region, items: list[Late], users: list, title: str,
    body, reason: str, link: str, task=None, urgent: bool = False,
) -> int:  # fmt: skip
    """Claim each item at this level and send one message about those newly claimed (`body`
    gets them); 1 when a message went out. Not claimed while nobody is there to tell.
    Routine (the day's digest) unless `urgent`: a minors' case. A major hazard came one by
    one when it was found (inspections/services.py); its late rectification is one line of
    the day's digest, or a province hears of dozens at once."""
    if not items or not users:
        return 0
    with transaction.atomic():
        claimed = []
        for item in items:
            key = f"clock:escalation:{level}:{item.key}"
            if _claim(
                key=key, job=Claim.Job.ESCALATION, campaign=run.campaign,
                region=region, task=task, level=level,
            ):  # fmt: skip
                claimed.append((key, item))
        if not claimed:
            return 0
        notify(
            users=users,
            kind=Notification.Kind.ESCALATION,
            title=title,
            body=body([item for _key, item in claimed]),
            link=link,
            reason=reason,
            key=claimed[0][0],
            urgent=urgent,
        )
    return 1


def _up_the_levels(
    run: _Run, county, items: list[Late], *, county_reason: str, city_reason: str,
    at_once_reason: str = "",
) -> list[tuple[str, list[Late], list, str]]:  # fmt: skip
    """The county's education officers at once; the city's education staff once a thing is
    `escalate_to_city_after_days` late, or at once when `at_once_reason` says why."""
    after = run.campaign.escalate_to_city_after_days
    city = items if at_once_reason else [i for i in items if (run.today - i.due).days >= after]
    return [
        ("county", items, run.people.county_lead(county.code), county_reason),
        ("city", city, run.people.city_education(county.parent_id),
         at_once_reason or city_reason),
    ]  # fmt: skip


def _late_days(run: _Run, due: dt.date) -> int:
    return max((run.today - due).days, 0)


def _moment(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{_date(local.date())} {local:%H:%M}"


def escalate_tasks(run: _Run) -> int:
    """Rectification problems past their effective deadline: the county lead at once, the
    city after `escalate_to_city_after_days`, the province for major hazards."""
    escalated = 0
    after = run.campaign.escalate_to_city_after_days
    for row in selectors.overdue_tasks(run.campaign, run.scope, run.today):
        task = row.task
        county = task.institution.county
        items = {
            p.pk: Late(f"finding:{p.pk}:{p.deadline}", p.deadline, f"{p.code} {p.description}")
            for p in row.problems
        }
        everything = list(items.values())
        steps = [
            ("county", everything, run.people.county_lead(county.code),
             _("您负责%(county)s的整改督办，辖区内整改逾期时立即通知您") % {"county": county.name}),
            ("city", [i for i in everything if (run.today - i.due).days >= after],
             run.people.city_staff(county.parent_id),
             _("整改逾期满 %(n)d 天，按专项行动规定上报市级") % {"n": after}),
            ("province", [items[p.pk] for p in row.problems if p.major],
             run.people.province_staff(run.campaign.province_id),
             _("重大隐患整改逾期，按专项行动规定上报省级")),
        ]  # fmt: skip
        link = (
            reverse("inspections:problems")
            + "?"
            + urlencode(
                {
                    "campaign": run.campaign.pk,
                    "region": county.code,
                    "status": "overdue",
                    "q": task.institution.name,
                }
            )
        )

        def body(claimed: list[Late], task=task) -> str:
            since = min(i.due for i in claimed)
            lines = [
                i.line
                if i.due == since
                else _("%(line)s（整改期限%(deadline)s）")
                % {"line": i.line, "deadline": _date(i.due)}
                for i in claimed
            ]
            return _(
                "%(department)s整改期限为%(deadline)s，已逾期 %(days)d 天，"
                "%(n)d 项问题尚未复查销号：\n%(lines)s"
            ) % {
                "department": task.get_department_display(),
                "deadline": _date(since),
                "days": _late_days(run, since),
                "n": len(claimed),
                "lines": "\n".join(lines),
            }

        for level, items_, users, reason in steps:
            title = (
                _("重大隐患整改逾期：%(name)s（%(county)s）")
                if level == "province"
                else _("整改逾期：%(name)s（%(county)s）")
            )
            escalated += _escalate(
                run, level=level, region=county, items=items_, users=users,
                title=title % {"name": task.institution.name, "county": county.name},
                body=body, reason=reason, link=link, task=task,
            )  # fmt: skip
    return escalated


def _in_province(run: _Run, queryset, path: str):
    """Rows whose county (at `path`, a Region code column) lies in the campaign's province."""
    return queryset.filter(**{f"{path}__startswith": run.campaign.province.prefix})


def escalate_dismissals(run: _Run) -> int:
    """Dismissals (清退) still open after their deadline ([personnel])."""
    from personnel.services import overdue_dismissals

    dismissals = run.scope.institutions(
        overdue_dismissals(run.today), "staff.view", path="institution"
    )
    dismissals = _in_province(run, dismissals, "institution__county__code")
    escalated = 0
    for dismissal in dismissals.select_related("institution__county").order_by("pk"):
        county = dismissal.institution.county
        item = Late(f"dismissal:{dismissal.pk}:{dismissal.deadline}", dismissal.deadline)
        title = _("清退逾期：%(name)s（%(county)s）") % {
            "name": dismissal.institution.name,
            "county": county.name,
        }

        def body(claimed, dismissal=dismissal) -> str:
            return _(
                "一名不适宜从业人员的清退期限为%(deadline)s，已逾期 %(days)d 天，"
                "尚未解除聘用并提交证明。"
            ) % {
                "deadline": _date(dismissal.deadline),
                "days": _late_days(run, dismissal.deadline),
            }

        for level, items, users, reason in _up_the_levels(
            run, county, [item],
            county_reason=_("您负责%(county)s的从业人员清退督办，清退逾期时立即通知您")
            % {"county": county.name},
            city_reason=_("清退逾期满 %(n)d 天，按专项行动规定上报市级")
            % {"n": run.campaign.escalate_to_city_after_days},
        ):  # fmt: skip
            escalated += _escalate(
                run, level=level, region=county, items=items, users=users, title=title,
                body=body, reason=reason,
                link=reverse("personnel:dismissal", args=[dismissal.pk]),
            )  # fmt: skip
    return escalated


def escalate_fee_violations(run: _Run) -> int:
    """Fee violations ([fees]) not closed or withdrawn by their deadline, per institution."""
    from fees.models import FeeViolation

    violations = FeeViolation.objects.filter(deadline__lt=run.today).exclude(
        status__in=FeeViolation.DONE
    )
    violations = run.scope.institutions(violations, "fees.view", path="institution")
    violations = _in_province(run, violations, "institution__county__code")
    by_institution: dict[int, list] = {}
    for violation in violations.select_related("record", "institution__county").order_by(
        "institution_id", "deadline", "pk"
    ):
        by_institution.setdefault(violation.institution_id, []).append(violation)
    escalated = 0
    for found in by_institution.values():
        institution = found[0].institution
        county = institution.county
        items = [
            Late(
                f"fee:{v.pk}:{v.deadline}",
                v.deadline,
                _("%(rule)s（%(day)s收费），整改期限%(deadline)s")
                % {
                    "rule": v.get_rule_display(),
                    "day": _date(v.record.charged_on),
                    "deadline": _date(v.deadline),
                },
            )
            for v in found
        ]
        title = _("收费违规整改逾期：%(name)s（%(county)s）") % {
            "name": institution.name,
            "county": county.name,
        }

        def body(claimed: list[Late]) -> str:
            return _("%(n)d 项收费违规已过整改期限，尚未销号：\n%(lines)s") % {
                "n": len(claimed),
                "lines": "\n".join(i.line for i in claimed),
            }

        link = (
            reverse("fees:ledger")
            + "?"
            + urlencode({"region": county.code, "status": "overdue", "q": institution.name})
        )
        for level, items_, users, reason in _up_the_levels(
            run, county, items,
            county_reason=_("您负责%(county)s的收费监管，违规收费整改逾期时立即通知您")
            % {"county": county.name},
            city_reason=_("收费违规整改逾期满 %(n)d 天，按专项行动规定上报市级")
            % {"n": run.campaign.escalate_to_city_after_days},
        ):  # fmt: skip
            escalated += _escalate(
                run, level=level, region=county, items=items_, users=users, title=title,
                body=body, reason=reason, link=link,
            )  # fmt: skip
    return escalated


def escalate_complaints(run: _Run) -> int:
    """Complaint cases past their response deadline, and police referrals whose receipt or
    feedback is late ([complaints]). A suspected offence against a minor goes to the city at
    once. The message names the case, never its details (complaints/access.py)."""
    from complaints.models import Category
    from complaints.services import overdue_cases, overdue_referrals

    mine = Q(campaign=run.campaign) | Q(campaign__isnull=True)
    cases = run.scope.filter(
        overdue_cases(run.now).filter(mine), "complaints.view", region="county__code"
    )
    mine = Q(case__campaign=run.campaign) | Q(case__campaign__isnull=True)
    referrals = run.scope.filter(
        overdue_referrals(run.now).filter(mine), "complaints.view", region="case__county__code"
    )
    work = []  # (case, key, due moment, title, body)
    for case in _in_province(run, cases, "county__code").select_related("county"):
        work.append(
            (case, f"case:{case.pk}:{int(case.deadline.timestamp())}", case.deadline,
             _("投诉举报办理逾期：%(number)s（%(county)s）"),
             _("%(category)s，处置期限为%(deadline)s，已逾期，尚未办结或移送公安。")
             % {"category": case.get_category_display(), "deadline": _moment(case.deadline)})
        )  # fmt: skip
    for referral in _in_province(run, referrals, "case__county__code").select_related(
        "case__county"
    ):
        stage = referral.overdue_at(run.now)
        if not stage:
            continue
        due = referral.ack_due if stage == "ack" else referral.feedback_due
        title, text = (
            (_("公安移送回执逾期：%(number)s（%(county)s）"),
             _("移送%(unit)s的案件，回执期限为%(deadline)s，尚未登记回执。"))
            if stage == "ack"
            else (_("公安移送反馈逾期：%(number)s（%(county)s）"),
                  _("移送%(unit)s的案件，反馈期限为%(deadline)s，尚未登记反馈。"))
        )  # fmt: skip
        work.append(
            (referral.case, f"referral:{referral.pk}:{stage}:{int(due.timestamp())}", due, title,
             text % {"unit": referral.police_unit, "deadline": _moment(due)})
        )  # fmt: skip
    escalated = 0
    after = run.campaign.escalate_to_city_after_days
    for case, key, due, title, text in sorted(work, key=lambda w: (w[0].pk, w[1])):
        county = case.county
        minor = case.category == Category.MINOR_OFFENCE
        item = Late(key, timezone.localdate(due))
        for level, items, users, reason in _up_the_levels(
            run, county, [item],
            county_reason=_("您负责%(county)s的投诉举报办理，办理逾期时立即通知您")
            % {"county": county.name},
            city_reason=_("投诉举报办理逾期满 %(n)d 天，按专项行动规定上报市级") % {"n": after},
            at_once_reason=_("疑似侵害未成年人案件办理逾期，按规定立即上报市级") if minor else "",
        ):  # fmt: skip
            escalated += _escalate(
                run, level=level, region=county, items=items, users=users,
                title=title % {"number": case.number, "county": county.name},
                body=lambda claimed, text=text: text, reason=reason,
                link=reverse("complaints:detail", args=[case.pk]), urgent=minor,
            )  # fmt: skip
    return escalated


# -- entry points -----------------------------------------------------------------------


def run_campaign_jobs(*, campaign: Campaign, now: dt.datetime) -> Tally:
    """Every job of one campaign, once, as at `now`; logged as a JobRun."""
    from .jobs_minors import escalate_unreferred_minors  # it builds on this module
    from .jobs_selfcheck import remind_self_inspection  # so does this one

    # Messages are stored in the campaign's language, whoever (or whatever) runs the jobs.
    with translation.override(settings.LANGUAGE_CODE):
        run = _Run(campaign, now)
        clear_flags(run)
        tally = Tally(
            reminders=send_reminders(run) + remind_self_inspection(run),
            overdue=flag_overdue(run),
            escalations=(
                escalate_tasks(run)
                + escalate_dismissals(run)
                + escalate_fee_violations(run)
                + escalate_complaints(run)
                + escalate_unreferred_minors(run)
            ),
            quota_flags=watch_quotas(run),
        )
    JobRun.objects.create(campaign=campaign, moment=now, **asdict(tally))
    return tally


def run_all(*, now: dt.datetime) -> Tally:
    """Every active campaign's jobs, once, as at `now` (the command and the beat's tick)."""
    total = Tally()
    for campaign in Campaign.objects.filter(is_active=True).select_related("province"):
        total += run_campaign_jobs(campaign=campaign, now=now)
    return total
