"""Background work that the broker lost: import and export runs re-sent to a worker.

A run is written before its task is published (after commit). When Redis is down the
publish fails — the request still answers (`accounts.outbox.publish`), the run is kept —
and this sweep, every few minutes in the beat's schedule, sends the task again for runs
left waiting (each at most every RESEND_EVERY, so a queue that is merely slow does not
fill with copies). Every step claims its run (conditional UPDATE, or a row lock for the write),
so a task sent twice does its work once.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError

from .models import ExportRun, ImportRun
from .runs import STALE_CLAIM

# A run this old that no worker has taken was never delivered.
WAITING = dt.timedelta(minutes=2)
# A run's task is sent again at most this often: while the workers are behind, a run still
# waiting in the queue would otherwise gain a copy of its task at every sweep.
RESEND_EVERY = dt.timedelta(minutes=15)

# Every kind's background steps (tabular/tasks.py; the run functions delete a personal upload
# where its kind's spec says so). personnel and complaints still answer to their former
# task names, for messages queued before.
_CHECK_TASK = "institutions.tasks.import_run_check_task"
_WRITE_TASK = "institutions.tasks.import_run_write_task"
_EXPORT_TASK = "institutions.tasks.export_run_task"


def _publish(task_name: str, run_id: int) -> bool:
    from celery import current_app

    from accounts.outbox import publish

    return publish(current_app.signature(task_name), run_id)


def _resend(task_name: str, run_id: int, created_at: dt.datetime) -> bool:
    """Send a run's task again unless it was sent again less than RESEND_EVERY ago."""
    # The creation time is in the key: a database recreated under the same name (a restore,
    # a test run) numbers its runs from 1 again, and its run 1 is not the run sent before.
    stamp = int(created_at.timestamp() * 1_000_000)
    key = f"runs-resume:{connection.settings_dict['NAME']}:{task_name}:{run_id}:{stamp}"
    try:
        if not cache.add(key, 1, timeout=int(RESEND_EVERY.total_seconds())):
            return False
    except RedisError:
        pass  # Redis down: the publish below fails as well, and the next sweep tries again
    if _publish(task_name, run_id):
        return True
    with contextlib.suppress(RedisError):
        cache.delete(key)
    return False


def publish_after_commit(task_name: str, run_id: int) -> None:
    """Ask a worker for this run once the transaction commits; a dead broker is left to
    the sweep."""
    # Robust: the run is committed and the sweep re-sends it; nothing here may fail the request.
    transaction.on_commit(lambda: _publish(task_name, run_id), robust=True)


def import_step_later(run: ImportRun, step: str) -> None:
    publish_after_commit(_CHECK_TASK if step == "check" else _WRITE_TASK, run.pk)


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
    for run in checks.only("pk", "created_at"):
        sent["checks"] += _resend(_CHECK_TASK, run.pk, run.created_at)
    for run in writes.only("pk", "created_at"):
        sent["writes"] += _resend(_WRITE_TASK, run.pk, run.created_at)
    for pk, created_at in exports.values_list("pk", "created_at"):
        sent["exports"] += _resend(_EXPORT_TASK, pk, created_at)
    return sent
