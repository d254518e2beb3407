"""Fee lists' import kind: the shared flow's pages and runs (tabular), told what differs."""

from django.utils.translation import gettext_lazy as _

from tabular.specs import Column, ImportSpec, Preview

from .importer import IMPORT_PERMISSION, KIND

INSTITUTION = Column(_("机构"), "institution")

SPEC = ImportSpec(
    kind=KIND,
    importer="fees.importer.FeeImporter",
    namespace="fees",
    permissions=(IMPORT_PERMISSION, "fees.view"),
    title=_("导入收费记录"),
    heading=_("从表格导入收费记录"),
    help=(
        _(
            "下载导入模板，按表头填写（带 * 的列必填）；也可以直接上传全国监管平台或机构导出的收费表，系统会自动识别表头。机构须已在名录中登记。"
        ),
    ),
    help_after=(
        _(
            "系统先检查并预览，确认之前不会写入任何数据；确认后一次性全部写入，并按收费规则逐笔核查。"
        ),
    ),
    sample="fees.importer.template_xlsx",
    sample_file="收费记录导入模板.xlsx",
    back=(_("收费监管"), "fees:records"),
    done_link=(_("查看收费记录与违规"), "fees:records"),
    previews=(
        Preview("updates", (INSTITUTION,), title=_("将更新的收费记录（预览）"), changes=True),
        Preview(
            "creates",
            (
                INSTITUTION,
                Column(_("金额（元）"), "amount"),
                Column(_("收费周期"), "period", nowrap=True),
            ),
            title=_("将新增的收费记录（预览）"),
            testid="create-table",
        ),
    ),
)
