"""Staff and check-result import runs: the shared pipeline, plus deleting the uploaded file.

A staff list carries ID numbers in clear, so the upload is kept only while it is needed:
between a clean check and the confirmed write. A run that failed, was written, or has
errors (the user must upload a corrected file anyway) loses its file at once.
"""

from __future__ import annotations

from django.db import transaction

from institutions.models import ImportRun
from institutions.tabular import runs

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
        from .tasks import staff_run_check_task

        transaction.on_commit(lambda: staff_run_check_task.delay(run.pk))


def write_now_or_later(run: ImportRun) -> None:
    if run.file.size <= runs.INLINE_LIMIT_BYTES:
        run_write(run_id=run.pk)
    else:
        from .tasks import staff_run_write_task

        transaction.on_commit(lambda: staff_run_write_task.delay(run.pk))


def run_list(*, user):
    """A run is its uploader's own: it shows rows of a file only they sent."""
    return ImportRun.objects.filter(created_by=user, kind__in=KINDS).select_related("created_by")
