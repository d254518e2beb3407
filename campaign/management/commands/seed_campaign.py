from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaign.services import campaign_seed_2023


class Command(BaseCommand):
    help = (
        "创建 2023 年“安全守护”专项行动（阶段、截止日期、抽查比例、收费规则、检查表），可重复运行"
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", default="140000")
        parser.add_argument(
            "--year", type=int, default=2023, help="把行动日期移到该年份（演示用；默认 2023）"
        )

    def handle(self, *args, province, year, **opts):
        try:
            campaign, created = campaign_seed_2023(province_code=province, year=year)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        items = campaign.checklists.get(is_active=True).items.count()
        state = "已创建" if created else "已存在"
        self.stdout.write(f"{campaign.name}（{campaign.province.name}）{state}：检查表 {items} 项")
