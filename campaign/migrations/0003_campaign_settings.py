# Placeholder filled by the campaign-settings work ([fidelity] item 7); ordered before the
# checklist item limits (0004) so both can be written at once.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("campaign", "0002_publicity_activities")]

    operations = []
