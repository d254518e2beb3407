"""Background steps of the register. Thin: they take an id and call the service."""

from celery import shared_task
from django.utils import translation

from . import account_batches


@shared_task(
    name="institutions.tasks.account_batch_task", acks_late=True, reject_on_worker_lost=True
)
def account_batch_task(batch_id: int) -> None:
    """批量开通机构账号; the claim makes a redelivery do nothing."""
    with translation.override("zh-hans"):
        account_batches.account_batch_run(batch_id=batch_id)
