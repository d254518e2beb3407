"""A staff member is unique per institution (institution + keyed hash of the ID number), no
longer per province: a refusal said whether the person worked anywhere else. The hash keeps
its own index for lookups by number. Reversing fails while one person has two records."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('institutions', '0005_export_runs'),
        ('personnel', '0002_neutral_staff_history_reasons'),
    ]

    operations = [
        migrations.AlterField(
            model_name='staffmember',
            name='id_hash',
            field=models.CharField(db_index=True, max_length=64, verbose_name='身份证号摘要'),
        ),
        migrations.AddConstraint(
            model_name='staffmember',
            constraint=models.UniqueConstraint(fields=('institution', 'id_hash'), name='staff_one_record_per_institution'),
        ),
    ]
