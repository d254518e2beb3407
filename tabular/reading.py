"""Rows out of a spreadsheet, the header found, and cells turned into clean values.

Government sheets are messy: a title row above the header, headers merged over two rows,
"机构名称 *" with spaces or full-width characters, numbers stored as text, codes typed with
full-width digits, Excel date serials, line breaks inside cells. Everything here is about
reading what a person meant, and saying plainly (in Chinese) when we cannot.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import python_calamine
from django.utils.translation import gettext as _

from core.text import control_character_message

from .upload import CheckedUpload

HEADER_SEARCH_ROWS = 15


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as the reason."""


@dataclass
class Sheet:
    name: str
    first_row_number: int  # the Excel row number of rows[0]
    rows: Iterator[list]


def read_sheets(upload: CheckedUpload) -> Iterator[Sheet]:
    """Every visible sheet of a workbook (one for a CSV), rows as lists of Python values."""
    if upload.kind == "csv":
        yield Sheet("CSV", 1, _csv_rows(upload.data))
        return
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(upload.data))
        visible = {
            m.name
            for m in workbook.sheets_metadata
            if m.visible == python_calamine.SheetVisibleEnum.Visible
        }
        sheets = [workbook.get_sheet_by_name(n) for n in workbook.sheet_names if n in visible]
    except Exception as exc:  # calamine raises several types (XmlError, ZipError, …)
        raise CellError(
            _("Excel 文件已损坏或格式不正确，无法读取（%(error)s）") % {"error": type(exc).__name__}
        ) from None
    for sheet in sheets:
        start_row = sheet.start[0] if sheet.start else 0
        start_col = sheet.start[1] if sheet.start else 0
        yield Sheet(sheet.name, start_row + 1, _padded(sheet.iter_rows(), start_col))


def _padded(rows: Iterator[list], start_col: int) -> Iterator[list]:
    # calamine starts a range at the first used cell; put the leading empty columns back
    # so column letters in error messages match what the user sees.
    if not start_col:
        yield from rows
        return
    for row in rows:
        yield [""] * start_col + list(row)


def _csv_rows(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CellError(_("CSV 文件编码无法识别，请另存为 UTF-8 或 GBK 编码"))
    text = text.replace("\x00", "")
    # Only the delimiter is guessed, from the first lines; quotes are always '"'. (A sniffed
    # quote character could be our own formula-guard apostrophe.)
    head = "\n".join(text.splitlines()[:5])
    delimiter = max(",\t;", key=head.count) if head else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        yield from reader
    except csv.Error as exc:
        raise CellError(
            _("CSV 文件格式错误（第 %(line)d 行）：%(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from None


# -- headers --------------------------------------------------------------------------


def norm_header(value: object) -> str:
    """'机构名称 *', '机构名称（必填）', '机 构 名 称' → '机构名称'."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[\s*]+", "", text)
    text = re.sub(r"\((必填|选填|必填项)\)$", "", text)
    return text.lower()


@dataclass
class HeaderMatch:
    row_offset: int  # index within the sheet's rows of the (last) header row
    columns: dict[int, str]  # column index → column key


def locate_header(head_rows: list[list], aliases: dict[str, str]) -> HeaderMatch | None:
    """Find the header among the first rows; it may span two rows (merged group headings).

    `aliases` maps normalised header text to column keys. The header is the row that names
    the most known columns; if the row below names further columns (a two-row header), the
    two are read together and data starts below the second.
    """
    best: HeaderMatch | None = None
    for index, row in enumerate(head_rows):
        found = _match_row(row, aliases)
        if not found:
            continue
        match = HeaderMatch(index, found)
        if index + 1 < len(head_rows):
            below = _match_row(head_rows[index + 1], aliases)
            # Two or more known names right below: the lower row holds the sub-headings of
            # merged groups ("联系方式" over 地址 | 联系电话); where both rows name the same
            # column key, the more specific lower one wins.
            if len(below) >= 2:
                upper = {
                    i: k for i, k in found.items() if k not in below.values() and i not in below
                }
                match = HeaderMatch(index + 1, {**upper, **below})
        if best is None or len(match.columns) > len(best.columns):
            best = match
    return best


def _match_row(row: list, aliases: dict[str, str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, cell in enumerate(row):
        key = aliases.get(norm_header(cell))
        if key and key not in found.values():
            found[index] = key
    return found


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- cells ----------------------------------------------------------------------------

_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
_CJK_BOUNDARY = re.compile(r"[^\x00-\x7f]")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\x00"))


def clean_text(value: object) -> str:
    """Trim, join broken lines, drop invisible characters, undo our own formula guard.

    Line breaks and tabs are read as what the person meant (one line, a space); any other
    control character is a CellError naming it (core.text, the rule every form applies).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.translate(_INVISIBLE)
    if isinstance(value, str) and not (
        "\n" in value or "\r" in value or "\t" in value or "\u3000" in value
    ):
        # The common case, kept cheap: one line of text.
        value = value.strip()
        value = _FORMULA_GUARD.sub("", value) if value.startswith("'") else value
        return _refuse_control(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    lines = [line.strip() for line in str(value).replace("\r", "\n").split("\n")]
    text = ""
    for line in filter(None, lines):
        # Chinese text broken over lines joins without a space; Latin text gets one.
        joiner = (
            "" if not text or _CJK_BOUNDARY.match(text[-1]) or _CJK_BOUNDARY.match(line[0]) else " "
        )
        text += joiner + line
    text = text.replace("\u3000", " ").replace("\t", " ").strip()
    return _refuse_control(_FORMULA_GUARD.sub("", text))


def _refuse_control(text: str) -> str:
    # isprintable() is the cheap test (a C loop) that passes nearly every cell.
    if not text.isprintable() and (message := control_character_message(text)):
        raise CellError(message)
    return text


def clean_code(value: object) -> str:
    """Codes typed with full-width characters, spaces or dashes: 'ＡＢ 12-3' → 'AB123'."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise CellError(
                _("编码被 Excel 存成了数字（可能已丢失末尾数字），请把该列设为文本后重新填写")
            )
        value = int(value)
    text = clean_text(value)
    if text.isascii() and text.isalnum():
        return text.upper()
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()


def parse_int(value: object) -> int | None:
    if is_blank(value):
        return None
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise CellError(_("应为整数"))
    if number < 0:
        raise CellError(_("不能为负数"))
    return int(number)


def parse_decimal(value: object) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("应为数字"))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(",", "")
    text = re.sub(r"(平方米|㎡|m2|元|人|个)$", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s”不是数字") % {"value": clean_text(value)}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s”不是数字") % {"value": clean_text(value)})
    return number


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> dt.date | None:
    """Dates as Excel keeps them (cells, serial numbers, text in the usual Chinese forms)."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's own range: 1900-01-01 … 9999-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(_("日期数值超出范围"))
    text = unicodedata.normalize("NFKC", clean_text(value))
    if text.isdigit() and len(text) <= 5:
        return parse_date(int(text))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not match:
        raise CellError(_("“%(value)s”不是日期，请写成 2023-11-30") % {"value": text})
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(_("“%(value)s”不是有效日期") % {"value": text}) from None


_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓", "对"}
_NO = {"否", "无", "n", "no", "false", "0", "×", "x", "不是"}


def parse_bool(value: object) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", clean_text(value)).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(_("“%(value)s”应填“是”或“否”") % {"value": clean_text(value)})


def choice_parser(choices: dict[str, str], label: str):
    """A parser mapping Chinese labels (and their variants) to stored values.

    The variants are normalised once here, not once per cell: a 100,000-row sheet calls
    the parser for every row.
    """
    table = {norm_header(key): stored for key, stored in choices.items()}
    options = "、".join(dict.fromkeys(k for k in choices if not k.isascii()))

    def parse(value: object) -> str | None:
        if is_blank(value):
            return None
        found = table.get(value) if isinstance(value, str) else None
        if found is None:
            found = table.get(norm_header(value))
        if found is None:
            raise CellError(
                _("“%(value)s”不是有效的%(label)s，可填：%(options)s")
                % {"value": clean_text(value), "label": label, "options": options}
            )
        return found

    return parse
