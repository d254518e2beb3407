"""Backups: a seeded database and its uploads, backed up and restored into a fresh
database, come back identical table by table and file by file."""

import hashlib
import io
import json
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from inspections.models import Evidence
from ops import backup_tools
from tests.factories_personnel import StaffFactory
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(cast, places):
    """Institutions, a submitted inspection with its photos and findings, staff."""
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"))
    for institution in (places.xiaodian, places.pingcheng):
        StaffFactory.create_batch(3, institution=institution)
    assert Evidence.objects.count() == 2
    return cast


@pytest.fixture
def fresh_name():
    db = backup_tools.database_settings()
    name = f"{db['NAME']}_restored_{secrets.token_hex(4)}"
    yield name
    with backup_tools.connect(db, "postgres", autocommit=True) as conn:
        for made in (name, f"{name}_x"):
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(made)))


def fingerprint(name: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the ordered rows of every table; last value of every sequence."""
    db = backup_tools.database_settings()
    result = {}
    with backup_tools.connect(db, name) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} t"
            ).format(sql.Identifier(table))
            result[table] = tuple(conn.execute(query).fetchone())
        sequences = conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
        result.update({f"sequence {seq}": (value or 0, "") for seq, value in sequences})
    return result


def files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_backup_restores_into_a_fresh_database_identical_to_the_original(
    seeded, fresh_name, tmp_path
):
    folder = tmp_path / "backup"
    call_command("backup", output=str(folder), stdout=io.StringIO())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["server_major"] == 15 and manifest["media_files"] == 2

    restored_media = tmp_path / "restored-media"
    call_command(
        "restore", str(folder), database=fresh_name, media_root=str(restored_media),
        stdout=io.StringIO(),
    )  # fmt: skip

    original = fingerprint(connection.settings_dict["NAME"])
    restored = fingerprint(fresh_name)
    assert original == restored
    for table in ("inspections_inspection", "inspections_evidence", "personnel_staffmember"):
        assert original[table][0] > 0, f"{table} was seeded"
    assert original["institutions_region"][0] > 100
    media = files(Path(settings.MEDIA_ROOT))
    assert len(media) == 2 and media == files(restored_media)


def test_a_restore_refuses_a_database_or_folder_that_holds_data(cast, fresh_name, tmp_path):
    default_storage.save("evidence/a.jpg", ContentFile(b"\xff\xd8\xff\xe0 photo"))
    folder = tmp_path / "backup"
    call_command("backup", output=str(folder), stdout=io.StringIO())
    target = tmp_path / "media-a"
    call_command("restore", str(folder), database=fresh_name, media_root=str(target),
                 stdout=io.StringIO())  # fmt: skip
    before = fingerprint(fresh_name)

    with pytest.raises(CommandError, match="已有 .* 张表；确认要覆盖请加 --force"):
        call_command("restore", str(folder), database=fresh_name, media_root=str(tmp_path / "b"))
    with pytest.raises(CommandError, match="不是空的"):
        call_command("restore", str(folder), database=f"{fresh_name}_x", media_root=str(target))
    with pytest.raises(CommandError, match="正在使用的数据库"):
        call_command("restore", str(folder), database=connection.settings_dict["NAME"])
    # The running service's upload folder is refused even with --force (the default folder).
    with pytest.raises(CommandError, match="正在使用的上传文件夹"):
        call_command("restore", str(folder), database=f"{fresh_name}_x", force=True)
    inside = Path(settings.MEDIA_ROOT) / "restored"  # nor a folder inside it
    with pytest.raises(CommandError, match="正在使用的上传文件夹"):
        call_command("restore", str(folder), database=f"{fresh_name}_x", force=True,
                     media_root=str(inside))  # fmt: skip
    assert not inside.exists()
    assert fingerprint(fresh_name) == before
    with backup_tools.connect(backup_tools.database_settings(), "postgres") as c:
        made = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{fresh_name}_x"])
        assert made.fetchone() is None  # refused before anything was touched

    # --force replaces it with the backup's content.
    with backup_tools.connect(backup_tools.database_settings(), fresh_name, autocommit=True) as c:
        c.execute("DELETE FROM accounts_rolegrant")
    call_command("restore", str(folder), database=fresh_name, media_root=str(target), force=True,
                 stdout=io.StringIO())  # fmt: skip
    assert fingerprint(fresh_name) == before


def test_a_damaged_backup_is_refused_before_anything_is_touched(cast, fresh_name, tmp_path):
    folder = tmp_path / "backup"
    call_command("backup", output=str(folder), stdout=io.StringIO())
    with (folder / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    with pytest.raises(CommandError, match="已损坏或被改动"):
        call_command("restore", str(folder), database=fresh_name, media_root=str(tmp_path / "m"))
    with backup_tools.connect(backup_tools.database_settings(), "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [fresh_name])
        assert exists.fetchone() is None
    assert not (tmp_path / "m").exists()


@pytest.mark.django_db
def test_a_backup_will_not_write_into_a_folder_that_holds_files(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="已有内容"):
        call_command("backup", output=str(tmp_path))


@pytest.mark.django_db
def test_the_client_tools_match_the_server_version():
    binary = backup_tools.client_binary("pg_dump", 15)
    assert backup_tools._major(binary) == 15
    with pytest.raises(CommandError, match="postgresql-client-99"):
        backup_tools.client_binary("pg_dump", 99)
