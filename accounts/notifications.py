"""Sending notifications: in the bell, and by e-mail when the user wants it and has an address.

Idempotent by key: a (user, key) pair is stored once, so an action or a job that runs twice
notifies once. Each new row carries its e-mail in the outbox (accounts/outbox.py): written in the caller's
transaction, handed to a worker after the commit, swept up later if the broker was down.

Urgent messages come one by one. Routine ones (reminders, overdue flags, escalations, spot-check
assignments: a campaign day sends dozens of them to a city) are gathered into ONE digest per
person per local day: each is an item row pointing at the digest, kept out of the bell, so
the bell counts the digest once. The digest goes into the outbox with its first item, not
before the day's end (`email_after`); the outbox's every-minute sweep then sends it once,
listing every item of the day. No daily beat task: the sweep is already there, and its claim
already makes "once" hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import outbox
from .models import Notification, RoleGrant, User

Kind = Notification.Kind

# Which kinds come one by one when the caller does not say (`urgent=None`):
# - MAJOR_HAZARD: a danger to children now; the county and city act the same day.
# - SUMMARY: a city summary submitted, returned or approved is a handful per campaign and
#   asks someone to act on it (a returned one reopens the city's and departments' parts).
# - OTHER: one-off messages addressed to whoever must act on one case (a minors' case, a
#   review); callers whose OTHER message is routine pass `urgent=False`.
# Routine by default:
# - REMINDER, OVERDUE, ESCALATION: the clock sends one per region, institution or task and
#   level, dozens a day to a city; read together they are a to-do list. Callers mark the
#   urgent few (a minors' case late: clock/jobs.py, clock/jobs_minors.py). A major hazard's
#   late rectification stays routine: the hazard itself came one by one when found.
# - ASSIGNMENT: a spot-check assignment has days until the round; one line in the day's list.
URGENT_KINDS = frozenset({Kind.MAJOR_HAZARD, Kind.SUMMARY, Kind.OTHER})


def is_urgent(kind: str) -> bool:
    return kind in URGENT_KINDS


def _email_to(user: User) -> str:
    """The outbox address: only for a user who chose e-mail (User.notify_by_email)."""
    return outbox.address_now(user)


def notify(*, users: Iterable[User], kind: str, title: str, body: str = "", link: str = "",
           reason: str = "", key: str, urgent: bool | None = None) -> list[Notification]:  # fmt: skip
    """Tell `users`; once per (user, key). `urgent` None: by kind (URGENT_KINDS)."""
    users = list({u.pk: u for u in users if u.is_active}.values())
    already = set(
        Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
    )
    users = [u for u in users if u.pk not in already]
    if not users:
        return []
    if urgent is None:
        urgent = is_urgent(kind)
    if not urgent:
        return _gather(users, kind=kind, title=title, body=body, link=link, reason=reason,
                       key=key)  # fmt: skip
    fresh = [
        Notification(
            user=u,
            kind=kind,
            title=title,
            body=body,
            link=link,
            reason=reason,
            key=key,
            email_to=_email_to(u),
        )  # fmt: skip
        for u in users
    ]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if any(n.email_to for n in fresh):
        # bulk_create with ignore_conflicts returns no ids: read back this key's rows
        # still waiting for their e-mail (a concurrent sender's rows are claimed, not doubled).
        ids = list(
            outbox.pending()
            .filter(key=key, user__in=[n.user for n in fresh])
            .values_list("pk", flat=True)
        )
        if ids:
            # Robust: the rows are committed and swept up later, whatever the broker says.
            transaction.on_commit(lambda: outbox.enqueue(ids), robust=True)
    return fresh


def _day_end(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def digest_key(day: dt.date) -> str:
    return f"digest:{day.isoformat()}"


@transaction.atomic
def _gather(users: list[User], **item) -> list[Notification]:
    """Add one routine item to each user's digest of today (made with the first item)."""
    users = sorted(users, key=lambda u: u.pk)  # rows inserted and locked in one order
    day = timezone.localdate()
    key = digest_key(day)
    title = _("例行通知汇总：%(day)s") % {
        "day": _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}
    }
    Notification.objects.bulk_create(
        [
            Notification(
                user=u, kind=Kind.DIGEST, key=key, link=reverse("notifications"),
                title=title,
                reason=_("截止提醒、逾期、上报和抽查任务等例行通知每天汇总为一条"),
                email_to=_email_to(u), email_after=_day_end(day),
            )
            for u in users
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    # Locked, so two senders adding to one digest (or the sweep claiming it) take turns and
    # each recount sees the other's items.
    digests = dict(
        Notification.objects.select_for_update()
        .filter(user__in=users, key=key)
        .order_by("pk")
        .values_list("user_id", "pk")
    )
    fresh = [Notification(user=u, digest_id=digests[u.pk], **item) for u in users]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    for digest_id in digests.values():
        _recount(digest_id)
    return fresh


def _recount(digest_id: int) -> None:
    """The digest's body lists its items' titles; a new item makes it unread again."""
    titles = list(
        Notification.objects.filter(digest_id=digest_id)
        .order_by("created_at", "pk")
        .values_list("title", flat=True)
    )
    lines = [_("共 %(n)d 条：") % {"n": len(titles)}, *(f"· {t}" for t in titles)]
    Notification.objects.filter(pk=digest_id).update(body="\n".join(lines), read_at=None)


def inbox(user) -> QuerySet[Notification]:
    """The bell's messages, newest first: urgent ones and digests, each digest with its
    items (oldest first)."""
    return Notification.objects.filter(user=user, digest__isnull=True).prefetch_related(
        Prefetch("items", queryset=Notification.objects.order_by("created_at", "pk"))
    )


def users_with_role(
    *,
    role: str | tuple[str, ...],
    region_code: str | tuple[str, ...],
    department: str | tuple[str, ...] | None = None,
) -> list[User]:
    """Active users holding `role` (one, or any of several) exactly on this region node (e.g.
    the county's officers) or any of several, optionally of one department or any of several;
    each user once."""
    roles = (role,) if isinstance(role, str) else role
    regions = (region_code,) if isinstance(region_code, str) else region_code
    grants = RoleGrant.objects.filter(role__in=roles, region_id__in=regions, user__is_active=True)
    if department:
        departments = (department,) if isinstance(department, str) else department
        grants = grants.filter(department__in=departments)
    users = {g.user.pk: g.user for g in grants.select_related("user").order_by("user_id")}
    return list(users.values())


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark the user's unread notifications read (one with `pk`, else all); returns how many
    of the bell's messages that was (a digest counts once, its items not at all).

    A conditional UPDATE, so a notification read twice keeps its first time. Reading an item
    of a digest opens the digest: it is read too. The bell page and the API both mark
    through here.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    now = timezone.now()
    if pk is None:
        unread.filter(digest__isnull=False).update(read_at=now)
        return unread.filter(digest__isnull=True).update(read_at=now)
    digest_id = (
        Notification.objects.filter(user=user, pk=pk).values_list("digest_id", flat=True).first()
    )
    if digest_id is not None:
        unread.filter(pk=digest_id).update(read_at=now)
    return unread.filter(pk=pk).update(read_at=now)


def unread_count(user) -> int:
    """The bell's number: a digest is one message, however many items it lists."""
    return Notification.objects.filter(user=user, read_at__isnull=True, digest__isnull=True).count()
