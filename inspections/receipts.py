"""整改回执: an institution reports, through its own account, that it fixed a problem found at
its premises, with a note and photos. The problem becomes 已报整改 as when an officer records
the institution's word (`services.finding_report`); the officials then re-inspect and close it
or send it back (`services.finding_verify`), and deadlines and escalations stay theirs.

Only the institution the problem belongs to (`Scope.own_institution`) sends a receipt; its
photos are checked and re-encoded like the inspectors' (`core.photos.photo_clean`: a real photo,
no metadata) and served only through the scoped views of `receipt_photos_for_*`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.photos import photo_clean

from . import receipt_messages, selectors
from .models import Finding, ReceiptPhoto
from .services import report_note_check, report_record, require_not_done

PHOTOS_PER_RECEIPT = 6
PHOTOS_PER_PROBLEM = 20


def _require_own(scope: Scope, finding: Finding) -> None:
    own = scope.own_institution()
    if own is None or own != finding.task.institution_id:
        raise PermissionDenied


def receipt_submit(
    *, finding: Finding, actor, scope: Scope, note: str, photos: list[tuple[bytes, str]]
) -> Finding:
    """The institution's receipt: `photos` are (content, file name) pairs, at least one on a
    problem without any yet. All or nothing: a bad photo leaves the problem as it was."""
    _require_own(scope, finding)
    report_note_check(note)
    if len(photos) > PHOTOS_PER_RECEIPT:
        raise ValidationError(_("每次最多上传 %(n)d 张照片") % {"n": PHOTOS_PER_RECEIPT})
    # Checked and re-encoded before any lock: the slow part holds nothing.
    cleaned = [photo_clean(data, filename=name) for data, name in photos]
    with transaction.atomic():
        finding.refresh_from_db(from_queryset=Finding.objects.select_for_update())
        require_not_done(finding)
        kept = set(finding.receipt_photos.values_list("sha256", flat=True))
        new = {}
        for clean, width, height in cleaned:
            new.setdefault(hashlib.sha256(clean).hexdigest(), (clean, width, height))
        added = {digest: value for digest, value in new.items() if digest not in kept}
        if not kept and not added:
            raise ValidationError(_("请上传至少一张整改后的照片"))
        if len(kept) + len(added) > PHOTOS_PER_PROBLEM:
            raise ValidationError(
                _("每个问题最多保存 %(n)d 张回执照片") % {"n": PHOTOS_PER_PROBLEM}
            )
        written = []
        try:
            for digest, (clean, width, height) in added.items():
                photo = ReceiptPhoto(
                    finding=finding, sha256=digest, width=width, height=height, uploaded_by=actor
                )
                photo.image.save(f"{digest[:16]}.jpg", ContentFile(clean), save=False)
                written.append(photo.image)
                photo.save()
            finding = report_record(finding=finding, actor=actor, note=note)
            receipt_messages.tell_the_officials(finding)
            return finding
        except Exception:
            # The rows roll back; the files written so far go with them.
            for image in written:
                image.delete(save=False)
            raise


def receipt_photos_for_institution(*, scope: Scope) -> QuerySet[ReceiptPhoto]:
    """The receipt photos of the signed-in institution's own problems."""
    own = scope.own_institution()
    if own is None:
        return ReceiptPhoto.objects.none()
    return ReceiptPhoto.objects.filter(finding__task__institution_id=own)


def receipt_photos_for_officials(*, scope: Scope) -> QuerySet[ReceiptPhoto]:
    """The receipt photos of the problems the official may see (the problem list's scope)."""
    return ReceiptPhoto.objects.filter(finding__in=selectors.finding_list(scope=scope))


# A receipt sent soon after someone else reset the institution account's password may not
# be the institution's own word: whoever reset it held the one-time password.
RESET_WINDOW = dt.timedelta(days=7)


def receipt_caution(finding: Finding):
    """The password reset of the reporting institution account by someone else within a
    week before its receipt, or None: the re-inspecting official sees who reset it."""
    from accounts.audit import object_label
    from accounts.models import AuditEvent

    user = finding.reported_by
    if user is None or finding.reported_at is None or not hasattr(user, "institution_account"):
        return None
    return (
        AuditEvent.objects.filter(
            kind=AuditEvent.Kind.PASSWORD_RESET,
            object_type=object_label(user),
            object_id=str(user.pk),
            created_at__lte=finding.reported_at,
            created_at__gte=finding.reported_at - RESET_WINDOW,
        )
        .exclude(actor=user)
        .select_related("actor")
        .order_by("-created_at")
        .first()
    )
