"""One export base for every ledger (台账): a class that yields rows, rendered to xlsx or csv.

No cell ever reaches Excel as a formula: text that begins with = + - @ (or a tab or
carriage return, which Excel also treats as a formula start) gets a leading apostrophe.
The importer removes that apostrophe again, so an exported ledger re-imports unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def safe_cell(value: object) -> object:
    """A value as it may go into a spreadsheet cell: never a formula, never a float for money."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
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
        for index, width in enumerate(self.widths or [16] * len(self.headers), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        title, summary = self.title_line(), self.summary()
        header_row = 1 + bool(title) + (len(summary) + 1 if summary else 0)
        # A write-only sheet writes its view with the first row: freeze before appending.
        sheet.freeze_panes = f"A{header_row + 1}"
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
        for row in self._counted_rows(progress, every):
            sheet.append([safe_cell(v) for v in row])
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
        # `_csv_cell` for every cell, with text (most cells) decided inline: a 100,000-row
        # ledger has 1.4 million cells, and a call per cell was a third of the export.
        writer.writerows(
            [("'" + v if v.startswith(starts) else v) if type(v) is str else other(v) for v in row]
            for row in self._counted_rows(progress, every)
        )
        text.detach()  # leave `target` open for the caller


def _csv_cell(value: object) -> object:
    """`_csv_text(safe_cell(value))` of a cell that is not text, numbers decided first."""
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
