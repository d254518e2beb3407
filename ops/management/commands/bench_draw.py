"""Benchmark: a province draw over N institutions, beside the bare floor in the same run.

The floor is the one thing any draw must do: fetch the frame (id, county, category,
sector of every operating institution in the province) with raw SQL. Everything runs
inside a transaction that is rolled back: no institution, user or draw is left behind.

    python manage.py bench_draw --institutions 120000
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.scope import Scope
from accounts.services import grant_add
from campaign.models import Campaign
from core.models import Region
from institutions.models import Institution
from ops import scale
from sampling import services

FLOOR_SQL = """
SELECT id, county_id, category, sector FROM institutions_institution
WHERE status = 'operating' AND county_id LIKE %s ORDER BY id
"""


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "抽样速度基准：在 N 家机构上做省级抽样（含检查组），对比直接 SQL 读取抽样框的下限"

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=int, default=120_000)
        parser.add_argument("--inspectors", type=int, default=120)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, institutions, inspectors, repeat, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("基准需要 PostgreSQL（设置 DATABASE_URL）")
        if not Region.objects.filter(code="140000").exists():
            raise CommandError("请先运行 python manage.py load_regions --province 140000")
        try:
            with transaction.atomic():
                self._run(institutions, inspectors, repeat)
                raise _Rollback
        except _Rollback:
            self.stdout.write("(rolled back: nothing left in the database)")

    def _run(self, total, inspectors, repeat):
        started = time.perf_counter()
        # The institutions come from the one scale generator (ops/scale), without the work
        # on them: a draw reads only the register.
        scale.generate(
            scale.Plan(institutions=total, staff_per_institution=0, inspections=0,
                       fee_records=0, complaints=0, answers="findings", draws=False,
                       provinces=["14"], year=timezone.localdate().year)
        )  # fmt: skip
        counties = list(Region.objects.filter(level="county", code__startswith="14"))
        campaign = Campaign.objects.filter(province_id="140000").order_by("-starts_on").first()
        staff = User.objects.create(username="bench-province")
        grant_add(user=staff, role="province_staff", region_code="140000")
        round_ = services.sampling_round(
            campaign=campaign, region=Region.objects.get(code="140000")
        )
        scope = Scope.for_user(staff)
        for n in range(inspectors):
            person = User.objects.create(username=f"bench-inspector-{n}")
            county = counties[n % len(counties)]
            department = ["education", "fire", "sports", "culture_tourism", "science"][n % 5]
            grant_add(
                user=person, role="county_officer", region_code=county.code, department=department
            )
            services.pool_add(round_=round_, user=person, actor=staff, scope=scope)
        frame_size = Institution.objects.filter(
            status="operating", county__code__startswith="14"
        ).count()
        self.stdout.write(
            f"set up {frame_size:,} operating institutions, {inspectors} inspectors "
            f"in {time.perf_counter() - started:.1f} s"
        )

        floor, draws, verifies = [], [], []
        for n in range(repeat):
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, ["14%"])
                fetched = cursor.fetchall()
            floor.append(time.perf_counter() - t0)
            assert len(fetched) == frame_size
            t0 = time.perf_counter()
            draw = services.draw_preview(
                round_=round_, actor=staff, scope=scope, seed=str(n),
                redraw_reason="基准重复" if n else "",
            )  # fmt: skip
            draws.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert services.draw_verify(draw) == []
            verifies.append(time.perf_counter() - t0)
        median = statistics.median
        self.stdout.write(
            f"frame {draw.frame_size:,}; required {draw.required_institutions:,}; "
            f"drawn {len(draw.institutions):,} with teams of {inspectors} inspectors\n"
            f"{'':<42}{'median s':>10}\n"
            f"{'floor: raw SQL fetch of the frame':<42}{median(floor):>10.3f}\n"
            f"{'province draw (frame, draw, teams, save)':<42}{median(draws):>10.3f}\n"
            f"{'verify (recompute from stored frame)':<42}{median(verifies):>10.3f}\n"
            f"draw / floor = {median(draws) / median(floor):.1f}x over {repeat} runs"
        )  # fmt: skip
