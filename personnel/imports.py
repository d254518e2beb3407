"""Staff lists' and check results' import kinds: the shared flow's pages and runs (tabular),
told what differs; and the hourly purge of uploads never confirmed.

A staff list carries ID numbers in clear, so the upload is kept only while it is needed:
between a clean check and the confirmed write (`ImportSpec.purge_upload`). A run that failed,
was written, or has errors (the user must upload a corrected file anyway) loses its file at
once.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tabular import runs
from tabular.models import ImportRun
from tabular.specs import UNCHANGED, UPDATED, Column, Count, ImportSpec, Preview

STAFF = "staff"
CHECK_RESULTS = "check_results"
KINDS = (STAFF, CHECK_RESULTS)

_PREVIEW = Preview(
    "both",
    (
        Column(gettext_lazy("姓名"), "name"),
        Column(gettext_lazy("身份证号"), "id_number", code=True),
        Column(gettext_lazy("机构"), "institution"),
    ),
    title=gettext_lazy("预览"),
    testid="preview-table",
    changes=True,
)
_SHARED = {
    "namespace": "personnel",
    "permissions": ("staff.view",),
    "help_after": (
        gettext_lazy(
            "系统先检查并预览，确认之前不会写入任何数据；确认后一次性全部写入。上传的文件在导入完成或失败后即删除。"
        ),
    ),
    "previews": (_PREVIEW,),
    "purge_upload": True,
}
STAFF_SPEC = ImportSpec(
    kind=STAFF,
    importer="personnel.importers.StaffImporter",
    title=gettext_lazy("导入从业人员"),
    heading=gettext_lazy("从表格导入从业人员"),
    help=(
        gettext_lazy("下载导入模板，按表头填写（带 * 的列必填）；身份证号一列请设为文本。"),
        gettext_lazy(
            "同一身份证号再次导入时更新原记录；人员调到另一机构时按身份证号识别，更新所在机构。"
        ),
    ),
    import_permissions=("staff.change",),
    sample="personnel.exporters.staff_template_xlsx",
    sample_file="从业人员导入模板.xlsx",
    tabs=("personnel/_tabs.html", "staff"),
    done_link=(gettext_lazy("查看人员名录"), "personnel:list"),
    **_SHARED,
)
RESULTS_SPEC = ImportSpec(
    kind=CHECK_RESULTS,
    importer="personnel.importers.CheckResultImporter",
    title=gettext_lazy("导入犯罪记录查询结果"),
    heading=gettext_lazy("导入犯罪记录查询结果"),
    help=(
        gettext_lazy(
            "在查询批次中导出申请表，填写查询日期、查询单位、查询编号、查询结果和不得从业情形后上传；也可下载结果模板填写。"
        ),
        gettext_lazy(
            "按申请编号对应到人员；有犯罪记录且属于不得从业情形的，确认后自动下达清退任务。"
        ),
    ),
    may_import="personnel.selectors.can_record",
    sample="personnel.exporters.result_template_xlsx",
    sample_file="犯罪记录查询结果模板.xlsx",
    upload_name="result_import",
    sample_name="result_template",
    sample_label=gettext_lazy("下载结果模板"),
    tabs=("personnel/_tabs.html", "checks"),
    done_link=(gettext_lazy("查看清退任务"), "personnel:dismissals"),
    counts=(Count("count-created", gettext_lazy("行数"), "total_rows"), UPDATED, UNCHANGED),
    **_SHARED,
)

run_check = runs.import_run_check
run_write = runs.import_run_write
purge_upload_now = runs.purge_upload_now


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
