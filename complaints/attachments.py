"""Attachments to a complaint: photos and PDFs only, checked by their content, size-limited.

Photos go through the inspection evidence cleaner (re-encoded as JPEG, EXIF and with it a
reporter's GPS position dropped). A PDF must start with the PDF signature and end with its
end-of-file marker, and is refused if it holds scripts, actions or embedded files. Files live
outside any public URL and are served by a scoped view, as downloads in a sandbox.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from inspections.evidence import photo_clean

from .models import Attachment, Case

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    data: bytes


def check_file(name: str, data: bytes) -> CheckedFile:
    """A clean copy of an upload, or ValidationError with a Chinese reason naming the file."""
    name = (name or _("附件"))[-200:]
    if len(data) > MAX_BYTES:
        raise ValidationError(_("“%(name)s”超过 10 MB") % {"name": name})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("“%(name)s”不是完整的 PDF 文件") % {"name": name})
        if pdf_active_content(data):
            raise ValidationError(
                _(
                    "“%(name)s”含有脚本、自动执行的操作或嵌入的文件，不能上传；请另存为普通 PDF 或拍照上传"
                )
                % {"name": name}
            )
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


# PDF names that run something or carry a file: scripts, actions on opening, launching a
# program, embedded files. A PDF with any of them is refused, not cleaned.
_PDF_ACTIVE = {b"JS", b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"OpenAction"}
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n")
# How much inflating one file may cost (against zip bombs and streams nested in streams);
# a file that needs more is refused as unreadable rather than passed unchecked.
_INFLATE_OUT = 10 * MAX_BYTES
_PIECE = 1024 * 1024
_OVERLAP = 64  # a name cut between two pieces is seen whole in the next


class _TooCostly(Exception):
    pass


def _has_active_name(data: bytes) -> bool:
    for match in _PDF_NAME.finditer(data):
        # '/J#53' is '/JS': names may spell characters as #xx.
        name = _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _PDF_ACTIVE:
            return True
    return False


def _streams_active(data: bytes) -> bool:
    """Inflate every Flate stream (object streams hide dictionaries) piece by piece and look
    for the names there too. Each marker starts its own attempt, so a stream cannot hide
    another by swallowing it; the budgets bound the work (a first small piece, so a stream
    that is not Flate at all costs little)."""
    view = memoryview(data)
    out_left, in_left = _INFLATE_OUT, 3 * len(data) + _PIECE
    for match in _PDF_STREAM.finditer(data):
        inflater, pending, tail, size = zlib.decompressobj(), view[match.end() :], b"", 1024
        while pending:
            take = pending[:size]
            size = _PIECE
            try:
                piece = inflater.decompress(take, _PIECE)
            except zlib.error:
                in_left -= len(take)
                break
            consumed = len(take) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
            in_left -= consumed
            out_left -= len(piece)
            if _has_active_name(tail + piece):
                return True
            if out_left < 0 or in_left < 0:
                raise _TooCostly
            if inflater.eof or not (piece or consumed):
                break
            pending = pending[consumed:]
            tail = (tail + piece)[-_OVERLAP:]
        if in_left < 0:
            raise _TooCostly
    return False


def pdf_active_content(data: bytes) -> bool:
    """Whether a PDF holds JavaScript, an open action, a launch action or embedded files,
    in its plain objects or in its compressed streams (True too when that cannot be told
    within reasonable work)."""
    if _has_active_name(data):
        return True
    try:
        return _streams_active(data)
    except _TooCostly:
        return True


def check_files(files: list[tuple[str, bytes]]) -> list[CheckedFile]:
    if len(files) > MAX_FILES:
        raise ValidationError(_("最多上传 %(n)d 个附件") % {"n": MAX_FILES})
    return [check_file(name, data) for name, data in files]


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
