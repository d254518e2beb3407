"""Photo evidence: check that an upload is a real photo, store a clean copy, never the original.

The stored copy is re-encoded as JPEG, which drops EXIF (and with it the phone's GPS
position and serial numbers); the inspection records its own location separately.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.scope import Scope

from .models import Answer, Evidence, Inspection
from .services import applicable_items

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# 24 megapixels covers every phone camera; decoding one takes about 100 MB, so the cap
# is what bounds a web worker's memory per upload.
MAX_PIXELS = 24_000_000
MAX_SIDE = 2000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


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


def photo_clean(data: bytes, *, filename: str = "") -> tuple[bytes, int, int]:
    """Re-encode an uploaded photo as JPEG (longest side ≤ 2000 px, no metadata)."""
    name = filename or _("照片")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(_("“%(name)s”超过 15 MB，请压缩后再上传") % {"name": name})
    not_a_photo = ValidationError(
        _("“%(name)s”不是有效的照片（仅支持 JPEG、PNG、WebP）") % {"name": name}
    )
    too_large = ValidationError(
        _("“%(name)s”像素过大（超过 2400 万像素），请缩小后再上传") % {"name": name}
    )
    try:
        # Pillow warns (and past twice its limit, raises) on decompression bombs; both are
        # refusals here, whatever the warning filters of the process say.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise too_large
                if image.format == "JPEG":
                    # Decode at reduced scale: a 24 MP photo becomes ~6 MP in memory.
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "P", "PA"):
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, "white")
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                # Nothing of the original's metadata travels: no EXIF/GPS, no comment, no XMP.
                image.info = {}
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_a_photo from None
    return out.getvalue(), image.width, image.height


def jpeg_response(image) -> HttpResponse:
    """A stored photo (a small re-encoded JPEG) as the answer to a scoped view, read whole so
    no file handle outlives the request; a file gone from storage is a 404."""
    try:
        with image.open("rb") as handle:
            body = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


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
