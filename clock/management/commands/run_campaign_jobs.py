"""Run every due job of the campaign clock once, synchronously, as at a given moment."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from clock import jobs


class Command(BaseCommand):
    help = (
        "按给定时刻立即运行一次专项行动定时任务（截止提醒、逾期标记、整改逾期上报、抽查数量预警）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="按此时刻运行，例如 2023-12-01T09:00（北京时间；默认为当前时间）"
        )

    def handle(self, *args, now=None, **options):
        if now is None:
            moment = timezone.now()
        else:
            try:
                moment = jobs.parse_moment(now)
            except ValueError:
                raise CommandError(
                    _("无法识别的时间“%(value)s”，请写成 2023-12-01T09:00 这样的格式")
                    % {"value": now}
                ) from None
        self.stdout.write(jobs.run_all(now=moment).line())
