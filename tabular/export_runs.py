"""Ledgers exported in the background: create → run (a Celery worker) → download → purge.

A run stores who asked, which ledger (a key of reporting/ledgers.py) and the query string.
The worker builds the ledger with the same function as the direct download, from the
user's scope as it is when the run starts: a grant taken away meanwhile narrows the rows
or, when the ledger's permission is gone, fails the run with a reason. The run is claimed
with a conditional UPDATE, so a redelivered task finds nothing to do. The file is kept
for ExportRun.KEEP and then removed with the row by the hourly purge.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from core.logs import hiding_given

from . import registry
from .download import audit_export, export_file_name, export_format
from .models import ExportRun
from .resume import publish_after_commit

logger = logging.getLogger(__name__)

# A run still "running" this long after its claim or its last progress report lost its
# worker: take it again.
STALE_CLAIM = dt.timedelta(minutes=30)
PROGRESS_EVERY = 500


def _registry(key: str):
    # reporting owns the list of ledgers (registered at start-up); this only runs them.
    return registry.ledger_by_key(key)


def export_run_create(*, actor, ledger: str, query: str) -> ExportRun:
    """Queue a background export of `ledger` with these filters, or refuse with a reason.

    Unknown ledger or a bad filter → ValidationError (nothing created); a role without the
    ledger's permission → PermissionDenied. The same export already queued or running for
    this user is returned instead of a second one.
    """
    entry = _registry(ledger)
    if entry is None:
        raise ValidationError(_("没有这个台账"))
    scope = scope_for(actor)
    scope.require(entry.permission)
    entry.clean(scope=scope, query=query)
    with transaction.atomic():
        # A double click or a second tab: the same export still waiting or running is the
        # answer, not a second copy. The owner's row lock orders two such requests.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        busy = ExportRun.objects.filter(
            created_by=actor,
            ledger=entry.key,
            query=query,
            status__in=(ExportRun.Status.QUEUED, ExportRun.Status.RUNNING),
        ).first()
        if busy is not None:
            return busy
        run = ExportRun.objects.create(
            created_by=actor,
            ledger=entry.key,
            query=query,
            expires_at=timezone.now() + ExportRun.KEEP,
        )
        publish_after_commit("institutions.tasks.export_run_task", run.pk)
    return run


def export_run_claim(*, run_id: int) -> bool:
    """Take the run for this worker; False when another took it or it is finished."""
    now = timezone.now()
    return bool(
        ExportRun.objects.filter(pk=run_id)
        .filter(
            Q(status=ExportRun.Status.QUEUED)
            | Q(status=ExportRun.Status.RUNNING, claimed_at__lt=now - STALE_CLAIM)
        )
        .update(status=ExportRun.Status.RUNNING, claimed_at=now, rows_written=0)
    )


def export_run_execute(*, run_id: int, every: int = PROGRESS_EVERY) -> ExportRun | None:
    """Claim the run and write its file; None when there was nothing to do."""
    if not export_run_claim(run_id=run_id):
        return None
    run = ExportRun.objects.select_related("created_by").get(pk=run_id)
    # A failure logged here must not quote the filters the user typed (core/logs.py).
    given = QueryDict(run.query)
    with hiding_given(lambda: (v for _key, values in given.lists() for v in values)):
        try:
            _write(run, every)
        except BaseException as exc:  # noqa: BLE001 - a claimed run must never stay "running"
            _fail(run, _reason(run, exc))
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
    return run


def _write(run: ExportRun, every: int) -> None:
    user = run.created_by
    entry = _registry(run.ledger)
    if entry is None:
        raise ValidationError(_("没有这个台账"))
    if not user.is_active:
        raise PermissionDenied(_("账号已停用，导出未进行"))
    scope = scope_for(user)  # today's grants, never the ones held when the run was asked for
    if not scope.can(entry.permission):
        raise PermissionDenied(_("您已不再拥有导出该台账的权限，导出未进行"))
    params = QueryDict(run.query)
    exporter = entry.build(scope=scope, user=user, params=params)
    total = exporter.row_count()
    ExportRun.objects.filter(pk=run.pk).update(rows_total=total)

    fmt = export_format(params)
    written = 0

    def progress(n: int) -> None:
        nonlocal written
        written = n
        # Each report renews the claim: a run writing for longer than STALE_CLAIM is alive,
        # and only one whose reports stopped (a dead worker) is taken again.
        ExportRun.objects.filter(pk=run.pk).update(rows_written=n, claimed_at=timezone.now())

    with tempfile.TemporaryFile() as handle:
        if fmt == "csv":
            exporter.write_csv(handle, progress=progress, every=every)
        else:
            exporter.write_xlsx(handle, progress=progress, every=every)
        handle.seek(0)
        run.file_name = export_file_name(entry.basename, fmt)
        # A random stored name: the file is reached only through the owner's view anyway.
        run.file.save(f"{secrets.token_hex(16)}.{fmt}", File(handle), save=False)
    now = timezone.now()
    run.status = ExportRun.Status.DONE
    run.rows_written = written
    run.rows_total = written
    run.finished_at = now
    run.expires_at = now + ExportRun.KEEP
    run.message = ""
    run.save()
    audit_export(
        actor=user, key=entry.key, fmt=fmt, filters=params.dict(), run=run.pk, rows=written
    )


def _reason(run: ExportRun, exc: BaseException) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("您已不再拥有导出该台账的权限，导出未进行")
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        return _("导出被中断，请重新导出")
    logger.exception("export run %s failed", run.pk, exc_info=exc)
    return _("导出时发生错误（%(error)s），请稍后重试") % {"error": type(exc).__name__}


def _fail(run: ExportRun, message: str) -> None:
    if run.file:
        run.file.delete(save=False)
    ExportRun.objects.filter(pk=run.pk).update(
        status=ExportRun.Status.FAILED, message=message, finished_at=timezone.now(), file=""
    )
    run.refresh_from_db()


def export_runs_purge(*, now: dt.datetime | None = None) -> int:
    """Remove the runs past their keeping time, file first. Returns how many went."""
    now = now or timezone.now()
    gone = 0
    for run in ExportRun.objects.filter(expires_at__lte=now).iterator():
        if run.file:
            run.file.delete(save=False)
        gone += ExportRun.objects.filter(pk=run.pk).delete()[0]
    return gone


def export_run_list(*, user):
    """The user's own runs, newest first: nobody sees another's exports."""
    return ExportRun.objects.filter(created_by=user, expires_at__gt=timezone.now())
