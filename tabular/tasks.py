"""Background steps of a spreadsheet import or export. Thin: they take an id and call the
service. The names are the ones queued messages and the beat schedule have carried since
these tasks lived in institutions/."""

from celery import shared_task
from django.utils import translation

from . import export_runs, resume, runs


@shared_task(
    name="institutions.tasks.import_run_check_task", acks_late=True, reject_on_worker_lost=True
)
def import_run_check_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        runs.import_run_check(run_id=run_id)


@shared_task(
    name="institutions.tasks.import_run_write_task", acks_late=True, reject_on_worker_lost=True
)
def import_run_write_task(run_id: int) -> None:
    with translation.override("zh-hans"):
        runs.import_run_write(run_id=run_id)


@shared_task(name="institutions.tasks.export_run_task", acks_late=True, reject_on_worker_lost=True)
def export_run_task(run_id: int) -> None:
    """A ledger exported in the background; the claim makes a redelivery do nothing."""
    with translation.override("zh-hans"):
        export_runs.export_run_execute(run_id=run_id)


@shared_task(name="institutions.tasks.resume_runs_task")
def resume_runs_task() -> dict:
    """Every few minutes: runs whose task the broker lost (written while Redis was down)."""
    return resume.runs_resume()
