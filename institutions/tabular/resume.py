"""Background work that the broker lost: import and export runs re-sent to a worker.

A run is written before its task is published (after commit). When Redis is down the
publish fails — the request still answers (`accounts.outbox.publish`), the run is kept —
and this sweep, every few minutes in the beat's schedule, sends the task again for runs
left waiting. Every step claims its run (conditional UPDATE, or a row lock for the write),
so a task sent twice does its work once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import ExportRun, ImportRun
from .runs import STALE_CLAIM

# A run this old that no worker has taken was never delivered.
WAITING = dt.timedelta(minutes=2)

# Each import kind's background steps, by task name: personnel and complaints keep their
# own run functions (they purge the upload after writing) and import this package.
_IMPORT_TASKS = {
    ImportRun.Kind.INSTITUTIONS: ("institutions.tasks.import_run_check_task",
                                  "institutions.tasks.import_run_write_task"),
    ImportRun.Kind.FEES: ("institutions.tasks.import_run_check_task",
                          "institutions.tasks.import_run_write_task"),
    ImportRun.Kind.STAFF: ("personnel.tasks.staff_run_check_task",
                           "personnel.tasks.staff_run_write_task"),
    ImportRun.Kind.CHECK_RESULTS: ("personnel.tasks.staff_run_check_task",
                                   "personnel.tasks.staff_run_write_task"),
    ImportRun.Kind.COMPLAINTS: ("complaints.tasks.complaint_run_check_task",
                                "complaints.tasks.complaint_run_write_task"),
}  # fmt: skip
_EXPORT_TASK = "institutions.tasks.export_run_task"


def _publish(task_name: str, run_id: int) -> bool:
    from celery import current_app

    from accounts.outbox import publish

    return publish(current_app.signature(task_name), run_id)


def publish_after_commit(task_name: str, run_id: int) -> None:
    """Ask a worker for this run once the transaction commits; a dead broker is left to
    the sweep."""
    transaction.on_commit(lambda: _publish(task_name, run_id))


def import_step_later(run: ImportRun, step: str) -> None:
    check, write = _IMPORT_TASKS[run.kind]
    publish_after_commit(check if step == "check" else write, run.pk)


def runs_resume(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-send the tasks of runs nobody is working on. Returns how many of each."""
    now = now or timezone.now()
    checks = ImportRun.objects.filter(
        Q(status=ImportRun.Status.PENDING, created_at__lt=now - WAITING)
        | Q(status=ImportRun.Status.CHECKING, claimed_at__lt=now - STALE_CLAIM)
    )
    # Confirm stamps `claimed_at`; a write still "writing" long after lost its task or its
    # worker. A second write task waits on the run's row lock and then finds it done.
    writes = ImportRun.objects.filter(
        status=ImportRun.Status.WRITING, claimed_at__lt=now - WAITING
    ).filter(Q(claimed_at__lt=now - STALE_CLAIM) | Q(processed_rows=0))
    exports = ExportRun.objects.filter(
        Q(status=ExportRun.Status.QUEUED, created_at__lt=now - WAITING)
        | Q(status=ExportRun.Status.RUNNING, claimed_at__lt=now - STALE_CLAIM)
    )
    sent = {"checks": 0, "writes": 0, "exports": 0}
    for run in checks.only("pk", "kind"):
        sent["checks"] += _publish(_IMPORT_TASKS[run.kind][0], run.pk)
    for run in writes.only("pk", "kind"):
        sent["writes"] += _publish(_IMPORT_TASKS[run.kind][1], run.pk)
    for pk in exports.values_list("pk", flat=True):
        sent["exports"] += _publish(_EXPORT_TASK, pk)
    return sent
