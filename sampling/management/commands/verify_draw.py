"""Recompute a stored draw from its own frame, seed and parameters, and say whether it matches."""

from django.core.management.base import BaseCommand

from sampling.models import Draw
from sampling.services import draw_verify


class Command(BaseCommand):
    help = "用抽样时冻结的抽样框和随机种子重新计算抽样结果；一致时退出码为 0，否则为 1"

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int)

    def handle(self, *args, draw_id, **opts):
        draw = Draw.objects.select_related("round__region").filter(pk=draw_id).first()
        if draw is None:
            self.stderr.write(f"找不到抽样 #{draw_id}")
            raise SystemExit(1)
        problems = draw_verify(draw)
        head = (
            f"抽样 #{draw.pk}（{draw.round}，{draw.get_status_display()}）"
            f"算法 {draw.algorithm}，随机种子 {draw.seed}，抽样框 {draw.frame_size} 家"
        )
        if problems:
            self.stdout.write(f"{head}\n不一致：{', '.join(problems)}")
            raise SystemExit(1)
        self.stdout.write(
            f"{head}\n一致：重新计算得到相同的 {len(draw.counties)} 个县区、"
            f"{len(draw.institutions)} 家机构和检查组"
        )
