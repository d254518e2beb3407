"""Sending notifications: in the bell, and by e-mail when the user has an address.

Idempotent by key: a (user, key) pair is stored once, so an action or a job that runs twice
notifies once. E-mail goes out after the transaction commits, and only for new rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

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
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    addresses = [n.user.email for n in fresh if n.user.email]
    if addresses:
        transaction.on_commit(
            lambda: send_mail(
                title,
                f"{body}\n\n{reason}",
                settings.DEFAULT_FROM_EMAIL,
                addresses,
                fail_silently=True,
            )
        )
    return fresh


def users_with_role(*, role: str, region_code: str, department: str | None = None) -> list[User]:
    """Active users holding `role` exactly on this region node (e.g. the county's officers)."""
    grants = RoleGrant.objects.filter(role=role, region_id=region_code, user__is_active=True)
    if department:
        grants = grants.filter(department=department)
    return [g.user for g in grants.select_related("user")]


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
