"""Complaint sheet import runs: the shared pipeline, plus deleting the uploaded sheet.

A hotline sheet carries reporters' names and phone numbers in clear, so the upload is kept
only while it is needed: between a clean check and the confirmed write. A run that failed,
was written, or has errors (the user must upload a corrected file anyway) loses its file at
once; so does a dry run (`purge_upload_now`). As personnel/imports.py does for staff lists.
"""

from __future__ import annotations

from institutions.models import ImportRun
from institutions.tabular import runs
from institutions.tabular.resume import import_step_later

from .importer import KIND


def purge_upload(run: ImportRun | None) -> None:
    if run is None or not run.file:
        return
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED) or run.error_count:
        purge_upload_now(run)


def purge_upload_now(run: ImportRun) -> None:
    """Delete the stored file and forget its name."""
    if run.file:
        run.file.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(file="")


def run_create(*, actor, file_name: str, data: bytes) -> ImportRun:
    return runs.import_run_create(actor=actor, kind=KIND, file_name=file_name, data=data)


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
