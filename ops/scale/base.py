"""The plumbing every table of the scale data set shares: sizes, ids, COPY, timing."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

# The national figures, per 120,000 institutions.
PER_INSTITUTION_INSPECTIONS = 500_000 / 120_000
PER_INSTITUTION_FEES = 2_000_000 / 120_000


@dataclass
class Plan:
    """How much of everything to make; all derived from the number of institutions."""

    institutions: int
    staff_per_institution: float = 10.0
    inspections: int | None = None
    fee_records: int | None = None
    complaints: int | None = None
    provinces: list[str] = field(default_factory=lambda: ["14"])
    # "all": every applicable item of every submitted inspection (79 a form, ~40M rows at
    # national scale); "findings": only the non-compliant answers the problems point at.
    answers: str = "all"
    year: int = 2026
    seed: int = 2023
    # A confirmed draw in every province, and in every city of the first province.
    draws: bool = True
    city_draws: bool = True

    def __post_init__(self):
        n = self.institutions
        if self.inspections is None:
            self.inspections = round(n * PER_INSTITUTION_INSPECTIONS)
        if self.fee_records is None:
            self.fee_records = round(n * PER_INSTITUTION_FEES)
        if self.complaints is None:
            self.complaints = max(1, n // 4)


class Run:
    """Random source, progress lines and the seconds spent per table."""

    def __init__(self, plan: Plan, write=None):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.write = write or (lambda line: None)
        self.times: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._started = time.perf_counter()

    def step(self, label: str):
        return _Step(self, label)


class _Step:
    def __init__(self, run: Run, label: str):
        self.run, self.label = run, label

    def __enter__(self):
        self.begin = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False
        seconds = time.perf_counter() - self.begin
        self.run.times[self.label] = self.run.times.get(self.label, 0) + seconds
        total = time.perf_counter() - self.run._started
        count = self.run.counts.get(self.label)
        shown = f"{count:>12,} rows" if count is not None else " " * 17
        self.run.write(f"  {self.label:<28}{shown}{seconds:>9.1f} s   (total {total:.0f} s)")
        return False


def next_ids(table: str, n: int) -> list[int]:
    """n ids from the table's own sequence, so rows can point at each other before COPY."""
    if n <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, n],
        )
        last = cursor.fetchone()[0]
    return list(range(last - n + 1, last + 1))


def copy_rows(table: str, columns: list[str], rows: Iterable) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def weighted_counties(rng: random.Random, counties: list[tuple[str, str]]) -> list[float]:
    """Urban districts hold several times the institutions of a rural county."""
    return [(6.0 if name.endswith("区") else 1.0) * rng.uniform(0.5, 1.5) for _, name in counties]


class indexes_deferred:
    """Drop a table's secondary indexes (and the unique constraints they back) for a bulk
    load and build them again afterwards: one sort per index instead of 40M random inserts.
    The primary key stays (other tables' foreign keys need it)."""

    def __init__(self, table: str):
        self.table = table

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u'",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND c.oid IS NULL",
                [self.table],
            )
            self.indexes = cursor.fetchall()
            for name, _definition in self.constraints:
                cursor.execute(f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{name}"')
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False  # the transaction rolls back, the indexes with it
        with connection.cursor() as cursor:
            for name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{name}" {definition}')
            for _name, definition in self.indexes:
                cursor.execute(definition)
        return False
