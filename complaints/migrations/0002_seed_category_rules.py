from django.db import migrations

# category → (response hours, police receipt hours, police feedback days).
# Suspected offences against minors: handled within 24 hours (the notice: "quickly").
RULES = {
    "minor_offence": (24, 24, 15),
    "safety_hazard": (72, 48, 15),
    "fees": (168, 48, 30),
    "false_advertising": (168, 48, 30),
    "unlicensed": (120, 48, 30),
    "other": (240, 48, 30),
}


def seed(apps, schema_editor):
    rule = apps.get_model("complaints", "CategoryRule")
    for category, (hours, ack, days) in RULES.items():
        rule.objects.get_or_create(
            category=category,
            defaults={"response_hours": hours, "referral_ack_hours": ack,
                      "referral_feedback_days": days},
        )


def unseed(apps, schema_editor):
    apps.get_model("complaints", "CategoryRule").objects.filter(category__in=RULES).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_complaints_and_referrals")]

    operations = [migrations.RunPython(seed, unseed)]
