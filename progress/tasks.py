"""The progress boards' Celery task: thin, like the clock's (clock/tasks.py)."""

from __future__ import annotations

from celery import shared_task

from campaign.models import Campaign
from clock.tasks import RELIABLE
from fees.figures import refresh_fee_figures

from . import dashboards


# The name is the one the beat schedule has stored since the task lived in clock/ (it is
# kept so a running beat and the queued messages keep working across the move).
@shared_task(name="clock.tasks.refresh_kept_figures", **RELIABLE)
def refresh_kept_figures(self) -> int:
    """Every 5 minutes: add up again the kept copies the progress boards read (core/kept.py),
    each active campaign's progress and its province's fees, before they are 10 minutes old,
    so no reader pays for it. Returns how many copies were refreshed."""
    campaigns = list(Campaign.objects.filter(is_active=True).select_related("province"))
    for campaign in campaigns:
        dashboards.refresh_summary(campaign)
    provinces = {campaign.province.prefix for campaign in campaigns}
    for province in sorted(provinces):
        refresh_fee_figures(province)
    return len(campaigns) + len(provinces)
