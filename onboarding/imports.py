"""The account import kind (账号导入): the shared flow's pages and runs (tabular), told what
differs."""

from django.utils.translation import gettext_lazy as _

from tabular.specs import Column, ImportSpec, Preview

from .importer import KIND, PERMISSION

SPEC = ImportSpec(
    kind=KIND,
    importer="onboarding.importer.AccountImporter",
    namespace="onboarding",
    permissions=(PERMISSION,),
    title=_("账号导入"),
    heading=_("从表格批量开通账号"),
    help=(
        _(
            "下载导入模板，每行一个账号（带 * 的列必填）：姓名、用户名、手机号、地区代码、角色、部门。角色和部门填中文名称，也可填代码；部门留空为教育。只能在您管理的地区内开通账号，系统管理员和审计员只能由省级系统管理员开通。"
        ),
    ),
    help_after=(
        _(
            "系统先逐行检查并预览，确认之前不会开通任何账号；有一行出错则全部不开通。已存在且授权相同的账号不变，同一文件重复导入不会重复开通。导入完成后可下载一次初始密码表，新账号首次登录须修改密码。"
        ),
    ),
    sample="onboarding.importer.template_xlsx",
    sample_file="账号导入模板.xlsx",
    back=(_("账号管理"), "onboarding:users"),
    done_link=(_("查看账号"), "onboarding:users"),
    upload_name="import",
    sample_name="import_template",
    previews=(
        Preview(
            "creates",
            (
                Column(_("姓名"), "full_name"),
                Column(_("用户名"), "username", code=True),
                Column(_("地区"), "region", nowrap=True),
                Column(_("角色"), "role"),
                Column(_("部门"), "department"),
            ),
            title=_("将开通的账号（预览）"),
            testid="create-table",
        ),
    ),
    # The sheet holds phone numbers: the file goes as soon as the run no longer needs it.
    purge_upload=True,
    done_include="onboarding/_import_passwords.html",
    # Each account hashes its password (about half a second in production): a sheet of more
    # than a few dozen goes to a worker rather than hold the request.
    write_inline_rows=40,
)
