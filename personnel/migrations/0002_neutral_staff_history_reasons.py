"""Staff history rows written when a dismissal closed said "清退" (or "Dismissal"): anyone
with staff.view reads that history, so those reasons become the neutral words of an edit."""

from django.db import migrations

DISMISSAL_REASONS = ["清退", "Dismissal"]


def neutral_reasons(apps, schema_editor):
    history = apps.get_model("personnel", "HistoricalStaffMember")
    history.objects.filter(history_change_reason__in=DISMISSAL_REASONS).update(
        history_change_reason="修改人员信息"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("personnel", "0001_staff_checks_dismissals"),
    ]

    operations = [migrations.RunPython(neutral_reasons, migrations.RunPython.noop)]
