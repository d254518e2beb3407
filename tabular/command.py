"""One shell command for every register's spreadsheet import (institutions, staff, fees).

The same checks as the web page, the same report: a row error lists row, column and reason
and exits non-zero with nothing written; `--dry-run` checks and previews only. A register
subclasses `ImportCommand`, names its `kind` and `help`, and overrides the hooks only where
its pipeline differs. A kind whose uploads hold personal data (`ImportSpec.purge_upload`:
staff lists, complaint sheets) loses the file after every run, a dry run's at once.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.selectors import users_holding

from . import runs
from .models import ImportRun
from .specs import import_spec


class ImportCommand(BaseCommand):
    kind: str = ""
    # Whose scope the rows are checked against; without --as, the first admin if allowed.
    username_required = True

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只检查、预览，不写入")
        parser.add_argument(
            "--as", dest="username", required=self.username_required,
            help="以该用户的身份和管辖范围导入"
            + ("" if self.username_required else "（默认：第一个管理员）"),
        )  # fmt: skip

    # -- the pipeline's steps, for registers whose runs differ --------------------------

    def create_run(self, *, actor, file_name: str, data: bytes) -> ImportRun:
        return runs.import_run_create(actor=actor, kind=self.kind, file_name=file_name, data=data)

    def check_run(self, run_id: int) -> ImportRun:
        return runs.import_run_check(run_id=run_id)

    def write_run(self, run_id: int) -> ImportRun:
        return runs.import_run_write(run_id=run_id)

    def after_dry_run(self, run: ImportRun) -> None:
        """A kind whose files hold personal data deletes the file here: it is never confirmed."""
        if import_spec(self.kind).purge_upload:
            runs.purge_upload_now(run)

    # -- the command --------------------------------------------------------------------

    def handle(self, *args, file, dry_run, username, **opts):
        actor = self.actor(username)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            run = self.create_run(actor=actor, file_name=path.name, data=path.read_bytes())
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        run = self.check_run(run.pk)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message)
        self.stdout.write(
            f"共 {run.total_rows} 行：新增 {run.created_count}，更新 {run.updated_count}，"
            f"无变化 {run.unchanged_count}，错误行 {run.error_count}"
        )
        if run.error_count:
            # The reasons are the page's: sensitive values in them are already masked.
            for error in run.report["errors"]:
                self.stdout.write(f"第 {error['row']} 行\t{error['column']}\t{error['reason']}")
            raise CommandError(f"有 {run.error_count} 行错误，未写入任何数据（导入记录 #{run.pk}）")
        if dry_run:
            self.after_dry_run(run)
            self.stdout.write(f"试运行：未写入任何数据（导入记录 #{run.pk}）")
            return
        runs.import_run_confirm(run=run, actor=actor)
        run = self.write_run(run.pk)
        if run.status != ImportRun.Status.DONE:
            raise CommandError(run.message)
        self.stdout.write(f"已导入（导入记录 #{run.pk}）")

    def actor(self, username: str | None) -> User:
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{username}”不存在或已停用")
            return actor
        actor = users_holding(roles=["admin"]).order_by("pk").first()
        if actor is None:
            raise CommandError("请用 --as 指定以哪个用户的身份导入")
        return actor
