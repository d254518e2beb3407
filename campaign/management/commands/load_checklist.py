from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from campaign.services import checklist_load


class Command(BaseCommand):
    help = "从 JSON 文件载入检查表的新版本（格式同 campaign/data/checklist_2023.json）；旧版本及已提交的检查记录不变"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--campaign", type=int, required=True, help="专项行动编号")

    def handle(self, *args, file, campaign, **opts):
        found = Campaign.objects.filter(pk=campaign).first()
        if found is None:
            raise CommandError(f"专项行动 {campaign} 不存在")
        if not Path(file).is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            template = checklist_load(campaign=found, path=Path(file))
        except ValidationError as exc:
            # Every wrong item named, one per line; nothing was written.
            raise CommandError("检查表文件有误，未载入：\n" + "\n".join(exc.messages)) from None
        except (KeyError, ValueError) as exc:
            raise CommandError(f"检查表文件有误：{exc}") from None
        self.stdout.write(f"{template}：{template.items.count()} 项，已启用")
