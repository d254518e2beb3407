"""The campaign clock: what the jobs do at a given moment `now`.

- reminders before each phase deadline to the regions that are behind, saying what is missing;
- after a deadline, an overdue flag on each late region (notified, with the level above),
  cleared by a later run once the work is done;
- rectification tasks past their effective deadline escalate: the county lead at once, the
  city after the campaign's `escalate_to_city_after_days`, the province for major hazards;
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
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification
from accounts.notifications import notify
from campaign.models import Campaign, Phase

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
        self.scope = selectors.campaign_scope(campaign)
        self.clock = clock_settings(campaign)
        self.phases = list(campaign.phases.all())
        self.people = selectors.Recipients()
        self._behind: dict[int, dict | None] = {}

    def behind(self, phase: Phase) -> dict[str, selectors.Behind] | None:
        """Regions behind on this phase by code; None for a phase nothing checks yet."""
        if phase.pk not in self._behind:
            check = selectors.PHASE_CHECKS.get(phase.kind)
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


def escalate_tasks(run: _Run) -> int:
    escalated = 0
    after = run.campaign.escalate_to_city_after_days
    for row in selectors.overdue_tasks(run.campaign, run.scope, run.today):
        task = row.task
        county = task.institution.county
        days = (run.today - row.since).days
        steps = [
            ("county", row.since, run.people.county_lead(county.code),
             _("您负责%(county)s的整改督办，辖区内整改逾期时立即通知您") % {"county": county.name}),
        ]  # fmt: skip
        if days >= after:
            steps.append(
                ("city", row.since, run.people.city_staff(county.parent_id),
                 _("整改逾期满 %(n)d 天，按专项行动规定上报市级") % {"n": after})
            )  # fmt: skip
        if row.major_since is not None:
            steps.append(
                ("province", row.major_since, run.people.province_staff(run.campaign.province_id),
                 _("重大隐患整改逾期，按专项行动规定上报省级"))
            )  # fmt: skip
        lines = "\n".join(f"{code} {text}" for code, text in row.problems)
        link = (
            reverse("inspections:problems")
            + "?"
            + urlencode({"region": county.code, "status": "overdue", "q": task.institution.name})
        )
        for level, since, users, reason in steps:
            if not users:
                continue
            key = f"clock:escalation:{level}:{task.pk}:{since}"
            with transaction.atomic():
                if not _claim(
                    key=key, job=Claim.Job.ESCALATION, campaign=run.campaign,
                    region=county, task=task, level=level,
                ):  # fmt: skip
                    continue
                title = (
                    _("重大隐患整改逾期：%(name)s（%(county)s）")
                    if level == "province"
                    else _("整改逾期：%(name)s（%(county)s）")
                )
                notify(
                    users=users,
                    kind=Notification.Kind.ESCALATION,
                    title=title % {"name": task.institution.name, "county": county.name},
                    body=_(
                        "%(department)s整改期限为%(deadline)s，已逾期 %(days)d 天，"
                        "%(n)d 项问题尚未复查销号：\n%(lines)s"
                    )
                    % {
                        "department": task.get_department_display(),
                        "deadline": _date(since),
                        "days": (run.today - since).days,
                        "n": len(row.problems),
                        "lines": lines,
                    },
                    link=link,
                    reason=reason,
                    key=key,
                )
            escalated += 1
    return escalated


# -- entry points -----------------------------------------------------------------------


def run_campaign_jobs(*, campaign: Campaign, now: dt.datetime) -> Tally:
    """Every job of one campaign, once, as at `now`; logged as a JobRun."""
    # Messages are stored in the campaign's language, whoever (or whatever) runs the jobs.
    with translation.override(settings.LANGUAGE_CODE):
        run = _Run(campaign, now)
        clear_flags(run)
        tally = Tally(
            reminders=send_reminders(run),
            overdue=flag_overdue(run),
            escalations=escalate_tasks(run),
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
