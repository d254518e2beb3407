"""Photos people upload (inspectors' evidence, institutions' receipts and self-inspections,
complaint attachments, dismissal evidence): check that an upload is a real photo and keep a
clean copy, never the original.

The stored copy is re-encoded as JPEG, which drops EXIF (and with it the phone's GPS
position and serial numbers); an inspection records its own location separately.
"""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# 24 megapixels covers every phone camera; decoding one takes about 100 MB, so the cap
# is what bounds a web worker's memory per upload.
MAX_PIXELS = 24_000_000
MAX_SIDE = 2000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


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
