"""Import runs: upload → check (preview) → confirm → write, each step recorded.

Small files are checked and written inside the request; large ones by a Celery worker,
with progress on the run so the page can be left and come back to. Each step claims the
run with a conditional UPDATE, so a redelivered task or a double click does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent

from .importer import Importer, ImportFileError
from .models import ImportRun
from .reading import CellError
from .specs import import_spec
from .upload import CheckedUpload, check_upload

logger = logging.getLogger(__name__)

# A check still running after this long lost its worker; a redelivered task takes it over.
STALE_CLAIM = dt.timedelta(minutes=15)
# Files up to this size are handled inside the request; larger ones go to a worker.
INLINE_LIMIT_BYTES = 256 * 1024


def importer_for(run: ImportRun, *, progress=None) -> Importer:
    """The run's kind's importer (specs.py: each register registers its kind)."""
    return import_string(import_spec(run.kind).importer)(actor=run.created_by, progress=progress)


@transaction.atomic
def import_run_create(*, actor, kind: str, file_name: str, data: bytes) -> ImportRun:
    """Check the upload itself (size, type, bombs) and keep it. Raises ValidationError."""
    if import_spec(kind) is None:
        raise ValidationError(_("未知的导入类型"))
    checked = check_upload(file_name, data)
    run = ImportRun(
        kind=kind,
        created_by=actor,
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    run.file.save(f"{run.file_sha256[:16]}.{checked.kind}", ContentFile(data), save=False)
    run.save()
    return run


def _upload_of(run: ImportRun) -> CheckedUpload:
    with run.file.open("rb") as handle:
        data = handle.read()
    return check_upload(run.file_name, data)


def _progress_saver(run_id: int):
    def save(done: int, total: int) -> None:
        ImportRun.objects.filter(pk=run_id).update(processed_rows=done)

    return save


def import_run_check(*, run_id: int) -> ImportRun | None:
    """Dry run: parse, validate, plan. Writes nothing but the run's report."""
    return purge_upload(_check(run_id))


def import_run_write(*, run_id: int) -> ImportRun | None:
    """Re-check the file against today's data and write it all in one transaction, or nothing."""
    return purge_upload(_write(run_id))


def purge_upload(run: ImportRun | None) -> ImportRun | None:
    """For a kind whose uploads hold personal data in clear (`ImportSpec.purge_upload`): the
    file goes once the run no longer needs it — done, failed, or with errors (the user must
    upload a corrected file anyway). Kept only between a clean check and the confirmed write."""
    if run is None or not run.file or not import_spec(run.kind).purge_upload:
        return run
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED) or run.error_count:
        purge_upload_now(run)
    return run


def purge_upload_now(run: ImportRun) -> None:
    """Delete the stored file and forget its name (also a dry run's, never confirmed)."""
    if run.file:
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")


def _check(run_id: int) -> ImportRun | None:
    now = timezone.now()
    claimed = (
        ImportRun.objects.filter(pk=run_id)
        .filter(
            Q(status=ImportRun.Status.PENDING)
            | Q(status=ImportRun.Status.CHECKING, claimed_at__lt=now - STALE_CLAIM)
        )
        .update(status=ImportRun.Status.CHECKING, claimed_at=now)
    )
    if not claimed:
        return None
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    importer = importer_for(run, progress=_progress_saver(run.pk))
    try:
        plan = importer.plan(_upload_of(run))
        run.total_rows = run.processed_rows = plan.total_rows
        run.created_count = len(plan.creates)
        run.updated_count = len(plan.updates)
        run.unchanged_count = plan.unchanged
        run.error_count = plan.error_rows
        run.report = plan.report(importer.describe)
        run.status = ImportRun.Status.CHECKED
        with transaction.atomic():  # a refused save must not poison an outer transaction
            run.save()
    except BaseException as exc:  # noqa: BLE001 - a claimed run must never stay "checking"
        _fail_unexpected(run, exc)
    return run


def import_run_confirm(*, run: ImportRun, actor) -> bool:
    """Mark a checked, error-free run for writing. False when it is not in that state."""
    if run.error_count:
        return False
    if not run.file or not run.file.storage.exists(run.file.name):
        # Purged after its keeping time, or lost with a volume: say so, rather than fail
        # later on a missing file.
        if run.status == ImportRun.Status.CHECKED:
            _fail(
                run,
                _("上传的文件已不在服务器上（超过保存期限或已被清理），未写入任何数据，请重新上传"),
            )
        return False
    return bool(
        ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.CHECKED, error_count=0).update(
            # claimed_at: when the write was asked for, so a lost task is found and re-sent
            # (tabular/resume.py).
            status=ImportRun.Status.WRITING,
            processed_rows=0,
            claimed_at=timezone.now(),
        )
    )


def _write(run_id: int) -> ImportRun | None:
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != ImportRun.Status.WRITING:
        return None
    importer = importer_for(run, progress=_progress_saver(run.pk))
    try:
        with transaction.atomic():
            # Lock the run: a second worker with the same task waits here, then sees DONE.
            locked = ImportRun.objects.select_for_update().get(pk=run_id)
            if locked.status != ImportRun.Status.WRITING:
                return None
            plan = importer.plan(_upload_of(run))
            if not plan.ok:
                raise ImportFileError(
                    _("确认后数据已发生变化，重新检查发现 %(n)d 行有错误，未写入任何数据")
                    % {"n": plan.error_rows}
                )
            importer.write(plan)
            locked.report = {**locked.report, **importer.outcome()}
            locked.status = ImportRun.Status.DONE
            locked.finished_at = timezone.now()
            locked.total_rows = locked.processed_rows = plan.total_rows
            locked.created_count = len(plan.creates)
            locked.updated_count = len(plan.updates)
            locked.unchanged_count = plan.unchanged
            locked.save()
    except BaseException as exc:  # noqa: BLE001 - the transaction rolled back; say why
        run.refresh_from_db()
        _fail_unexpected(run, exc)
        return run
    audit_log(
        kind=AuditEvent.Kind.IMPORT,
        actor=run.created_by,
        obj=run,
        detail={
            "kind": run.kind,
            "sha256": run.file_sha256,
            "created": locked.created_count,
            "updated": locked.updated_count,
            "unchanged": locked.unchanged_count,
        },
    )
    return locked


def _fail_unexpected(run: ImportRun, exc: BaseException) -> None:
    """Mark the run failed with a reason the user can act on; re-raise interpreter exits."""
    if isinstance(exc, ImportFileError | CellError | ValidationError):
        _fail(run, _message(exc))
        return
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        _fail(run, _("处理被中断，未写入任何数据，请重新上传"))
        raise exc
    if isinstance(exc, IntegrityError):
        _fail(
            run,
            _(
                "写入时与其他同时进行的修改冲突（如同一统一社会信用代码刚被登记），未写入任何数据，请重新上传检查"
            ),
        )
        return
    if isinstance(exc, DataError):
        _fail(run, _("有数值超出系统允许的范围，未写入任何数据"))
        return
    logger.exception("import run %s failed", run.pk, exc_info=exc)
    _fail(run, _("文件无法处理（%(error)s），未写入任何数据") % {"error": type(exc).__name__})


def _fail(run: ImportRun, message: str) -> None:
    run.status = ImportRun.Status.FAILED
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)
