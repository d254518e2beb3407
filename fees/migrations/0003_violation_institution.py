"""A fee violation carries its charge's institution (a copy: a charge never changes
institution), so the ledger is scoped without joining every charge. Added empty, filled
from the charges, then required."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_institutions(apps, schema_editor):
    FeeRecord = apps.get_model("fees", "FeeRecord")
    institution = FeeRecord.objects.filter(pk=OuterRef("record_id")).values("institution_id")[:1]
    for name in ("FeeViolation", "HistoricalFeeViolation"):
        apps.get_model("fees", name).objects.filter(institution__isnull=True).update(
            institution_id=Subquery(institution)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0002_natural_key_to_the_fen"),
        ("institutions", "0005_export_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="feeviolation",
            name="institution",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="fee_violations",
                to="institutions.institution",
                verbose_name="机构",
            ),
        ),
        migrations.AddField(
            model_name="historicalfeeviolation",
            name="institution",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="institutions.institution",
                verbose_name="机构",
            ),
        ),
        migrations.RunPython(copy_institutions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="feeviolation",
            name="institution",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="fee_violations",
                to="institutions.institution",
                verbose_name="机构",
            ),
        ),
    ]
