"""Background steps of a spreadsheet import. Thin: they take an id and call the service."""

from celery import shared_task
from django.utils import translation

from .tabular import runs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_run_check_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        runs.import_run_check(run_id=run_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_run_write_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        runs.import_run_write(run_id=run_id)
