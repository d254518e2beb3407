"""Draw a city's or the province's spot-check sample from the shell, as the web page does."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.scope import Scope
from accounts.selectors import users_holding
from campaign.models import Campaign
from core.models import Region
from sampling import services
from sampling.selectors import team_gaps


class Command(BaseCommand):
    help = "为市（市级抽查）或省（省级督导）抽取检查样本；不加 --confirm 只预览"

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="市或省的行政区划代码，如 140100")
        parser.add_argument("--seed", default="", help="随机种子（不填则随机生成并显示）")
        parser.add_argument("--campaign", type=int, help="专项行动编号（默认：本省进行中的）")
        parser.add_argument("--confirm", action="store_true", help="确认抽样结果")
        parser.add_argument(
            "--redraw-reason", default="", help="重新抽样或再次预览的原因（本轮已抽过时必填）"
        )
        parser.add_argument("--no-stratify", action="store_true", help="不保证每个抽中县区都有机构")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        parser.add_argument(
            "--as", dest="username", help="以该用户的身份抽样（默认：该地区的抽样人员）"
        )

    def handle(self, *args, region, seed, campaign, confirm, redraw_reason, no_stratify,
               json: bool, username, **opts):  # fmt: skip
        place = Region.objects.filter(code=region).first()
        if place is None:
            raise CommandError(f"找不到行政区划代码：{region}")
        found = self._campaign(campaign, place)
        actor = self._actor(username, place)
        scope = Scope.for_user(actor)
        try:
            round_ = services.sampling_round(campaign=found, region=place)
            draw = services.draw_preview(
                round_=round_, actor=actor, scope=scope, seed=seed,
                stratified=not no_stratify, redraw_reason=redraw_reason,
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        except PermissionDenied:
            raise CommandError(f"用户“{actor}”无权为{place.name}抽样") from None
        if confirm:
            try:
                draw = services.draw_confirm(draw=draw, actor=actor, scope=scope)
            except ValidationError as exc:
                # The preview stays on the record (every preview does); nothing is confirmed.
                raise CommandError(
                    f"抽样 #{draw.pk} 未确认（预览已保留）：" + "；".join(exc.messages)
                ) from None
            except PermissionDenied:
                # Confirming is its own check (the round, the user's role there): a refusal
                # is an exit 1 in words, not a traceback.
                raise CommandError(
                    f"抽样 #{draw.pk} 未确认（预览已保留）：用户“{actor}”无权确认{place.name}的抽样"
                ) from None
        random_ids = set(draw.institutions)
        result = {
            "draw_id": draw.pk,
            "seed": draw.seed,
            "frame_size": draw.frame_size,
            "required_counties": draw.required_counties,
            "required_institutions": draw.required_institutions,
            "counties": draw.counties,
            "institutions": draw.institutions,
            "must_include": [m["id"] for m in draw.must_include if m["id"] not in random_ids],
        }
        if json:
            self.stdout.write(_dumps(result))
            return
        state = "已确认" if confirm else "预览（未确认，加 --confirm 确认）"
        self.stdout.write(
            f"抽样 #{draw.pk} {place.name} {state}\n"
            f"随机种子 {draw.seed}；抽样框 {draw.frame_size} 家机构\n"
            f"应抽县区 {draw.required_counties} 个，抽中 {len(draw.counties)} 个："
            f"{' '.join(draw.counties)}\n"
            f"应抽机构 {draw.required_institutions} 家，抽中 {len(draw.institutions)} 家；"
            f"必查 {len(result['must_include'])} 家"
        )
        gaps = team_gaps(draw)
        if gaps:
            self.stdout.write(services.gaps_message(gaps))

    def _campaign(self, pk, place):
        campaigns = Campaign.objects.filter(province_id=place.code[:2] + "0000")
        found = (
            campaigns.filter(pk=pk).first()
            if pk
            else campaigns.filter(is_active=True).order_by("-starts_on").first()
        )
        if found is None:
            raise CommandError("找不到该地区的专项行动（--campaign）")
        return found

    def _actor(self, username, place):
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户“{username}”不存在或已停用")
            return actor
        role = "city_staff" if place.level == "city" else "province_staff"
        actor = users_holding(roles=[role], region_code=place.code).order_by("pk").first()
        if actor is None:
            raise CommandError("请用 --as 指定以哪个用户的身份抽样")
        return actor


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
