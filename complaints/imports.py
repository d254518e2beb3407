"""Complaint sheets' import kind: the shared flow's pages and runs (tabular), told what differs.

A hotline sheet carries reporters' names and phone numbers in clear, so the upload is kept
only while it is needed: between a clean check and the confirmed write (`purge_upload`); a
dry run's goes at once (`purge_upload_now`). As personnel/imports.py does for staff lists.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tabular import runs
from tabular.models import ImportRun
from tabular.specs import CREATED, Column, Count, ImportSpec, Preview

from .access import CHANGE
from .importer import KIND

SPEC = ImportSpec(
    kind=KIND,
    importer="complaints.importer.ComplaintImporter",
    namespace="complaints",
    # complaints.change: its holders (county officers, city staff) all open the complaint pages.
    permissions=(CHANGE,),
    title=_("导入投诉举报"),
    heading=_("从表格导入投诉举报"),
    help=(
        _(
            "下载导入模板，按表头填写（带 * 的列必填）；也可以直接上传 12345 热线转办单等表格，系统会自动识别表头。同一来源编号重复导入不会重复登记。"
        ),
    ),
    help_after=(
        _(
            "系统先检查并预览，确认之前不会写入任何数据；确认后一次性全部写入，导入的线索进入待分办。"
        ),
    ),
    sample="complaints.importer.template_xlsx",
    sample_file="投诉举报导入模板.xlsx",
    back=(_("投诉举报"), "complaints:list"),
    done_link=(_("查看投诉举报"), "complaints:list"),
    counts=(CREATED, Count("count-unchanged", _("已登记过"), "unchanged_count")),
    previews=(
        Preview(
            "creates",
            (
                Column(_("来源编号"), "external_ref"),
                Column(_("类别"), "category"),
                Column(_("机构"), "institution"),
                Column(_("反映人"), "contact"),
            ),
            testid="create-table",
        ),
    ),
    purge_upload=True,
)

run_check = runs.import_run_check
run_write = runs.import_run_write
purge_upload_now = runs.purge_upload_now


def run_create(*, actor, file_name: str, data: bytes) -> ImportRun:
    return runs.import_run_create(actor=actor, kind=KIND, file_name=file_name, data=data)
