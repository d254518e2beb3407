"""Photo evidence of an inspection: a clean copy of each photo (`core.photos.photo_clean`)
attached to an answer of a draft record."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.photos import photo_clean

from .models import Answer, Evidence, Inspection
from .services import applicable_items


def _require_draft(inspection: Inspection, scope: Scope) -> None:
    if not scope.covers_institution(
        "inspections.change",
        county_code=inspection.institution.county_id,
        sector=inspection.institution.sector,
        institution_id=inspection.institution_id,
        round_id=inspection.round_id,
    ):
        raise PermissionDenied
    if inspection.status != Inspection.Status.DRAFT:
        raise ValidationError(_("检查记录已提交，不能再添加照片"))


@transaction.atomic
def answer_for_photos(*, inspection: Inspection, code: str, actor, scope: Scope) -> Answer:
    """The answer a photo belongs to, created empty when the officer photographs first."""
    _require_draft(inspection, scope)
    item = applicable_items(inspection=inspection, scope=scope).filter(code=code).first()
    if item is None:
        raise ValidationError(_("检查项 %(codes)s 不适用于本次检查") % {"codes": code})
    try:
        with transaction.atomic():
            answer, _created = Answer.objects.get_or_create(inspection=inspection, item=item)
    except IntegrityError:
        # An autosave created it a moment ago.
        answer = Answer.objects.get(inspection=inspection, item=item)
    return answer


@transaction.atomic
def evidence_add(
    *,
    answer: Answer,
    actor,
    scope: Scope,
    data: bytes,
    filename: str,
    taken_at: dt.datetime | None = None,
) -> tuple[Evidence, bool]:
    """Store a clean copy of a photo for an answer; the same photo twice is stored once."""
    _require_draft(answer.inspection, scope)
    clean, width, height = photo_clean(data, filename=filename)
    # Processing takes a moment; a submit may have locked the record meanwhile. Re-read
    # under a row lock, which inspection_submit also takes, so the two cannot interleave.
    locked = Inspection.objects.select_for_update().get(pk=answer.inspection_id)
    _require_draft(locked, scope)
    digest = hashlib.sha256(clean).hexdigest()
    existing = answer.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    if taken_at is not None and timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    if taken_at is not None and taken_at > timezone.now() + dt.timedelta(days=1):
        taken_at = None  # a phone clock far ahead is not evidence of anything
    evidence = Evidence(
        answer=answer,
        sha256=digest,
        width=width,
        height=height,
        taken_at=taken_at,
        uploaded_by=actor,
    )
    evidence.image.save(f"{digest[:16]}.jpg", ContentFile(clean), save=False)
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError:
        evidence.image.delete(save=False)
        return answer.photos.get(sha256=digest), False
    return evidence, True
