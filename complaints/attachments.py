"""Attachments to a complaint: photos and PDFs only, checked by their content, size-limited.

Photos go through the inspection evidence cleaner (re-encoded as JPEG, EXIF and with it a
reporter's GPS position dropped). A PDF must start with the PDF signature and end with its
end-of-file marker, and then passes the shared PDF check (tabular/pdf_check:
no scripts, actions, embedded files or encryption; the PDFs of one submission share one
time budget). Files live outside any public URL and are served by a scoped view, as
downloads in a sandbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from core.photos import photo_clean
from tabular.pdf_check import check_pdf, request_deadline

from .models import Attachment, Case

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    data: bytes


def check_file(name: str, data: bytes, *, deadline: float | None = None) -> CheckedFile:
    """A clean copy of an upload, or ValidationError with a Chinese reason naming the file.
    `deadline` (pdf_check.request_deadline()) is shared by the files of one submission."""
    name = (name or _("附件"))[-200:]
    if len(data) > MAX_BYTES:
        raise ValidationError(_("“%(name)s”超过 10 MB") % {"name": name})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("“%(name)s”不是完整的 PDF 文件") % {"name": name})
        try:
            check_pdf(data, deadline=deadline)
        except ValidationError as refused:
            raise ValidationError(
                _("“%(name)s”：%(reason)s") % {"name": name, "reason": refused.messages[0]}
            ) from None
        return CheckedFile(name, Attachment.Kind.PDF, data)
    if data.startswith(_IMAGE_MAGIC):
        clean, _width, _height = photo_clean(data, filename=name)
        return CheckedFile(name, Attachment.Kind.JPG, clean)
    raise ValidationError(
        _("“%(name)s”的格式不支持：只能上传照片（JPEG、PNG、WebP）或 PDF 文件") % {"name": name}
    )


def read_upload(upload) -> tuple[str, bytes]:
    """(name, bytes) of an uploaded file, reading at most one byte more than the limit: the
    form has checked the size already, and check_file refuses anything longer."""
    upload.seek(0)
    return upload.name, upload.read(MAX_BYTES + 1)


def check_files(files: list[tuple[str, bytes]]) -> list[CheckedFile]:
    if len(files) > MAX_FILES:
        raise ValidationError(_("最多上传 %(n)d 个附件") % {"n": MAX_FILES})
    # Five PDFs checked one after another must not cost five times a file's limit.
    deadline = request_deadline()
    return [check_file(name, data, deadline=deadline) for name, data in files]


def attach(case: Case, checked: list[CheckedFile], *, actor=None) -> list[Attachment]:
    """Store checked files; call inside the case's transaction (files are removed on error)."""
    stored = []
    try:
        for item in checked:
            digest = hashlib.sha256(item.data).hexdigest()
            attachment = Attachment(
                case=case,
                kind=item.kind,
                name=item.name,
                size=len(item.data),
                sha256=digest,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            attachment.file.save(f"{digest[:16]}.{item.kind}", ContentFile(item.data), save=False)
            stored.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored
