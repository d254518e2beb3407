"""Tracking digests become keyed: HMAC(SECRET_KEY-derived key, SHA-256 of the code).

The codes were never stored, only their SHA-256; the new digest is an HMAC over that same
SHA-256 (complaints.services.tracking_digest), so each stored digest can be re-keyed here
and every code handed out so far keeps working. Frozen copy of the salt: do not import
services.
"""

from django.db import migrations
from django.utils.crypto import salted_hmac

SALT = "complaints.Case.tracking_digest"


def rekey(apps, schema_editor):
    Case = apps.get_model("complaints", "Case")
    batch = []
    for case in Case.objects.only("pk", "tracking_digest").iterator(chunk_size=1000):
        case.tracking_digest = salted_hmac(
            SALT, case.tracking_digest, algorithm="sha256"
        ).hexdigest()
        batch.append(case)
        if len(batch) >= 1000:
            Case.objects.bulk_update(batch, ["tracking_digest"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["tracking_digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_attachment_history"),
    ]

    operations = [
        # No way back: re-running it after a reversal would key the digests twice.
        migrations.RunPython(rekey, elidable=False),
    ]
