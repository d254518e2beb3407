"""Celery tasks of the clock: thin. The beat's hourly `tick` enqueues one run per active
campaign; `run_campaign` runs that campaign's jobs (clock/jobs.py).

Both take ids and a moment as text, never objects. Late acknowledgement with
reject-on-worker-lost redelivers a task whose worker died; the jobs' claims make the
redelivery harmless. A dropped database connection is retried with backoff.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from campaign.models import Campaign
from institutions.account_batches import batch_sheets_purge
from onboarding.passwords import password_sheets_purge
from personnel.imports import purge_stale_staff_uploads
from tabular.export_runs import export_runs_purge

from . import jobs

RELIABLE = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="clock.tasks.tick", **RELIABLE)
def tick(self, now: str | None = None) -> int:
    """The beat's entry: one `run_campaign` per active campaign, all at the same moment, so a
    redelivered tick claims the same keys."""
    moment = now or timezone.now().isoformat()
    ids = list(Campaign.objects.filter(is_active=True).values_list("pk", flat=True))
    for campaign_id in ids:
        enqueue_campaign_jobs(campaign_id, now=moment)
    # Robust: a broker error is logged, not the tick's; a lost purge is the next hour's.
    transaction.on_commit(purge_uploads.delay, robust=True)
    return len(ids)


@shared_task(name="clock.tasks.purge_uploads", **RELIABLE)
def purge_uploads(self) -> int:
    """Hourly: staff and check-result sheets (whole ID numbers) left unconfirmed for a day
    lose their file (personnel/imports.py); background ledger exports past their 7 days
    lose file and row (tabular/export_runs.py); imported accounts' initial passwords left
    undownloaded for a day are wiped (onboarding/passwords.py), and so are those of institution
    accounts opened in bulk (institutions/account_batches.py)."""
    export_runs_purge()
    password_sheets_purge()
    batch_sheets_purge()
    return purge_stale_staff_uploads()


@shared_task(name="clock.tasks.run_campaign", **RELIABLE)
def run_campaign(self, campaign_id: int, now: str | None = None) -> dict:
    campaign = (
        Campaign.objects.filter(pk=campaign_id, is_active=True).select_related("province").first()
    )
    if campaign is None:
        return {}
    moment = jobs.parse_moment(now) if now else timezone.now()
    return vars(jobs.run_campaign_jobs(campaign=campaign, now=moment))


def enqueue_campaign_jobs(campaign_id: int, *, now: str | None = None, **options) -> None:
    """Queue a campaign's run once the current transaction commits (at once outside one).
    `options` go to apply_async (e.g. a queue)."""
    # Robust: a broker error is logged, never raised into the committed caller; a lost run
    # is the next hourly tick's, and the jobs' claims make the catch-up harmless.
    transaction.on_commit(
        lambda: run_campaign.apply_async(args=[campaign_id], kwargs={"now": now}, **options),
        robust=True,
    )
