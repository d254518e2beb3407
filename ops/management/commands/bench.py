"""The benchmarks of issue #10 in one table, on a scale data set (generate_scale_data).

Every figure is a median measured in this run beside its floor, measured in the same run:
pages through Django's test client as a logged-in user vs the SQL they ran, executed bare;
the 100,000-row import vs openpyxl read + COPY (bench_import's phases); a province draw vs
fetching its frame; an export of 100,000 rows vs COPY … TO. SQL statements per list page
and API list are counted for an officer of a county of 10 institutions and for the officer
of the largest county: they must be equal (no N+1). Nothing is left behind: every write
(the moved institutions, the draw, the import) is rolled back.

    python manage.py bench                       # on the data generate_scale_data made
    python manage.py bench --requests 3 --import-rows 2000 --export-rows 2000
"""

from __future__ import annotations

import io
import json
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from openpyxl import Workbook

from accounts.models import User
from accounts.scope import Scope
from campaign.models import Campaign
from inspections.models import Round
from institutions.exporters import InstitutionLedger
from institutions.models import Institution
from ops.scale import measure
from sampling import services as sampling

DRAW_FLOOR_SQL = """
SELECT id, county_id, category, sector FROM institutions_institution
WHERE status = 'operating' AND county_id LIKE %s ORDER BY id
"""
EXPORT_SQL = """
SELECT i.name, i.credit_code, i.permit_number, i.category, i.sector, r.name,
      i.address, i.legal_representative, i.phone, i.floor_area, i.capacity, i.is_risky,
      i.status, i.platform_number
      FROM institutions_institution i JOIN institutions_region r ON r.code = i.county_id
      WHERE i.id <= {last} ORDER BY i.county_id, i.name, i.id
"""
EXPORT_FLOOR_SQL = "COPY (" + EXPORT_SQL + ") TO STDOUT"


class Command(BaseCommand):
    help = "性能基准：页面、导入、抽样、导出与各自的下限（同一次运行中测得的中位数与比值）"

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10, help="requests per page")
        parser.add_argument("--import-rows", type=int, default=100_000)
        parser.add_argument("--export-rows", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3, help="draws and exports")
        parser.add_argument("--skip-import", action="store_true")

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError("基准需要 PostgreSQL（设置 DATABASE_URL）")
        province_user = (
            User.objects.filter(username__startswith="scale-province-").order_by("username").first()
        )
        if province_user is None or o["requests"] < 1:
            raise CommandError("请先运行 generate_scale_data；请求次数须为正整数")
        self.o = o
        # One JSON line a request on the console would drown the table (and time the
        # terminal): the request log is quiet while the benchmark runs.
        logging.getLogger("anquan.request").setLevel(logging.WARNING)
        province = province_user.username.rsplit("-", 1)[1]
        started = time.perf_counter()
        counts = {
            "institutions": Institution.objects.filter(
                county__code__startswith=province[:2]
            ).count(),
        }
        self.stdout.write(
            f"scale data: {counts['institutions']:,} institutions in province {province}; "
            f"{o['requests']} requests a page"
        )
        rows = self.pages(province, province_user)
        rows += measure.in_rollback(lambda: self.query_counts(province))
        rows.append(measure.in_rollback(lambda: self.draw(province, province_user)))
        rows += self.exports(o["export_rows"], o["repeat"])
        if not o["skip_import"]:
            rows += self.imports(o["import_rows"])
        self.stdout.write(measure.format_table(rows))
        misses = [
            r.label
            for r in rows
            if r.queries_small is not None and r.queries_small != r.queries_large
        ]
        self.stdout.write(
            f"targets: page < {measure.TARGET_MS} ms, ratio < {measure.TARGET_RATIO:.0f}x; "
            f"SQL@10 == SQL@many for every list ({'all equal' if not misses else 'NOT: ' + ', '.join(misses)}); "
            f"bench took {time.perf_counter() - started:.0f} s"
        )  # fmt: skip

    # -- pages -------------------------------------------------------------------------

    def pages(self, province: str, province_user: User) -> list[measure.Row]:
        city = measure.biggest(4)
        county = measure.biggest(6)
        users = {
            "province": province_user,
            "city": User.objects.get(username=f"scale-city-{city}"),
            "county": User.objects.get(username=f"scale-county-{county}"),
        }
        clients = {who: measure.client_for(user) for who, user in users.items()}
        where = {"province": province, "city": city, "county": county}
        rows = []
        for label, path, who in measure.TIMED_PAGES:
            row, status = measure.time_page(clients[who], path, self.o["requests"])
            row.label = f"{label} ({where[who]})" if path == "/" else label
            row.queries_large = None  # counted below, at 10 rows and at many
            row.note = self._verdict(row) if status == 200 else f"HTTP {status}"
            rows.append(row)
        return rows

    def _verdict(self, row: measure.Row) -> str:
        fast = row.median_ms < measure.TARGET_MS
        close = row.ratio is not None and row.ratio < measure.TARGET_RATIO
        return ("ok" if fast and close else "slow" if not fast else "ratio") + ""

    def query_counts(self, province: str) -> list[measure.Row]:
        county = measure.biggest(6)
        # Ten institutions from elsewhere: the largest county keeps all of its own.
        ids = list(
            measure.complaints_first(
                Institution.objects.filter(county__code__startswith=province[:2]).exclude(
                    county_id=county
                )
            ).values_list("id", flat=True)[:10]
        )
        small = measure.county_with(ids, label="十家")
        large = User.objects.get(username=f"scale-county-{county}")
        if Institution.objects.filter(county_id=county).count() < 60:
            # A tiny data set (the test suite's): sixty institutions in a county of their own.
            # Not the county `county_with` made for the ten (the small user's own).
            ten = Institution.objects.get(pk=ids[0]).county_id
            more = Institution.objects.exclude(county_id=ten)
            large = measure.county_with(
                list(more.order_by("id").values_list("id", flat=True)[:60]), label="六十家"
            )
        paths = [(label, path) for label, path, _who in measure.TIMED_PAGES]
        paths += measure.LIST_PAGES + measure.api_list_paths()
        return [
            measure.Row(label=f"SQL per page: {r.label}", queries_small=r.queries_small,
                        queries_large=r.queries_large, note=r.note)
            for r in measure.query_counts(paths, small, large)
        ]  # fmt: skip

    # -- draw, exports, import ---------------------------------------------------------

    def draw(self, province: str, actor: User) -> measure.Row:
        campaign = Campaign.objects.filter(province_id=province).order_by("-starts_on").first()
        round_ = Round.objects.get(campaign=campaign, level="province", region_id=province)
        scope = Scope.for_user(actor)
        # A draw must read its frame and freeze it (written once, with the draw, as JSON):
        # the floor is those two in bare SQL, the fetch alone in the note.
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_frozen_frame (frame jsonb)")
        fetch, floor, draws = [], [], []
        for n in range(self.o["repeat"]):
            begin = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(DRAW_FLOOR_SQL, [province[:2] + "%"])
                frame = cursor.fetchall()
                fetch.append(time.perf_counter() - begin)
                cursor.execute(
                    "INSERT INTO bench_frozen_frame VALUES (%s)", [json.dumps(frame, default=str)]
                )
            floor.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            draw = sampling.draw_preview(
                round_=round_, actor=actor, scope=scope, seed=f"bench-{n}", redraw_reason="性能基准"
            )
            draws.append(time.perf_counter() - begin)
        return measure.Row(
            label=f"province draw ({len(frame):,} in frame)",
            median_ms=measure.median_ms(draws),
            floor_ms=measure.median_ms(floor),
            note=f"{len(draw.institutions):,} drawn, joint teams; floor: frame fetch "
            f"({measure.median_ms(fetch):.0f} ms) + its frozen copy written",
        )

    def exports(self, n: int, repeat: int) -> list[measure.Row]:
        last = (
            Institution.objects.order_by("id").values_list("id", flat=True)[n - 1 : n].first()
            or Institution.objects.order_by("-id").values_list("id", flat=True).first()
        )
        queryset = Institution.objects.filter(id__lte=last)
        total = queryset.count()
        floor, xlsx_floor, xlsx, csv = [], [], [], []
        for _ in range(repeat):
            # An xlsx is mostly the spreadsheet library's own work: its floor is the rows
            # fetched bare and written, as they come, by the same writer (openpyxl).
            begin = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(EXPORT_SQL.format(last=int(last)))
                bare = cursor.fetchall()
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("floor")
            for row in bare:
                sheet.append(row)
            workbook.save(io.BytesIO())
            xlsx_floor.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(EXPORT_FLOOR_SQL.format(last=int(last))) as copy,
            ):
                for _block in copy:
                    pass
            floor.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            InstitutionLedger(queryset).to_csv()
            csv.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            InstitutionLedger(queryset).to_xlsx()
            xlsx.append(time.perf_counter() - begin)
        floor_ms = measure.median_ms(floor)
        return [
            measure.Row(label=f"export {total:,} rows, csv", median_ms=measure.median_ms(csv),
                        floor_ms=floor_ms, note="floor: COPY … TO"),
            measure.Row(label=f"export {total:,} rows, xlsx", median_ms=measure.median_ms(xlsx),
                        floor_ms=measure.median_ms(xlsx_floor),
                        note=f"floor: bare rows written by openpyxl; {measure.median_ms(xlsx) / floor_ms:.0f}x COPY"),
        ]  # fmt: skip

    def imports(self, n: int) -> list[measure.Row]:
        """bench_import's own file, floor and import, run here in this process."""
        import tempfile
        from pathlib import Path

        from ops.management.commands import bench_import

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.xlsx"
            bench_import._generate(path, n)
            floor = measure.in_rollback(lambda: bench_import._floor(path))
            ours = measure.in_rollback(lambda: bench_import._import(path))
        return [
            measure.Row(label=f"import {n:,} rows (check + write)",
                        median_ms=ours["seconds"] * 1000, floor_ms=floor["seconds"] * 1000,
                        note=f"floor: openpyxl read + COPY; one run; created {ours['created']:,}"),
        ]  # fmt: skip
