"""The import pipeline every register shares: read → validate every row → plan → write once.

A subclass names its columns, how a row's key finds an existing record, which rows the
acting user may write (the scope), and how to write the plan. The base does the rest:
header location, cell parsing with row/column/reason errors, duplicate keys inside the
file, the create / update / unchanged plan, and progress reporting.

Policy: a blank cell in an optional column leaves the stored value alone, so a partial
sheet never wipes data; the key column decides create versus update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _

from .reading import (
    HEADER_SEARCH_ROWS,
    CellError,
    clean_text,
    column_letter,
    is_blank,
    locate_header,
    norm_header,
    read_sheets,
)
from .upload import CheckedUpload

MAX_REPORTED_ERRORS = 10_000
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written in the template, e.g. "机构名称"
    required: bool = False
    aliases: tuple[str, ...] = ()
    parse: Callable[[object], object] = clean_text
    note: str = ""  # shown in the template's instructions sheet

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class PlannedRow:
    row: int
    values: dict
    existing: object = None  # the stored record an update applies to
    changes: dict = field(default_factory=dict)  # field → (old, new)


@dataclass
class Plan:
    sheet: str = ""
    total_rows: int = 0
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self, describe: Callable[[PlannedRow], dict]) -> dict:
        """What the preview page shows and the import run keeps (JSON)."""
        return {
            "sheet": self.sheet,
            "errors": [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]],
            "errors_truncated": len(self.errors) > MAX_REPORTED_ERRORS,
            "creates": [describe(r) for r in self.creates[:PREVIEW_ROWS]],
            "updates": [describe(r) for r in self.updates[:PREVIEW_ROWS]],
        }


class ImportFileError(Exception):
    """The file as a whole cannot be imported (no header found, a required column missing)."""


class Importer:
    kind: str = ""
    columns: list[Column] = []
    key: str = ""  # the column whose value identifies a record

    def __init__(self, *, actor, progress: Callable[[int, int], None] | None = None):
        self.actor = actor
        self.progress = progress or (lambda done, total: None)
        self._labels: dict[str, str] = {}

    # -- what a subclass provides -------------------------------------------------------

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        """Cross-field and scope checks on one parsed row."""
        return ()

    def key_of(self, values: dict) -> object:
        """What identifies a row's record: the key column's value, unless a register keys
        records on more than one column (staff: institution and ID number)."""
        return values.get(self.key)

    def find_existing(self, keys: list) -> dict:
        """Stored records by key, for the keys in the file (fetched in bulk)."""
        raise NotImplementedError

    def check_existing(self, record, values: dict, row: int) -> Iterable[RowError]:
        """Checks that need the stored record (e.g. it lies outside the user's scope)."""
        return ()

    def diff(self, record, values: dict) -> dict:
        """field → (old, new) for every value that would change."""
        changes = {}
        for name, new in values.items():
            if name == self.key or new is None or new == "":
                continue
            old = getattr(record, name)
            if old != new:
                changes[name] = (old, new)
        return changes

    def write(self, plan: Plan) -> None:
        """Write the whole plan; called inside one transaction."""
        raise NotImplementedError

    def describe(self, planned: PlannedRow) -> dict:
        return {"row": planned.row, "values": {k: str(v) for k, v in planned.values.items()}}

    def outcome(self) -> dict:
        """What `write` leaves on the run's report beside the check's, in the same
        transaction (e.g. the accounts' initial passwords, encrypted, to hand out once)."""
        return {}

    # -- the pipeline -------------------------------------------------------------------

    def aliases(self) -> dict[str, str]:
        table = {}
        for column in self.columns:
            for name in (column.header, column.template_header, *column.aliases):
                table[norm_header(name)] = column.key
        return table

    def plan(self, upload: CheckedUpload) -> Plan:
        sheet, header, rows = self._open(upload)
        plan = Plan(sheet=sheet.name)
        by_key = {c.key: c for c in self.columns}
        self._labels = {
            key: self._label(by_key[key], index) for index, key in header.columns.items()
        }
        parsed: list[PlannedRow] = []
        first_seen: dict = {}
        data_start = sheet.first_row_number + header.row_offset + 1
        for offset, cells in enumerate(rows):
            row_number = data_start + offset
            if all(is_blank(c) for c in cells):
                continue
            plan.total_rows += 1
            values, errors = {}, []
            for index, key in header.columns.items():
                column = by_key[key]
                raw = cells[index] if index < len(cells) else None
                try:
                    value = column.parse(raw)
                except CellError as exc:
                    errors.append(RowError(row_number, self._label(column, index), str(exc)))
                    continue
                if column.required and (value is None or value == ""):
                    errors.append(RowError(row_number, self._label(column, index), _("必填项为空")))
                    continue
                values[key] = value
            if not errors:
                errors.extend(self.check_row(values, row_number))
            key_value = self.key_of(values) if not errors else None
            if key_value and not errors:
                if key_value in first_seen:
                    column = by_key[self.key]
                    errors.append(
                        RowError(
                            row_number,
                            self._label(column, self._index_of(header, self.key)),
                            _("与第 %(row)d 行重复") % {"row": first_seen[key_value]},
                        )
                    )
                else:
                    first_seen[key_value] = row_number
            if errors:
                plan.error_rows += 1
                plan.errors.extend(errors)
            else:
                parsed.append(PlannedRow(row_number, values))
            if plan.total_rows % 1000 == 0:
                self.progress(plan.total_rows, 0)
        self._plan_against_store(plan, parsed)
        return plan

    def _plan_against_store(self, plan: Plan, parsed: list[PlannedRow]) -> None:
        existing: dict = {}
        keys = [self.key_of(p.values) for p in parsed]
        for chunk_start in range(0, len(keys), 5000):
            existing.update(self.find_existing(keys[chunk_start : chunk_start + 5000]))
        for planned in parsed:
            record = existing.get(self.key_of(planned.values))
            if record is None:
                plan.creates.append(planned)
                continue
            errors = list(self.check_existing(record, planned.values, planned.row))
            if errors:
                plan.error_rows += 1
                plan.errors.extend(errors)
                continue
            planned.existing = record
            planned.changes = self.diff(record, planned.values)
            if planned.changes:
                plan.updates.append(planned)
            else:
                plan.unchanged += 1
        plan.errors.sort(key=lambda e: e.row)

    def _open(self, upload: CheckedUpload):
        aliases = self.aliases()
        required = {c.key for c in self.columns if c.required}
        best = None
        for sheet in read_sheets(upload):
            head = list(islice(sheet.rows, HEADER_SEARCH_ROWS))
            header = locate_header(head, aliases)
            if header and required <= set(header.columns.values()):
                rest = head[header.row_offset + 1 :]
                return sheet, header, _chain(rest, sheet.rows)
            if header and (best is None or len(header.columns) > len(best[1].columns)):
                best = (sheet, header)
        if best is None:
            raise ImportFileError(
                _("没有找到表头：前 %(n)d 行中没有“%(example)s”等列名，请使用导入模板")
                % {"n": HEADER_SEARCH_ROWS, "example": self.columns[0].header}
            )
        missing = [
            c.template_header
            for c in self.columns
            if c.required and c.key not in best[1].columns.values()
        ]
        raise ImportFileError(
            _("工作表“%(sheet)s”缺少必填列：%(columns)s")
            % {"sheet": best[0].name, "columns": "、".join(missing)}
        )

    def label(self, key: str) -> str:
        """How a column is named in error messages: its header and its letter, e.g. 类别（D列）."""
        return self._labels.get(key) or next(c.header for c in self.columns if c.key == key)

    @staticmethod
    def _label(column: Column, index: int) -> str:
        return f"{column.header}（{column_letter(index)}列）"

    @staticmethod
    def _index_of(header, key: str) -> int:
        return next(i for i, k in header.columns.items() if k == key)


def _chain(first: list, rest):
    yield from first
    yield from rest
