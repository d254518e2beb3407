"""Staff and check-result import runs: the shared pipeline, plus deleting the uploaded file.

A staff list carries ID numbers in clear, so the upload is kept only while it is needed:
between a clean check and the confirmed write. A run that failed, was written, or has
errors (the user must upload a corrected file anyway) loses its file at once.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from institutions.models import ImportRun
from institutions.tabular import runs
from institutions.tabular.resume import import_step_later

STAFF = "staff"
CHECK_RESULTS = "check_results"
KINDS = (STAFF, CHECK_RESULTS)


def purge_upload(run: ImportRun | None) -> None:
    if run is None or not run.file:
        return
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED) or run.error_count:
        purge_upload_now(run)


def purge_upload_now(run: ImportRun) -> None:
    """Delete the stored file (a dry run from the shell is never confirmed)."""
    if run.file:
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")


# Not yet confirmed: the file waits for its uploader. A confirmed run (writing) keeps it.
UNCONFIRMED = (ImportRun.Status.PENDING, ImportRun.Status.CHECKING, ImportRun.Status.CHECKED)


def purge_stale_staff_uploads(
    older_than: dt.timedelta = dt.timedelta(hours=24), *, now=None
) -> int:
    """Delete the stored files of staff and check-result runs uploaded more than
    `older_than` ago and never confirmed (they hold ID numbers in clear). The run row
    stays, failed, with a note saying why; a run being written is left alone.

    Returns how many files were deleted. For the hourly clock and `purge_staff_uploads`.
    """
    now = now or timezone.now()
    hours = max(int(older_than.total_seconds() // 3600), 1)
    with translation.override("zh-hans"):
        note = _(
            "上传后 %(hours)d 小时内未确认导入，文件（含完整身份证号）已删除；如需导入请重新上传"
        ) % {"hours": hours}
    stale = (
        ImportRun.objects.filter(kind__in=KINDS, created_at__lt=now - older_than)
        .exclude(file="")
        .exclude(status=ImportRun.Status.WRITING)
        .only("pk", "file", "status")
    )
    purged = 0
    for run in stale.iterator():
        name, storage = run.file.name, run.file.storage
        rows = ImportRun.objects.filter(pk=run.pk, status=run.status).exclude(file="")
        if run.status in UNCONFIRMED:
            # Conditional on the status read: a run confirmed meanwhile keeps its file.
            changed = rows.update(
                file="", status=ImportRun.Status.FAILED, message=note, finished_at=now
            )
        else:
            changed = rows.update(file="")  # done or failed: the file should be gone already
        if changed:
            storage.delete(name)
            purged += 1
    return purged


def run_create(*, actor, kind: str, file_name: str, data: bytes) -> ImportRun:
    assert kind in KINDS
    return runs.import_run_create(actor=actor, kind=kind, file_name=file_name, data=data)


def run_check(*, run_id: int) -> ImportRun | None:
    run = runs.import_run_check(run_id=run_id)
    purge_upload(run)
    return run


def run_write(*, run_id: int) -> ImportRun | None:
    run = runs.import_run_write(run_id=run_id)
    purge_upload(run)
    return run


def check_now_or_later(run: ImportRun) -> None:
    if run.file.size <= runs.INLINE_LIMIT_BYTES:
        run_check(run_id=run.pk)
    else:
        import_step_later(run, "check")


def write_now_or_later(run: ImportRun) -> None:
    if run.file.size <= runs.INLINE_LIMIT_BYTES:
        run_write(run_id=run.pk)
    else:
        import_step_later(run, "write")


def run_list(*, user):
    """A run is its uploader's own: it shows rows of a file only they sent."""
    return ImportRun.objects.filter(created_by=user, kind__in=KINDS).select_related("created_by")
