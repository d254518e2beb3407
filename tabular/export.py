"""One export base for every ledger (台账): a class that yields rows, rendered to xlsx or csv.

No cell ever reaches Excel as a formula: text that begins with = + - @ (or a tab or
carriage return, which Excel also treats as a formula start) gets a leading apostrophe.
The importer removes that apostrophe again, so an exported ledger re-imports unchanged.

No cell carries a character XML cannot hold either (`xml_text`): one stored before the forms
refused it would otherwise make openpyxl fail the whole file. Every sheet prints on A4,
fitted to the page width, its header row repeated on each page and filterable.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# Word's soft line break (U+000B) and page break (U+000C), the usual way such characters
# arrive (pasted text), stay line breaks, and so does NEL (U+0085); the rest of what XML 1.0
# cannot hold goes: the C0 controls but tab, line feed and carriage return (openpyxl's
# ILLEGAL_CHARACTERS_RE), lone surrogates, U+FFFE and U+FFFF. DEL and the C1 controls go
# too (XML takes them, but a csv should carry no raw control character, and the forms
# refuse the same set: core/text.py).
_BREAKS = re.compile(r"[\x0b\x0c\x85]")
_NOT_XML = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

# Wider than this (in column-width units, about 0.19 cm each) a sheet does not fit an
# upright A4 page between Excel's default margins: it prints landscape.
_PORTRAIT_WIDTH = 90
_A4 = 9  # the paperSize code of A4 in SpreadsheetML


def xml_text(text: str) -> str:
    """`text` with no character an xlsx, docx or PDF writer cannot take (see `_NOT_XML`)."""
    if text.isprintable():  # the common case, decided in C: a ledger has millions of cells
        return text
    return _NOT_XML.sub("", _BREAKS.sub("\n", text))


def safe_cell(value: object) -> object:
    """A value as it may go into a spreadsheet cell: never a formula, never a float for money,
    never a character XML cannot hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        # Cleaned first: a control character removed must not leave a formula at the start.
        value = xml_text(value)
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    if isinstance(value, Decimal | int | float | dt.date | dt.datetime):
        return value
    return safe_cell(str(value))


class ListExporter:
    """Subclasses set `headers`, `widths` (optional) and implement `rows()`."""

    sheet_title: str = "Sheet1"
    headers: list[str] = []
    widths: list[int] = []

    def title_line(self) -> str:
        """The line above the header naming what, where and when; empty for none."""
        return ""

    def summary(self) -> list[tuple[str, object]]:
        """Label–value lines between the title and the header (a record's parameters)."""
        return []

    def rows(self) -> Iterator[Iterable[object]]:
        raise NotImplementedError

    def row_count(self) -> int | None:
        """How many rows `rows()` will yield, for a background run's progress; None if unknown.

        Most ledgers list one queryset; a ledger that adds rows of its own may overstate
        or understate, and the run then simply finishes at its real count.
        """
        queryset = getattr(self, "queryset", None)
        return queryset.count() if queryset is not None else None

    def _counted_rows(self, progress: Callable[[int], None] | None, every: int):
        written = 0
        for row in self.rows():
            yield row
            written += 1
            if progress is not None and written % every == 0:
                progress(written)
        if progress is not None:
            progress(written)

    def to_xlsx(self) -> bytes:
        buffer = io.BytesIO()
        self.write_xlsx(buffer)
        return buffer.getvalue()

    def write_xlsx(
        self, target: IO[bytes], *, progress: Callable[[int], None] | None = None, every: int = 500
    ) -> None:
        """Write the workbook to `target`; `progress(rows_written)` every `every` rows and at the end."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(self.sheet_title[:31])
        widths = self.widths or [16] * len(self.headers)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        title, summary = self.title_line(), self.summary()
        header_row = 1 + bool(title) + (len(summary) + 1 if summary else 0)
        # A write-only sheet writes its view and properties with the first row: freeze and
        # set up the printing before appending.
        sheet.freeze_panes = f"A{header_row + 1}"
        _print_setup(sheet, header_row=header_row, landscape=sum(widths) > _PORTRAIT_WIDTH)
        if title:
            cell = WriteOnlyCell(sheet, value=safe_cell(title))
            cell.font = Font(bold=True, size=13)
            sheet.append([cell])
        if summary:
            for label, value in summary:
                cell = WriteOnlyCell(sheet, value=safe_cell(label))
                cell.font = Font(bold=True)
                sheet.append([cell, safe_cell(value)])
            sheet.append([])
        header = []
        for name in self.headers:
            cell = WriteOnlyCell(sheet, value=safe_cell(name))
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            header.append(cell)
        sheet.append(header)
        last_row = header_row
        for row in self._counted_rows(progress, every):
            sheet.append([safe_cell(v) for v in row])
            last_row += 1
        # The filter is written after the rows (the sheet's tail), so it can name them all.
        last_column = get_column_letter(max(len(self.headers), 1))
        sheet.auto_filter.ref = f"A{header_row}:{last_column}{last_row}"
        workbook.save(target)

    def to_csv(self) -> bytes:
        buffer = io.BytesIO()
        self.write_csv(buffer)
        return buffer.getvalue()

    def write_csv(
        self, target: IO[bytes], *, progress: Callable[[int], None] | None = None, every: int = 500
    ) -> None:
        # UTF-8 with a byte-order mark: Excel on Chinese Windows opens it without mojibake.
        text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
        text.write("\ufeff")
        writer = csv.writer(text)
        if summary := self.summary():
            for label, value in summary:
                writer.writerow([safe_cell(label), _csv_text(safe_cell(value))])
            writer.writerow([])
        writer.writerow([safe_cell(h) for h in self.headers])
        starts, other = _FORMULA_STARTS, _csv_cell
        # `_csv_cell` for every cell, with printable text (most cells) decided inline: a
        # 100,000-row ledger has 1.4 million cells, and a call per cell was a third of the
        # export. Text with a line break or a control character takes `safe_cell`'s way.
        writer.writerows(
            [
                ("'" + v if v.startswith(starts) else v)
                if type(v) is str and v.isprintable()
                else other(v)
                for v in row
            ]
            for row in self._counted_rows(progress, every)
        )
        text.detach()  # leave `target` open for the caller


def _print_setup(sheet, *, header_row: int, landscape: bool) -> None:
    """A4, as wide as the page, the header row on every printed page."""
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    setup = sheet.page_setup
    setup.paperSize = _A4
    setup.orientation = "landscape" if landscape else "portrait"
    # As many pages down as the rows need, one across: no column printed on its own page.
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.print_options.horizontalCentered = True


def _csv_cell(value: object) -> object:
    """`_csv_text(safe_cell(value))` of a cell that is not printable text, numbers first."""
    kind = type(value)
    if kind is int or kind is Decimal:
        return value
    return _csv_text(safe_cell(value))


def _csv_text(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
