# Routine notifications gathered into one digest per person per day (accounts/notifications.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0011_account_region_and_first_login'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='digest',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='items', to='accounts.notification', verbose_name='所属汇总'),
        ),
        migrations.AddField(
            model_name='notification',
            name='email_after',
            field=models.DateTimeField(blank=True, null=True, verbose_name='邮件不早于'),
        ),
        migrations.AlterField(
            model_name='historicalnotification',
            name='kind',
            field=models.CharField(choices=[('major_hazard', '重大隐患'), ('reminder', '截止提醒'), ('overdue', '逾期'), ('escalation', '逾期上报'), ('assignment', '抽查任务'), ('summary', '工作总结'), ('other', '其他'), ('digest', '每日汇总')], max_length=32, verbose_name='类型'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('major_hazard', '重大隐患'), ('reminder', '截止提醒'), ('overdue', '逾期'), ('escalation', '逾期上报'), ('assignment', '抽查任务'), ('summary', '工作总结'), ('other', '其他'), ('digest', '每日汇总')], max_length=32, verbose_name='类型'),
        ),
    ]
