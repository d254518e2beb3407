"""Celery tasks of accounts: thin wrappers over the e-mail outbox (accounts/outbox.py)."""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(name="accounts.tasks.send_notification_emails", acks_late=True,
             reject_on_worker_lost=True, ignore_result=True)  # fmt: skip
def send_notification_emails(ids: list[int]) -> int:
    return outbox.deliver(ids)


@shared_task(name="accounts.tasks.sweep_outbox", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)  # fmt: skip
def sweep_outbox() -> int:
    """Every minute (beat): whatever is still pending, e.g. written while Redis was down, and
    each digest of routine notifications once its day is over (accounts/notifications.py)."""
    return outbox.deliver()
