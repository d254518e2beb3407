"""Background steps of a large staff or check-result import, under the names messages queued
before the one flow carry; new runs go to tabular/tasks.py. Thin: an id in, a service called."""

from celery import shared_task
from django.utils import translation

from . import imports


@shared_task(acks_late=True, reject_on_worker_lost=True)
def staff_run_check_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        imports.run_check(run_id=run_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def staff_run_write_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        imports.run_write(run_id=run_id)
