"""Re-encrypt every staff ID number under the newest key and recompute the lookup hashes;
also every complaint reporter's contact, which is sealed with the same keys.

Rotation: put the new key first in STAFF_ID_KEYS (keep the old ones after it), restart,
run this command, then remove the old keys. Safe to run again: it only rewrites rows.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import crypto

from ...models import StaffMember


class Command(BaseCommand):
    help = "用最新密钥重新加密全部身份证号，并按当前摘要密钥重算摘要（轮换密钥后运行）"

    def handle(self, *args, **opts):
        done = 0
        with transaction.atomic():
            rows = StaffMember.objects.select_for_update().only("pk", "id_cipher", "id_hash")
            batch = []
            for staff in rows.iterator(chunk_size=2000):
                number = crypto.decrypt_id(staff.id_cipher)
                staff.id_cipher = crypto.rotate_token(staff.id_cipher)
                staff.id_hash = crypto.hash_id(number)
                batch.append(staff)
                if len(batch) >= 2000:
                    StaffMember.objects.bulk_update(batch, ["id_cipher", "id_hash"])
                    done += len(batch)
                    batch = []
            StaffMember.objects.bulk_update(batch, ["id_cipher", "id_hash"])
            done += len(batch)
            contacts = self._rotate_contacts()
        self.stdout.write(
            f"已用最新密钥重新加密 {done} 个身份证号、{contacts} 条投诉举报人联系方式"
        )

    def _rotate_contacts(self) -> int:
        # By label: complaints builds on personnel's crypto, not the other way round.
        case_model = apps.get_model("complaints", "Case")
        rows = case_model.objects.select_for_update().exclude(contact_token="")
        batch = []
        for case in rows.only("pk", "contact_token").iterator(chunk_size=2000):
            case.contact_token = crypto.rotate_token(case.contact_token)
            batch.append(case)
        case_model.objects.bulk_update(batch, ["contact_token"], batch_size=2000)
        return len(batch)
