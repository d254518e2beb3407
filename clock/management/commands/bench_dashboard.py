"""How fast the province dashboard is at the scale of a real province.

Generates institutions, inspections (and the problems some of them found) with COPY inside
one transaction, requests the province dashboard as province staff through Django's test
client, times the bare SQL aggregates the dashboard needs in the same process, prints both
medians and their ratio, and rolls everything back: the database is left as it was.

    python manage.py bench_dashboard                # 120,000 institutions, 500,000 inspections
    python manage.py bench_dashboard --institutions 2000 --inspections 8000 --requests 5
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Left
from django.test import Client
from django.utils import timezone

from accounts.models import RoleGrant, User
from accounts.roles import Department, Role, Sector
from campaign.models import ChecklistItem
from campaign.services import campaign_seed_2023
from clock import dashboards
from clock.models import JobRun, RegionOverdue
from clock.selectors import campaign_scope
from inspections.models import Answer, Finding, Inspection, RectificationTask, Round
from institutions.models import Institution, Region
from institutions.services import regions_load
from sampling.models import Draw


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
        self.rng = random.Random(options["seed"])
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
        if not Region.objects.filter(code=province_code).exists():
            regions_load(province_code=province_code)
        province = Region.objects.get(code=province_code)
        campaign = campaign_seed_2023(province_code=province_code)[0]
        self.counties = list(
            Region.objects.filter(level=Region.Level.COUNTY, code__startswith=province.prefix)
            .order_by("code")
            .values_list("code", flat=True)
        )
        officer = User.objects.create(username="bench-officer", full_name="bench")
        staff = User.objects.create(username="bench-province", full_name="bench")
        RoleGrant.objects.create(
            user=staff, role=Role.PROVINCE_STAFF, region=province, department=Department.EDUCATION
        )
        rounds = {}
        for code in self.counties:
            rounds[code] = Round.objects.get_or_create(
                campaign=campaign, level=Round.Level.COUNTY, region_id=code
            )[0].pk
        template = campaign.checklists.filter(is_active=True).order_by("-version").first()
        items = list(ChecklistItem.objects.filter(template=template).values_list("pk", "section"))

        institutions = self.institutions(options["institutions"])
        self.stdout.write(
            f"generated {len(institutions):,} institutions ({time.perf_counter() - started:.1f} s)"
        )
        inspections = self.inspections(
            options["inspections"], institutions, rounds, template.pk, officer.pk, campaign
        )
        self.stdout.write(
            f"generated {options['inspections']:,} inspections "
            f"({time.perf_counter() - started:.1f} s)"
        )
        findings = self.findings(inspections, items, officer.pk)
        self.stdout.write(
            f"generated {findings:,} problems ({time.perf_counter() - started:.1f} s)"
        )
        self.sample_and_flags(campaign, province, institutions, staff)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"data ready in {time.perf_counter() - started:.1f} s")
        self.measure(staff, campaign, province, options["requests"], options["explain"])
        if options["profile"]:
            self.profile(staff)
        dashboards.forget_summary(campaign)

    def _ids(self, model, n: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, n],
            )
            return [row[0] for row in cursor.fetchall()]

    def _copy(self, model, columns: list[str], rows) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        table = model._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def institutions(self, n: int) -> list[tuple[int, str, str]]:
        """(id, county, status) of n institutions spread unevenly over the counties."""
        rng, now = self.rng, timezone.now()
        weights = [rng.uniform(0.3, 3.0) for _ in self.counties]
        ids = self._ids(Institution, n)
        sectors = [*Sector.values]
        made, rows = [], []
        for index, pk in enumerate(ids):
            county = rng.choices(self.counties, weights)[0]
            subject = rng.random() < 0.2
            status = "operating" if rng.random() < 0.95 else rng.choice(["suspended", "closed"])
            made.append((pk, county, status))
            rows.append(
                (
                    pk, f"性能测试培训学校{index}号", f"BENCH{index:013d}", county,
                    "subject" if subject else "non_subject",
                    "" if subject else rng.choice(sectors), rng.random() < 0.3,
                    "", "offline", "", "", "", status, "", now, now,
                )
            )  # fmt: skip
        self._copy(
            Institution,
            ["id", "name", "credit_code", "county_id", "category", "sector", "is_risky",
             "permit_number", "mode", "address", "legal_representative", "phone", "status",
             "platform_number", "created_at", "updated_at"],
            rows,
        )  # fmt: skip
        return made

    def inspections(self, n, institutions, rounds, template_id, officer_id, campaign):
        """n inspections: about 85% of operating institutions screened (submitted over the
        campaign's first 30 days), the rest re-inspections and drafts of the same ones."""
        rng = self.rng
        start = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time(8)))
        operating = [i for i in institutions if i[2] == "operating"]
        screened = [i for i in operating if rng.random() < 0.85] or operating[:1]
        ids = self._ids(Inspection, n)
        made, rows = [], []
        for index, pk in enumerate(ids):
            institution = screened[index] if index < len(screened) else rng.choice(screened)
            submitted = index < len(screened) or rng.random() < 0.7
            at = start + dt.timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
            status = "submitted" if submitted else "draft"
            result = rng.choice(["compliant", "compliant", "rectify"]) if submitted else ""
            made.append((pk, institution[0], status, at))
            rows.append(
                (
                    pk, rounds[institution[1]], institution[0], template_id, False, False, "[]",
                    status, result, "", at, at if submitted else None, officer_id, at, 1,
                )
            )  # fmt: skip
        self._copy(
            Inspection,
            ["id", "round_id", "institution_id", "checklist_id", "has_dormitory", "has_kitchen",
             "departments", "status", "result", "summary", "started_at", "submitted_at",
             "created_by_id", "updated_at", "version"],
            rows,
        )  # fmt: skip
        return made

    def findings(self, inspections, items, officer_id) -> int:
        """Problems for about 15% of the submitted inspections: one task, one or two
        problems each, in every status; deadlines 7 days after the inspection."""
        rng = self.rng
        found = [i for i in inspections if i[2] == "submitted" and rng.random() < 0.15]
        task_ids = self._ids(RectificationTask, len(found))
        tasks, answers, problems = [], [], []
        plan = []
        for task_id, (inspection_id, institution_id, _status, at) in zip(
            task_ids, found, strict=True
        ):
            deadline = (at + dt.timedelta(days=7)).date()
            tasks.append((task_id, inspection_id, institution_id, "education", deadline, at))
            for item_id, section in rng.sample(items, rng.choice([1, 1, 2])):
                plan.append((task_id, inspection_id, item_id, section, at))
        answer_ids = self._ids(Answer, len(plan))
        for answer_id, (task_id, inspection_id, item_id, section, at) in zip(
            answer_ids, plan, strict=True
        ):
            answers.append((answer_id, inspection_id, item_id, "non_compliant", "", "问题", at))
            status = rng.choices(["open", "reported", "closed"], [3, 2, 5])[0]
            severity = "major" if rng.random() < 0.1 else "general"
            problems.append(
                (task_id, answer_id, item_id, section, severity, "问题", "整改", status, "", "", 0)
            )
        self._copy(
            RectificationTask,
            ["id", "inspection_id", "institution_id", "department", "deadline", "created_at"],
            tasks,
        )
        self._copy(
            Answer,
            ["id", "inspection_id", "item_id", "value", "text", "note", "answered_at"],
            answers,
        )
        self._copy(
            Finding,
            ["task_id", "answer_id", "item_id", "section", "severity", "description",
             "requirement", "status", "report_note", "verify_note", "reopened_count"],
            problems,
        )  # fmt: skip
        return len(problems)

    def sample_and_flags(self, campaign, province, institutions, staff):
        """The province's confirmed 5% sample (its frame frozen in the draw, as in real use),
        a late flag on every fifth county and a job run, so the page shows all it can."""
        operating = [i for i in institutions if i[2] == "operating"]
        round_ = Round.objects.get_or_create(
            campaign=campaign, level=Round.Level.PROVINCE, region=province
        )[0]
        required = -(-len(operating) * 5 // 100)
        Draw.objects.create(
            round=round_, status=Draw.Status.CONFIRMED, algorithm="sha256-rank-v1", seed="bench",
            frame=[[pk, county, "education"] for pk, county, _ in operating],
            frame_size=len(operating), frame_sha256="0" * 64, required_institutions=required,
            institutions=[pk for pk, _, _ in self.rng.sample(operating, required)],
            created_by=staff, confirmed_by=staff, confirmed_at=timezone.now(),
        )  # fmt: skip
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
            )  # fmt: skip
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
