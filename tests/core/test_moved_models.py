"""Region moved to core/, ImportRun and ExportRun to tabular/: only Django's record of the
models changed. A database of any size migrates at once, because no table, column, index or
constraint is touched, and the tables keep their names (backups and raw SQL still read
them)."""

import io

import pytest
from django.core.management import call_command

from core.models import Region
from tabular.models import ExportRun, ImportRun

# sqlmigrate opens the database (to render the SQL it would run), so every test here has it.
pytestmark = pytest.mark.django_db

MOVES = [
    ("core", "0001_initial"),
    ("accounts", "0010_region_in_core"),
    ("campaign", "0005_region_in_core"),
    ("clock", "0002_region_in_core"),
    ("complaints", "0007_region_in_core"),
    ("inspections", "0004_region_in_core"),
    ("institutions", "0006_region_in_core"),
    ("institutions", "0007_region_in_core_done"),
    ("personnel", "0004_region_in_core"),
    ("reporting", "0004_region_in_core"),
    ("sampling", "0003_region_in_core"),
    ("tabular", "0001_initial"),
    ("institutions", "0008_runs_in_tabular"),
]


@pytest.mark.parametrize(("app", "migration"), MOVES)
def test_a_move_runs_no_sql(app, migration):
    out = io.StringIO()
    call_command("sqlmigrate", app, migration, stdout=out)
    statements = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]
    assert statements == []


def test_the_moved_models_keep_their_tables():
    assert Region._meta.db_table == "institutions_region"
    assert Region.history.model._meta.db_table == "institutions_historicalregion"
    assert ImportRun._meta.db_table == "institutions_importrun"
    assert ImportRun.history.model._meta.db_table == "institutions_historicalimportrun"
    assert ExportRun._meta.db_table == "institutions_exportrun"


def test_rows_written_through_the_moved_models_are_read_by_the_old_table_names(django_user_model):
    from django.db import connection

    Region.objects.create(code="990000", name="测试省", level=Region.Level.PROVINCE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM institutions_region WHERE code = %s", ["990000"])
        assert cursor.fetchone() == ("测试省",)


def test_audit_events_name_the_moved_models_as_before(cast, regions):
    from accounts.audit import audit_log
    from accounts.models import AuditEvent

    province = Region.objects.get(code="140000")
    event = audit_log(kind=AuditEvent.Kind.LOGIN, actor=cast.admin, obj=province)
    run = ImportRun.objects.create(
        kind=ImportRun.Kind.INSTITUTIONS, created_by=cast.admin, file_name="a.xlsx"
    )
    later = audit_log(kind=AuditEvent.Kind.LOGIN, actor=cast.admin, obj=run)
    assert (event.object_type, later.object_type) == (
        "institutions.Region",
        "institutions.ImportRun",
    )
