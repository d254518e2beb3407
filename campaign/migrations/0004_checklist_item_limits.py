# The measured items' limits (数值项的标准, [fidelity] item 1): a minimum and / or a maximum
# on a checklist item, so a number that breaks it makes the answer non-compliant.
from django.db import migrations, models


def _limit(label):
    return models.DecimalField(
        blank=True, decimal_places=2, max_digits=12, null=True, verbose_name=label
    )


class Migration(migrations.Migration):
    dependencies = [("campaign", "0003_campaign_settings")]

    operations = [
        migrations.AddField(
            model_name="checklistitem", name="limit_min", field=_limit("下限（不少于）")
        ),
        migrations.AddField(
            model_name="checklistitem", name="limit_max", field=_limit("上限（不超过）")
        ),
        migrations.AddField(
            model_name="historicalchecklistitem", name="limit_min", field=_limit("下限（不少于）")
        ),
        migrations.AddField(
            model_name="historicalchecklistitem", name="limit_max", field=_limit("上限（不超过）")
        ),
        migrations.AddConstraint(
            model_name="checklistitem",
            constraint=models.CheckConstraint(
                condition=models.Q(limit_min__isnull=True)
                | models.Q(limit_max__isnull=True)
                | models.Q(limit_min__lte=models.F("limit_max")),
                name="item_limit_min_not_above_max",
            ),
        ),
    ]
