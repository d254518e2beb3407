"""Checks an uploaded spreadsheet before any parser touches it.

The extension says nothing: the first bytes decide. An .xlsx is a zip, so it is opened
as a zip (not parsed) to refuse zip bombs and XML with DOCTYPE/ENTITY declarations
(billion laughs, external entities) before openpyxl or calamine see it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 2000
# A sheet's used range as a parser allocates it: 200,000 rows × 25 columns.
MAX_CELLS = 5_000_000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "xlsx" | "xls" | "csv"
    data: bytes


def check_upload(name: str, data: bytes) -> CheckedUpload:
    """Return the real type of an upload, or raise ValidationError with a Chinese reason."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("文件过大（%(size)s MB），上限为 %(limit)d MB")
            % {"size": f"{len(data) / 1024 / 1024:.1f}", "limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    if not data.strip():
        raise ValidationError(_("文件是空的"))
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(_ZIP):
        _check_xlsx(data)
        return CheckedUpload("xlsx", data)
    if data.startswith(_OLE2):
        return CheckedUpload("xls", data)
    if suffix in {"xlsx", "xls"}:
        raise ValidationError(_("文件内容不是 Excel 表格（扩展名与内容不符）"))
    if _looks_like_text(data):
        return CheckedUpload("csv", data)
    raise ValidationError(_("不支持的文件类型：请上传 .xlsx、.xls 或 .csv 文件"))


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the 4 KB boundary is still text.
            if exc.start >= len(head) - 3:
                return True
    return False


def _check_xlsx(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationError(_("Excel 文件已损坏，无法打开")) from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise ValidationError(_("压缩文件不是 Excel 表格（.xlsx）"))
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValidationError(_("Excel 文件结构异常（部件过多），已拒绝"))
        total = sum(m.file_size for m in members)
        packed = sum(m.compress_size for m in members) or 1
        if total > MAX_UNZIPPED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
            raise ValidationError(_("Excel 文件解压后异常庞大（疑似压缩炸弹），已拒绝"))
        try:
            for member in members:
                _scan_member(archive, member)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
            # A size or checksum that does not match what the archive declares.
            raise ValidationError(_("Excel 文件已损坏（压缩数据与声明不符），已拒绝")) from None


_UNSAFE_XML = (b"<!DOCTYPE", b"<!ENTITY")
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(
    rb'<dimension\b[^>]*?\bref="([A-Z]{0,3})([0-9]{0,7}):?([A-Z]{0,3})([0-9]{0,7})"'
)


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Read one part in full (bounded by the checks above): no DTDs anywhere, UTF-8 only,
    and no worksheet whose cells span a range a parser would have to allocate."""
    seen_bytes = 0
    max_row = max_col = 0
    tail = b""
    with archive.open(member) as handle:
        while chunk := handle.read(1 << 20):
            utf16 = chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:4] in (
                b"<\x00?\x00",
                b"\x00<\x00?",
            )
            if seen_bytes == 0 and utf16:
                raise ValidationError(_("Excel 文件含有非 UTF-8 编码的部件，已拒绝"))
            seen_bytes += len(chunk)
            window = (tail + chunk).upper()
            if any(marker in window for marker in _UNSAFE_XML):
                raise ValidationError(
                    _("Excel 文件含有不安全的 XML 声明（DOCTYPE/ENTITY），已拒绝")
                )
            if member.filename.startswith("xl/worksheets/"):
                for match in _DIMENSION.finditer(tail + chunk):
                    max_row = max(max_row, int(match.group(4) or match.group(2) or 0))
                    max_col = max(max_col, _column_number(match.group(3) or match.group(1)))
                for match in _CELL_REF.finditer(tail + chunk):
                    max_col = max(max_col, _column_number(match.group(1)))
                    max_row = max(max_row, int(match.group(2)))
            tail = chunk[-64:]
    if max_row * max(max_col, 1) > MAX_CELLS:
        raise ValidationError(
            _("工作表范围过大（%(rows)d 行 × %(cols)d 列），请删除多余的空行空列后重新上传")
            % {"rows": max_row, "cols": max_col}
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number
