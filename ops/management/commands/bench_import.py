"""Benchmark: import N institutions from an .xlsx, beside the bare floor on the same file.

The floor is what any importer must at least do: read the sheet with openpyxl in read-only
mode and COPY the parsed rows into PostgreSQL. Each phase runs in its own process so its
peak memory is its own. Nothing is left behind: the import runs inside a transaction that
is rolled back, and the generated file is deleted.

    python manage.py bench_import --rows 100000
"""

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from openpyxl import Workbook, load_workbook

from core.models import Region
from institutions.importers import COLUMNS
from ops.demo.institutions import credit_code


class Command(BaseCommand):
    help = "导入速度基准：生成 N 行机构表格，对比 openpyxl 只读读取 + PostgreSQL COPY 的下限"

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--phase", choices=["floor", "import"], help=argparse_hidden())
        parser.add_argument("--file", help=argparse_hidden())

    def handle(self, *args, rows, phase, file, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("基准需要 PostgreSQL（设置 DATABASE_URL）")
        if phase:
            result = {"floor": _floor, "import": _import}[phase](Path(file))
            result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(json.dumps(result))
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.xlsx"
            started = time.perf_counter()
            _generate(path, rows)
            self.stdout.write(
                f"generated {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
            )
            floor = self._phase("floor", path)
            ours = self._phase("import", path)
        ratio = ours["rows_per_s"] / floor["rows_per_s"]
        self.stdout.write(
            f"{'':<34}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}\n"
            f"{'floor: openpyxl read-only + COPY':<34}{floor['seconds']:>9.1f}{floor['rows_per_s']:>10,.0f}{floor['peak_mb']:>9.0f}\n"
            f"{'import (check + write, 1 txn)':<34}{ours['seconds']:>9.1f}{ours['rows_per_s']:>10,.0f}{ours['peak_mb']:>9.0f}\n"
            f"  of which check {ours['check_seconds']:.1f} s, write {ours['write_seconds']:.1f} s; "
            f"created {ours['created']:,}\n"
            f"import rate / floor rate = {ratio:.0%}"
        )  # fmt: skip

    def _phase(self, phase: str, path: Path) -> dict:
        output = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", "bench_import", "--phase", phase, "--file", str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if output.returncode:
            raise CommandError(f"{phase} phase failed:\n{output.stderr[-3000:]}")
        return json.loads(output.stdout.strip().splitlines()[-1])


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def _generate(path: Path, rows: int) -> None:
    rng = random.Random(100_000)
    # "阳泉市城区": two counties are both called 城区, so the sheet names the city too.
    found = Region.objects.filter(level="county", code__startswith="14").select_related("parent")
    codes = {f"{c.parent.name}{c.name}": c.code for c in found}
    counties = list(codes)
    if not counties:
        raise CommandError("请先运行 load_regions --province 140000")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("机构名录")
    sheet.append([c.template_header for c in COLUMNS])
    for i in range(rows):
        county = rng.choice(counties)
        subject = rng.random() < 0.2
        sheet.append([
            f"{county}第{i}号培训学校", credit_code(rng, codes[county]), f"教民{i:010d}号",
            "学科类" if subject else "非学科类", "" if subject else rng.choice(["体育", "文化艺术", "科技", "其他"]),
            county, f"{county}某某路{i % 500}号", "张三", f"0351{i % 10_000_000:07d}",
            round(rng.uniform(80, 2000), 2), rng.randint(20, 500), rng.choice(["是", "否"]), "正常", f"P{i:08d}",
        ])  # fmt: skip
    book.save(path)


def _floor(path: Path) -> dict:
    started = time.perf_counter()
    book = load_workbook(path, read_only=True)
    sheet = book.active
    parsed = [
        tuple("" if v is None else v for v in row)
        for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    book.close()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_floor ("
            + ", ".join(f"c{i} text" for i in range(len(COLUMNS)))
            + ")"
        )
        with cursor.copy("COPY bench_floor FROM STDIN") as copy:
            for row in parsed:
                copy.write_row([str(v) for v in row])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows_per_s": len(parsed) / seconds}


def _import(path: Path) -> dict:
    from accounts.models import User
    from accounts.services import grant_add
    from tabular import runs
    from tabular.models import ImportRun

    with transaction.atomic():
        actor = User.objects.create(username="bench-import-admin")
        grant_add(user=actor, role="admin", region_code="140000")
        started = time.perf_counter()
        run = runs.import_run_create(
            actor=actor,
            kind=ImportRun.Kind.INSTITUTIONS,
            file_name="bench.xlsx",
            data=path.read_bytes(),
        )
        run = runs.import_run_check(run_id=run.pk)
        checked = time.perf_counter()
        if run.error_count or not runs.import_run_confirm(run=run, actor=actor):
            raise CommandError(
                f"benchmark file had errors: {run.report.get('errors', [])[:3]} {run.message}"
            )
        run = runs.import_run_write(run_id=run.pk)
        finished = time.perf_counter()
        result = {
            "seconds": finished - started,
            "check_seconds": checked - started,
            "write_seconds": finished - checked,
            "rows_per_s": run.total_rows / (finished - started),
            "created": run.created_count,
        }
        run.file.delete(save=False)
        transaction.set_rollback(True)
    return result
