"""Sending notifications: in the bell, and by e-mail when the user has an address.

Idempotent by key: a (user, key) pair is stored once, so an action or a job that runs twice
notifies once. Each new row carries its e-mail in the outbox (accounts/outbox.py): written in the caller's
transaction, handed to a worker after the commit, swept up later if the broker was down.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from . import outbox
from .models import Notification, RoleGrant, User


def notify(*, users: Iterable[User], kind: str, title: str, body: str = "", link: str = "",
           reason: str = "", key: str) -> list[Notification]:  # fmt: skip
    users = list({u.pk: u for u in users if u.is_active}.values())
    already = set(
        Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
    )
    fresh = [
        Notification(user=u, kind=kind, title=title, body=body, link=link, reason=reason, key=key)
        for u in users
        if u.pk not in already
    ]
    for notification in fresh:
        notification.email_to = notification.user.email
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
    """Mark the user's unread notifications read (one with `pk`, else all); returns how many.

    A conditional UPDATE, so a notification read twice keeps its first time. The bell page
    and the API both mark through here.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
