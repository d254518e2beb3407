"""Re-check the open fee records against the campaign's rule table, after it changed."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from campaign.models import Campaign
from fees.evaluation import current_campaigns, fee_records_reevaluate


class Command(BaseCommand):
    help = "收费规则调整后，按当前规则重新核查未结案的收费记录，并列出变化"

    def add_arguments(self, parser):
        parser.add_argument(
            "--campaign", type=int, help="专项行动编号（默认：各省最新的进行中专项行动）"
        )
        parser.add_argument("--as", dest="username", required=True, help="以该用户的名义记录")

    def handle(self, *args, campaign, username, **opts):
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户“{username}”不存在或已停用")
        # By default the campaign whose rules apply in each province (its newest active
        # one): re-checking with every active campaign in turn would flip the results.
        campaigns = list(current_campaigns())
        if campaign is not None:
            campaigns = Campaign.objects.filter(pk=campaign)
            if not campaigns.exists():
                raise CommandError(f"找不到专项行动 #{campaign}")
        for item in campaigns:
            changes = fee_records_reevaluate(campaign=item, actor=actor)
            self.stdout.write(f"{item}：{changes.describe()}")
