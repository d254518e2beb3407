"""Delete the files of staff and check-result uploads never confirmed (clear ID numbers)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from ... import imports


class Command(BaseCommand):
    help = "删除超过指定小时数仍未确认的从业人员名录、查询结果上传文件（保留导入记录）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours", type=int, default=24, help="上传后超过多少小时未确认即删除（默认 24）"
        )

    def handle(self, *args, hours, **opts):
        if hours < 1:
            raise CommandError("--hours 至少为 1")
        purged = imports.purge_stale_staff_uploads(older_than=dt.timedelta(hours=hours))
        self.stdout.write(f"已删除 {purged} 个未确认的上传文件")
