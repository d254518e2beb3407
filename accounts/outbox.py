"""The e-mail outbox: notification e-mails leave from rows, never from memory.

`notify` writes each notification with its address in the caller's transaction. After the
commit it asks a worker to send them (`enqueue`); when the broker is down that request is
dropped with a warning and nothing else: the rows are still pending, and the periodic
sweep (`accounts.tasks.sweep_outbox`, in the beat's schedule) sends them once Redis and a
worker are back. Every sender claims a row with a conditional UPDATE before sending, so a
task and a sweep, or two workers, never send the same row twice. A worker killed between
sending and marking the row sent leaves a claim that expires after `LEASE`; the row is
then sent again (at least once, as any mail relay is).

A day's digest of routine notifications (accounts/notifications.py) waits in the outbox
until `email_after`, the end of its day; the sweep then sends it once, its text written at
sending from every item of the day.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
SWEEP_BATCH = 500


def pending() -> QuerySet[Notification]:
    """Rows whose e-mail still has to go out, is due, and that no live sender holds."""
    now = timezone.now()
    return (
        Notification.objects.filter(email_sent_at__isnull=True, email_attempts__lt=MAX_ATTEMPTS)
        .exclude(email_to="")
        .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
        .filter(Q(email_after__isnull=True) | Q(email_after__lte=now))
    )


def address_now(user) -> str:
    """Where the user's e-mail goes now: their address, if the account is active and they
    chose e-mail as well as the bell; else nothing."""
    return user.email if user.is_active and user.notify_by_email else ""


def _claim(pk: int) -> bool:
    now = timezone.now()
    # The conditional UPDATE is the lock: of two senders, one moves the lease, the other
    # matches no row.
    return (
        pending()
        .filter(pk=pk)
        .update(email_claimed_until=now + LEASE, email_attempts=F("email_attempts") + 1)
        == 1
    )


def _digest_text(digest: Notification) -> str:
    """Every item of the day: its title, text, reason and link."""
    blocks = []
    for n, item in enumerate(digest.items.order_by("created_at", "pk"), start=1):
        lines = [f"{n}. {item.title}", item.body, item.reason and _("收到原因：") + item.reason,
                 item.link and _("链接：") + item.link]  # fmt: skip
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks)


def _send(notification: Notification) -> None:
    text = (
        _digest_text(notification)
        if notification.kind == Notification.Kind.DIGEST
        else notification.body
    )
    body = "\n\n".join(part for part in (text, notification.reason) if part)
    EmailMessage(
        subject=notification.title,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email_to],
    ).send()


def deliver(ids: list[int] | None = None) -> int:
    """Send the pending e-mails among `ids` (all pending ones when None); return how many
    were sent here. A failed send is retried by a later sweep, with a growing wait."""
    candidates = pending().order_by("created_at", "pk")
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    sent = 0
    for pk in list(candidates.values_list("pk", flat=True)[:SWEEP_BATCH]):
        if not _claim(pk):
            continue
        notification = Notification.objects.select_related("user").get(pk=pk)
        address = address_now(notification.user)
        if not address:
            # Since it was written the user chose in-app only, lost the address, or the account
            # was switched off: no e-mail, and none retried (the bell keeps the message).
            Notification.objects.filter(pk=pk).update(email_to="", email_claimed_until=None)
            continue
        # A day's digest is written in the morning and leaves at night: to today's address.
        notification.email_to = address
        try:
            _send(notification)
        except Exception:  # noqa: BLE001 — any mail failure: keep the row, retry later
            wait = LEASE * 2 ** min(notification.email_attempts, 6)
            Notification.objects.filter(pk=pk).update(email_claimed_until=timezone.now() + wait)
            if notification.email_attempts >= MAX_ATTEMPTS:
                # No sweep takes it again: say so loudly (the bell still holds it).
                logger.error(
                    "notification e-mail %s gave up after %d attempts",
                    pk, notification.email_attempts, exc_info=True,
                )  # fmt: skip
            else:
                logger.warning("notification e-mail %s not sent, retried later", pk, exc_info=True)
            continue
        Notification.objects.filter(pk=pk).update(
            email_sent_at=timezone.now(), email_claimed_until=None, email_to=address
        )
        sent += 1
    return sent


def enqueue(ids: list[int]) -> None:
    """Ask a worker to send these rows now; with the broker down, leave them to the sweep."""
    from .tasks import send_notification_emails

    if not publish(send_notification_emails, ids):
        logger.warning("broker unavailable: %d notification e-mail(s) wait for the sweep", len(ids))


def publish(task, *args, **options) -> bool:
    """`task.apply_async(args)`, False instead of an error when the broker is down.

    For code that runs after a commit in a request: the publish is bounded by the broker's
    connect timeout and publish retry policy (config/settings.py), so a dead Redis costs the
    request a moment, not a hang and never an error. The caller must have the work written
    down somewhere a sweep finds it (here: the outbox rows)."""
    try:
        task.apply_async(args=list(args), **options)
    except BROKER_ERRORS:
        return False
    return True


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import KombuError

    errors: list[type[BaseException]] = [KombuError, OSError]
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover — the demo runs without redis-py's broker
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


BROKER_ERRORS = _broker_errors()
