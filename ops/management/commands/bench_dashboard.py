"""How fast the province dashboard is at the scale of a real province.

Generates institutions, inspections (and the problems some of them found) with the scale
generator (ops/scale: COPY) inside one transaction, requests the province dashboard as province staff through Django's test
client, times the bare SQL aggregates the dashboard needs in the same process, prints both
medians and their ratio, and rolls everything back: the database is left as it was.

    python manage.py bench_dashboard                # 120,000 institutions, 500,000 inspections
    python manage.py bench_dashboard --institutions 2000 --inspections 8000 --requests 5
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Left
from django.test import Client
from django.utils import timezone

from accounts.models import User
from campaign.models import Campaign
from campaign.selectors import campaign_scope
from clock.models import JobRun, RegionOverdue
from core.models import Region
from inspections.models import Finding, Inspection
from institutions.models import Institution
from ops import scale
from progress import dashboards


class Rollback(Exception):
    pass


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Command(BaseCommand):
    help = "省级工作台性能测试：在回滚的事务中生成数据，报告 20 次请求的中位数与裸 SQL 用时"

    def add_arguments(self, parser):
        parser.add_argument("--institutions", type=int, default=120_000)
        parser.add_argument("--inspections", type=int, default=500_000)
        parser.add_argument("--requests", type=int, default=20)
        parser.add_argument("--province", default="140000")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument(
            "--explain", action="store_true", help="print the plans of the SQL aggregates"
        )
        parser.add_argument(
            "--profile", action="store_true", help="print a profile of one dashboard request"
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("性能测试需要 PostgreSQL（DATABASE_URL）")
        if options["institutions"] < 1 or options["inspections"] < 0 or options["requests"] < 1:
            raise CommandError("机构数、请求次数须为正整数，检查记录数不能为负")
        try:
            with transaction.atomic():
                self.run(options)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write("rolled back: nothing generated was kept")

    # -- generate --------------------------------------------------------------------

    def run(self, options):
        started = time.perf_counter()
        province_code = options["province"]
        # The one scale generator (ops/scale) makes the register, the screening and its
        # problems, and the province's confirmed draw; no fees, staff or complaints, which
        # the province board does not read.
        scale.generate(
            scale.Plan(
                institutions=options["institutions"], inspections=options["inspections"],
                staff_per_institution=0, fee_records=0, complaints=0, answers="findings",
                provinces=[province_code[:2]], city_draws=False, seed=options["seed"],
                year=timezone.localdate().year,
            ),
            write=self.stdout.write,
        )  # fmt: skip
        province = Region.objects.get(code=province_code)
        campaign = Campaign.objects.filter(province=province).order_by("-starts_on").first()
        self.counties = list(
            Region.objects.filter(level=Region.Level.COUNTY, code__startswith=province.prefix)
            .order_by("code")
            .values_list("code", flat=True)
        )
        staff = User.objects.get(username=f"scale-province-{province_code}")
        self.flags(campaign)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"data ready in {time.perf_counter() - started:.1f} s")
        self.measure(staff, campaign, province, options["requests"], options["explain"])
        if options["profile"]:
            self.profile(staff)
        dashboards.forget_summary(campaign)

    def flags(self, campaign):
        """A late flag on every fifth county and a job run, so the page shows all it can."""
        screening = campaign.phases.get(kind="county_screening")
        now = timezone.now()
        RegionOverdue.objects.bulk_create(
            RegionOverdue(
                campaign=campaign,
                phase=screening,
                region_id=code,
                deadline=screening.deadline,
                since=now,
                missing=f"{code}：尚未排查完毕",
            )
            for code in self.counties[::5]
        )
        JobRun.objects.create(campaign=campaign, moment=now)

    # -- measure ---------------------------------------------------------------------

    def profile(self, staff):
        import cProfile
        import io
        import pstats

        client = Client(HTTP_HOST="localhost")
        client.force_login(staff)
        profiler = cProfile.Profile()
        profiler.runcall(client.get, "/")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        self.stdout.write(out.getvalue())

    def measure(self, staff, campaign, province, requests: int, explain: bool = False):
        # The first allowed host, as a browser on the intranet would name it.
        host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
        client = Client(HTTP_HOST=host)
        client.force_login(staff)
        dashboards.forget_summary(campaign)
        begin = time.perf_counter()
        response = client.get(
            "/"
        )  # adds the province up and keeps it  # warm: templates, translations, the first plans
        if response.status_code != 200 or 'data-testid="board-province"' not in response.text:
            raise CommandError(f"省级工作台未正常显示（HTTP {response.status_code}）")
        first = time.perf_counter() - begin
        pages = []
        for _ in range(requests):
            begin = time.perf_counter()
            client.get("/")
            pages.append(time.perf_counter() - begin)
        # The statements that add the province up (the kept copy the page reads is made of
        # their rows), timed bare on the same connection.
        statements = dashboards.statements(
            campaign_scope(campaign), campaign, province.prefix, timezone.localdate()
        )
        bare = []
        with connection.cursor() as cursor:
            for sql, params in statements if explain else []:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                self.stdout.write("\n".join(row[0] for row in cursor.fetchall()))
            for _ in range(requests):
                begin = time.perf_counter()
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()
                bare.append(time.perf_counter() - begin)
        page_ms, sql_ms = _median_ms(pages), _median_ms(bare)
        # A city's board reads the same kept copy; a county's is added up live. The largest
        # of each, for comparison.
        others = {}
        for width, label in ((4, "city, kept copy"), (6, "county, live")):
            biggest = (
                Institution.objects.filter(county__code__startswith=province.prefix)
                .annotate(region=Left("county_id", width))
                .values("region")
                .annotate(n=Count("id"))
                .order_by("-n")
                .first()
            )
            code = biggest["region"].ljust(6, "0")
            samples = []
            for _ in range(min(requests, 5)):
                begin = time.perf_counter()
                client.get("/progress/", {"region": code})
                samples.append(time.perf_counter() - begin)
            others[label] = (code, biggest["n"], samples)
        counts = {
            "institutions": Institution.objects.count(),
            "inspections": Inspection.objects.count(),
            "problems": Finding.objects.count(),
        }
        self.stdout.write(", ".join(f"{k}={v:,}" for k, v in counts.items()))
        self.stdout.write(
            f"province dashboard: median {page_ms:.1f} ms of {requests} requests; "
            f"bare SQL aggregates: median {sql_ms:.1f} ms; ratio {page_ms / sql_ms:.2f}"
        )
        for label, (code, n, samples) in others.items():
            self.stdout.write(
                f"largest {label} ({code}, {n:,} institutions): "
                f"median {_median_ms(samples):.1f} ms of {len(samples)} requests"
            )
        self.stdout.write(
            f"first request (adds the province up and keeps it for "
            f"{dashboards.SUMMARY_MAX_AGE.seconds // 60} min): {first * 1000:.1f} ms"
        )
