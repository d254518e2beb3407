"""Natural keys of charges without a contract number now carry the amount to the fen.

A charge typed by hand as 5000 was keyed "…|5000|…" while the same row read from a sheet
is "…|5000.00|…", so a re-import doubled it. Existing keys are rewritten the new way
(fees.services.natural_key); a row whose new key another row of its institution already
has (the doubles this caused) keeps its old key, to be sorted out by hand.
"""

from decimal import Decimal

from django.db import migrations


def key_of(record) -> str:
    # fees.services.natural_key as of this migration, for rows without a contract number.
    return "r|" + "|".join(
        [record.student, record.course, str(record.amount.quantize(Decimal("0.01"))),
         record.period_from.isoformat(), record.period_to.isoformat(),
         record.charged_on.isoformat()]
    )[:390]  # fmt: skip


def forwards(apps, schema_editor):
    FeeRecord = apps.get_model("fees", "FeeRecord")
    # Imported rows were read to the fen already: only hand-entered ones can be off.
    for record in FeeRecord.objects.filter(contract_number="").order_by("pk").iterator():
        key = key_of(record)
        if key == record.natural_key:
            continue
        if FeeRecord.objects.filter(institution_id=record.institution_id, natural_key=key).exists():
            continue
        FeeRecord.objects.filter(pk=record.pk).update(natural_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0001_fee_records_violations_refunds"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
