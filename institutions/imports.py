"""The register's import kind: the shared flow's pages and runs (tabular), told what differs."""

from django.utils.translation import gettext_lazy as _

from tabular.specs import Column, ImportSpec, Preview

NAME = Column(_("机构名称"), "name")

SPEC = ImportSpec(
    kind="institutions",
    importer="institutions.importers.InstitutionImporter",
    namespace="institutions",
    permissions=("institutions.import",),
    title=_("导入培训机构"),
    heading=_("从表格导入培训机构"),
    help=(
        _(
            "下载导入模板，按表头填写（带 * 的列必填）；也可以直接上传各县现有的台账，系统会自动识别表头。"
        ),
    ),
    help_after=(
        _("系统先检查并预览：新增多少、更新多少、哪些行有错误。确认之前不会写入任何数据。"),
        _("确认后一次性全部写入；同一文件重复导入不会产生变化。"),
    ),
    sample="institutions.exporters.import_template_xlsx",
    sample_file="校外培训机构导入模板.xlsx",
    back=(_("培训机构"), "institutions:list"),
    done_link=(_("查看机构名录"), "institutions:list"),
    previews=(
        Preview("updates", (NAME,), title=_("将更新的机构（预览）"), changes=True),
        Preview(
            "creates",
            (
                NAME,
                Column(_("统一社会信用代码"), "credit_code", code=True),
                Column(_("所在县区"), "county"),
            ),
            title=_("将新增的机构（预览）"),
            testid="create-table",
        ),
    ),
)
