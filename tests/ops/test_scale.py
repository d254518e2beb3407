"""The scale data set and the benchmark, at a tiny size: consistent, deterministic, and
every list page and API list costs the same number of SQL statements however many rows
it shows (no N+1). Nothing here is timed."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from accounts.models import User
from complaints.models import Case
from core import crypto
from fees import rules
from fees.models import FeeRecord, FeeViolation
from inspections.models import Answer, Finding, Inspection
from institutions.models import Institution
from ops import scale
from ops.scale import measure
from personnel.models import StaffMember
from sampling.models import Draw

PROJECT_APPS = {"accounts", "institutions", "campaign", "inspections", "sampling", "personnel",
                "fees", "complaints", "clock", "reporting", "ops"}  # fmt: skip


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # Dashboards keep their summaries in the cache: a private one per test.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sc"}
    }


def _generate(**sizes) -> scale.Run:
    plan = scale.Plan(**{"institutions": 120, "year": 2026, "seed": 7, **sizes})
    return scale.generate(plan)


def _dangling_references() -> list[str]:
    """Every foreign key of the project's tables (and many-to-many links) checked in SQL."""
    bad = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.app_label not in PROJECT_APPS or "historical" in model._meta.db_table:
                continue
            for field in model._meta.concrete_fields:
                if not field.is_relation or not field.many_to_one and not field.one_to_one:
                    continue
                target = field.related_model._meta
                cursor.execute(
                    f'SELECT count(*) FROM "{model._meta.db_table}" t '  # noqa: S608 - model names
                    f'LEFT JOIN "{target.db_table}" r ON r."{field.target_field.column}" = t."{field.column}" '
                    f'WHERE t."{field.column}" IS NOT NULL AND r."{field.target_field.column}" IS NULL'
                )
                if cursor.fetchone()[0]:
                    bad.append(f"{model._meta.label}.{field.name}")
    return bad


def test_the_command_fills_every_table_with_the_sizes_asked_and_valid_references(regions):
    out = io.StringIO()
    call_command("generate_scale_data", institutions=300, seed=7, year=2026, stdout=out)
    text = out.getvalue()
    for table in ("institutions", "staff", "inspections", "answers", "findings", "fee records",
                  "fee violations", "complaints", "draws"):  # fmt: skip
        assert f"  {table} " in text, table
    assert Institution.objects.count() == 300
    assert Inspection.objects.count() == 1250  # 500,000 per 120,000
    assert FeeRecord.objects.count() == 5000  # 2,000,000 per 120,000
    assert Case.objects.count() == 75
    assert 2400 < StaffMember.objects.count() < 3600  # ten an institution, on average
    assert _dangling_references() == []
    # Every applicable item of every submitted inspection is answered (79 a form).
    submitted = Inspection.objects.filter(status="submitted")
    assert Answer.objects.filter(inspection__in=submitted).count() == submitted.count() * 79
    # A problem is a non-compliant answer of its own task's inspection.
    assert Finding.objects.exists()
    assert not Finding.objects.exclude(answer__value="non_compliant").exists()
    assert not Finding.objects.exclude(answer__inspection=F("task__inspection")).exists()
    assert not Inspection.objects.filter(result="compliant", tasks__isnull=False).exists()
    # ID numbers are encrypted with personnel's keys and hashed for lookups.
    person = StaffMember.objects.order_by("pk").first()
    number = person.reveal_id_number()
    assert crypto.validate_id(number) == number and person.id_hash == crypto.hash_id(number)
    assert person.birth_date == crypto.birth_date_of(number)
    # Fee violations are the ones the campaign's rules find, no more, no fewer.
    for record in FeeRecord.objects.select_related("institution")[:300]:
        rule = _rule_for(record)
        expected = {b.rule for b in rules.evaluate(rule, record.charge())}
        assert set(record.violations.values_list("rule", flat=True)) == expected
    assert FeeViolation.objects.exists()
    # A confirmed province draw and a city draw in every city.
    assert Draw.objects.filter(status="confirmed", round__level="province").count() == 1
    assert Draw.objects.filter(status="confirmed", round__level="city").count() == 11


def _rule_for(record):
    from campaign.models import FeeRule

    return FeeRule.objects.get(
        campaign__province_id=record.institution.county_id[:2] + "0000",
        category=record.institution.category,
    )


def test_it_refuses_a_database_that_is_not_empty(regions):
    _generate(inspections=50, fee_records=50, city_draws=False)
    before = Institution.objects.count()
    with pytest.raises(CommandError, match="数据库不是空的"):
        call_command("generate_scale_data", institutions=10, stdout=io.StringIO())
    assert Institution.objects.count() == before


def _fingerprint() -> list:
    def rows(model, *fields):
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return [
        rows(Institution, "name", "credit_code", "county_id", "category", "sector", "status"),
        rows(StaffMember, "institution_id", "name", "id_hash", "post", "employed_until"),
        rows(Inspection, "institution_id", "status", "result", "started_at"),
        rows(Finding, "answer_id", "item_id", "status"),
        rows(FeeRecord, "institution_id", "amount", "class_hours", "period_to", "supervised"),
        rows(FeeViolation, "record_id", "rule", "excess", "status"),
        rows(Case, "number", "category", "status", "institution_id", "received_at"),
        rows(Draw, "round__region_id", "status", "institutions"),
    ]


def test_the_same_seed_gives_the_same_data_set(regions):
    options = {"institutions": 80, "inspections": 200, "fee_records": 300, "seed": 11,
               "year": 2026, "force": True, "stdout": io.StringIO()}  # fmt: skip
    call_command("generate_scale_data", **options)
    first = _fingerprint()
    call_command("generate_scale_data", **options)
    assert _fingerprint() == first
    call_command("generate_scale_data", **{**options, "seed": 12})
    assert _fingerprint() != first


def test_force_keeps_the_complaint_time_limits(regions):
    # The rules are the system's settings, not data it generates: --force empties the
    # region table (TRUNCATE … CASCADE), and must not take the rules with it.
    from complaints.models import CategoryRule

    CategoryRule.objects.create(
        category="fees", province_id="140000", response_hours=48, referral_ack_hours=24,
        referral_feedback_days=10,
    )  # fmt: skip
    rows = CategoryRule.objects.order_by("category", "province_id")
    before = list(rows.values_list("category", "province_id", "response_hours"))
    assert len(before) == 7  # six seeded for every province, one of 山西's own
    call_command("generate_scale_data", institutions=20, inspections=20, fee_records=20,
                 seed=3, year=2026, force=True, stdout=io.StringIO())  # fmt: skip
    assert list(rows.values_list("category", "province_id", "response_hours")) == before


def test_it_refuses_unknown_provinces_and_nonsense_sizes(db):
    with pytest.raises(CommandError, match="未知的省级代码"):
        call_command("generate_scale_data", provinces="99", stdout=io.StringIO())
    with pytest.raises(CommandError, match="机构数须为正整数"):
        call_command("generate_scale_data", institutions=0, stdout=io.StringIO())


def test_every_list_costs_the_same_queries_at_10_rows_as_at_60(regions):
    """An officer of a county of 10 institutions and one of a county of 60 (with their
    inspections, problems, fees, staff, complaints and as many notifications): every list
    page and every API list runs the same number of SQL statements for both."""
    _generate(institutions=200, inspections=800, fee_records=1500, city_draws=False)
    ids = list(measure.complaints_first(Institution.objects.all()).values_list("pk", flat=True))
    small = measure.county_with(ids[:10], label="十家")
    large = measure.county_with(ids[10:70], label="六十家")
    paths = [(label, path) for label, path, _who in measure.TIMED_PAGES]
    paths += measure.LIST_PAGES + measure.api_list_paths()
    assert len(measure.api_list_paths()) >= 10
    rows = measure.query_counts(paths, small, large)
    assert [r.label for r in rows] == [label for label, _path in paths]
    assert [(r.label, r.note) for r in rows if r.note] == []  # every page answered 200
    unequal = [(r.label, r.queries_small, r.queries_large) for r in rows
               if r.queries_small != r.queries_large]  # fmt: skip
    assert unequal == []


def test_the_benchmark_prints_every_row_with_equal_query_counts(regions):
    _generate(institutions=150, inspections=400, fee_records=600, city_draws=False)
    users_before = User.objects.count()
    out = io.StringIO()
    call_command("bench", requests=1, import_rows=50, export_rows=100, repeat=1, stdout=out)
    text = out.getvalue()
    labels = [label for label, _path, _who in measure.TIMED_PAGES if _path != "/"]
    labels += ["province dashboard (140000)", "city dashboard", "county dashboard",
               "province draw", "export 100 rows, csv", "export 100 rows, xlsx",
               "import 50 rows"]  # fmt: skip
    labels += [f"SQL per page: {label}" for label, _path in measure.LIST_PAGES]
    labels += [f"SQL per page: {label}" for label, _path in measure.api_list_paths()]
    for label in labels:
        assert label in text, label
    counted = [line for line in text.splitlines() if line.startswith("SQL per page:")]
    assert len(counted) == len(measure.TIMED_PAGES) + len(measure.LIST_PAGES) + len(
        measure.api_list_paths()
    )
    for line in counted:
        small, large = line[34:].split()[3:5]
        assert small == large, line
    assert "all equal" in text
    # Everything the benchmark wrote was rolled back.
    assert User.objects.count() == users_before
    assert not Institution.objects.filter(county__name__endswith="十家县").exists()
