"""Import a fee list from the shell, with the same checks as the web page."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from fees.importer import KIND
from institutions.models import ImportRun
from institutions.tabular import runs


class Command(BaseCommand):
    help = "从 .xlsx/.xls/.csv 导入收费记录并按收费规则核查；有错误时列出行号、列和原因并以非零状态退出"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查、预览，不写入")
        parser.add_argument(
            "--as", dest="username", required=True, help="以该用户的身份和管辖范围导入"
        )

    def handle(self, *args, file, dry_run, username, **opts):
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户“{username}”不存在或已停用")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            run = runs.import_run_create(
                actor=actor, kind=KIND, file_name=path.name, data=path.read_bytes()
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        run = runs.import_run_check(run_id=run.pk)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message)
        self.stdout.write(
            f"共 {run.total_rows} 行：新增 {run.created_count}，更新 {run.updated_count}，"
            f"无变化 {run.unchanged_count}，错误行 {run.error_count}"
        )
        if run.error_count:
            for error in run.report["errors"]:
                self.stdout.write(f"第 {error['row']} 行\t{error['column']}\t{error['reason']}")
            raise CommandError(f"有 {run.error_count} 行错误，未写入任何数据（导入记录 #{run.pk}）")
        if dry_run:
            self.stdout.write(f"试运行：未写入任何数据（导入记录 #{run.pk}）")
            return
        runs.import_run_confirm(run=run, actor=actor)
        run = runs.import_run_write(run_id=run.pk)
        if run.status != ImportRun.Status.DONE:
            raise CommandError(run.message)
        self.stdout.write(f"已导入（导入记录 #{run.pk}）")
