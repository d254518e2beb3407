"""What `manage.py bench` measures on a scale data set, each beside its floor in the same run.

A page's floor is the SQL it needs: the statements the page itself ran (captured with
CaptureQueriesContext), executed again bare on the same connection, so the ratio is what
Django, the views and the templates add on top of the database.
"""

from __future__ import annotations

import io
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from accounts.models import User
from accounts.services import grant_add
from complaints.models import Case
from core.models import Region
from institutions.models import Institution

# The pages the issue names, timed: (label, path, who looks).
TIMED_PAGES = [
    ("province dashboard", "/", "province"),
    ("city dashboard", "/", "city"),
    ("county dashboard", "/", "county"),
    ("institution list", "/institutions/", "province"),
    ("problem list", "/inspections/problems/", "province"),
    ("staff list", "/staff/", "province"),
    ("fee violations", "/fees/violations/", "province"),
    ("complaints", "/complaints/", "province"),
]
# Every other list page: its SQL statements are counted (10 rows vs many), not timed.
LIST_PAGES = [
    ("fee records", "/fees/"),
    ("check batches", "/staff/checks/"),
    ("dismissals", "/staff/dismissals/"),
    ("referrals", "/complaints/referrals/"),
    ("spot-check rounds", "/sampling/"),
    ("unscreened", "/progress/unscreened/"),
    ("screened", "/progress/screened/"),
    ("publicity", "/campaign/publicity/"),
    ("notifications", "/notifications/"),
]
TARGET_MS = 300
TARGET_RATIO = 3.0


@dataclass
class Row:
    label: str
    median_ms: float | None = None
    floor_ms: float | None = None
    queries_small: int | None = None
    queries_large: int | None = None
    rows_small: int | None = None
    rows_large: int | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.median_ms is None or not self.floor_ms:
            return None
        return self.median_ms / self.floor_ms


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def api_list_paths() -> list[tuple[str, str]]:
    """Every list endpoint of the API (router names ending in -list), from the URLconf. The
    institution side's (/api/v1/org/…) are left out: an official gets 403 there, and each
    reads one institution's own rows, not a region's."""
    found = {}
    for path, name in _walk(get_resolver().url_patterns):
        listed = name and name.endswith("-list") and path.startswith("api/")
        listed = listed and not name.startswith("org-")
        if listed and "<" not in path and "(?P" not in path:
            found.setdefault(name, "/" + path)
    return [(f"api {name[:-5]}", path) for name, path in sorted(found.items())]


def _walk(patterns, prefix=""):
    from django.urls import URLResolver

    for pattern in patterns:
        text = str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + text)
        else:
            yield prefix + text, pattern.name


def client_for(user: User) -> Client:
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def time_page(client: Client, path: str, requests: int) -> tuple[Row, int]:
    """Median server time of `requests` GETs and the median of their SQL run bare."""
    response = client.get(path)  # warm: templates, translations, plans, kept summaries
    status = response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    statements = [q["sql"] for q in captured.captured_queries]
    pages = []
    for _ in range(requests):
        begin = time.perf_counter()
        client.get(path)
        pages.append(time.perf_counter() - begin)
    bare = []
    with connection.cursor() as cursor:
        for _ in range(requests):
            begin = time.perf_counter()
            for sql in statements:
                if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    cursor.execute(sql)
                    cursor.fetchall()
            bare.append(time.perf_counter() - begin)
    row = Row(label="", median_ms=median_ms(pages), floor_ms=median_ms(bare))
    row.queries_large = len(statements)
    return row, status


def count_queries(client: Client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return len(captured.captured_queries), response.status_code


def complaints_first(institutions):
    """Institutions with a complaint before the rest: the sparsest list (a few cases per
    hundred institutions) must not be empty in the ten-institution county, or its page runs
    fewer statements for a reason that is not a query per row."""
    has_case = Exists(Case.objects.filter(institution=OuterRef("pk")))
    return institutions.annotate(has_case=has_case).order_by("-has_case", "id")


def county_with(institution_ids: list[int], *, label: str) -> User:
    """A fresh county holding exactly these institutions (their inspections, problems, fees,
    staff and complaints follow them), its screening round and an education officer with
    as many notifications: the same role as any county officer, over a known number of
    rows. Call inside a transaction that is rolled back."""
    from accounts.models import Notification
    from complaints.models import Case
    from inspections.models import Inspection, Round

    first = Institution.objects.filter(pk__in=institution_ids).values_list("county_id", flat=True)
    city = Region.objects.get(code=first[0][:4] + "00")
    taken = set(Region.objects.filter(code__startswith=city.prefix).values_list("code", flat=True))
    code = next(
        f"{city.prefix}{n:02d}" for n in range(99, 0, -1) if f"{city.prefix}{n:02d}" not in taken
    )
    county = Region.objects.create(code=code, name=f"{label}县", level="county", parent=city)
    Institution.objects.filter(pk__in=institution_ids).update(county=county)
    Case.objects.filter(institution_id__in=institution_ids).update(county=county)
    old = Round.objects.filter(region_id=first[0], level="county").first()
    if old is not None:
        new = Round.objects.create(campaign_id=old.campaign_id, level="county", region=county)
        Inspection.objects.filter(institution_id__in=institution_ids).update(round=new)
    user = User.objects.create(username=f"scale-probe-{code}")
    grant_add(user=user, role="county_officer", region_code=county.code, department="education")
    Notification.objects.bulk_create(
        Notification(user=user, kind=Notification.Kind.SUMMARY, title="性能基准", key=f"probe-{n}")
        for n in range(len(institution_ids))
    )
    return user


def biggest(width: int) -> str:
    """The code of the city (4) or county (6) holding the most institutions."""
    from django.db.models.functions import Left

    row = (
        Institution.objects.annotate(region=Left("county_id", width))
        .values("region")
        .annotate(n=Count("id"))
        .order_by("-n", "region")
        .first()
    )
    return row["region"].ljust(6, "0")


def query_counts(paths: list[tuple[str, str]], small: User, large: User) -> list[Row]:
    """SQL statements per list page and API list for an officer whose county holds 10
    institutions and for one whose county holds the most: equal, or some row costs a query."""
    rows = []
    small_client, large_client = client_for(small), client_for(large)
    for label, path in paths:
        api = path.startswith("/api/")
        # Once before counting: a kept copy (core/kept.py) is added up by the first request
        # that finds none, which is not a statement per row.
        small_client.get(path + ("?page_size=10" if api else ""))
        n_small, s_small = count_queries(small_client, path + ("?page_size=10" if api else ""))
        n_large, s_large = count_queries(large_client, path + ("?page_size=200" if api else ""))
        row = Row(label=label, queries_small=n_small, queries_large=n_large)
        if s_small != 200 or s_large != 200:
            row.note = f"HTTP {s_small}/{s_large}"
        rows.append(row)
    return rows


def format_table(rows: list[Row]) -> str:
    out = io.StringIO()
    out.write(
        f"{'':<34}{'median ms':>10}{'floor ms':>10}{'ratio':>7}{'SQL@10':>8}{'SQL@many':>9}  note\n"
    )
    for r in rows:

        def cell(value, width, fmt):
            return f"{value:>{width}{fmt}}" if value is not None else " " * (width - 1) + "–"

        out.write(
            f"{r.label:<34}{cell(r.median_ms, 10, '.1f')}{cell(r.floor_ms, 10, '.1f')}"
            f"{cell(r.ratio, 7, '.1f')}{cell(r.queries_small, 8, 'd')}{cell(r.queries_large, 9, 'd')}"
            f"  {r.note}\n"
        )
    return out.getvalue()


class Rollback(Exception):
    pass


def in_rollback(fn):
    """Run fn inside a transaction that is always rolled back; return its result."""
    box = {}
    try:
        with transaction.atomic():
            box["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return box["value"]
