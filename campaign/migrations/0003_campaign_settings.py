# The campaign's own time limits (dismissal, fee rectification, referral of a suspected
# offence against a minor) and the reason a sampling ratio is below the notice's minimum
# ([fidelity] item 7). Ordered before the checklist item limits (0004).
from django.db import migrations, models


def _fields():
    return [
        ("quota_reason", models.TextField(blank=True, verbose_name="抽查比例低于通知要求的理由")),
        (
            "dismissal_days",
            models.PositiveSmallIntegerField(default=15, verbose_name="清退期限（天）"),
        ),
        (
            "fee_rectify_days",
            models.PositiveSmallIntegerField(default=30, verbose_name="收费违规整改期限（天）"),
        ),
        (
            "minor_referral_days",
            models.PositiveSmallIntegerField(
                default=3, verbose_name="涉未成年人线索移送公安期限（天）"
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("campaign", "0002_publicity_activities")]

    operations = [
        migrations.AddField(model_name=model, name=name, field=field)
        for model in ("campaign", "historicalcampaign")
        for name, field in _fields()
    ]
