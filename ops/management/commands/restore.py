"""`manage.py restore FOLDER --database NAME [--media-root DIR] [--force]`.

Restores a backup folder into a named database (created when missing) and its media into
a folder. It refuses a database that already holds tables, or a media folder that already
holds files, unless --force: a restore must never land on live data by a typo.
"""

import json
import re
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from psycopg import sql

from ops import backup_tools as tools

# A plain name only: pg_restore's --dbname reads "dbname=…" or "postgresql://…" as a
# connection string, which could name the live database past the check below.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
# PostgreSQL's own: a restore into template1 would land in every database created later.
_SYSTEM = {"postgres", "template0", "template1"}


class Command(BaseCommand):
    help = "把 backup 生成的备份恢复到指定名称的数据库（不存在则新建）和上传文件夹。"

    def add_arguments(self, parser):
        parser.add_argument("folder", help="backup 生成的备份文件夹")
        parser.add_argument("--database", required=True, help="恢复到的数据库名（同一服务器）")
        parser.add_argument("--media-root", help="上传文件恢复到的文件夹；默认 MEDIA_ROOT")
        parser.add_argument(
            "--force",
            action="store_true",
            help="目标数据库已有表时删除重建；目标文件夹已有文件时覆盖同名文件（不删除其他文件）",
        )

    def handle(self, *args, folder, database, media_root=None, force=False, **options):
        db = tools.database_settings()
        if not _NAME.fullmatch(database):
            raise CommandError(
                _(
                    "数据库名“%(name)s”不可用：只能用字母、数字、下划线和连字符，以字母或下划线开头，最长 63 个字符。"
                )
                % {"name": database}
            )
        if database in _SYSTEM:
            raise CommandError(
                _("数据库名“%(name)s”是 PostgreSQL 的系统数据库，不能用于恢复。")
                % {"name": database}
            )
        folder = Path(folder)
        manifest = self._checked_manifest(folder)
        target_media = Path(media_root or settings.MEDIA_ROOT)
        if database == db["NAME"]:
            # Even with --force: restore beside it, then point DATABASE_URL at the new one.
            raise CommandError(_("不能恢复到正在使用的数据库 %(name)s。") % {"name": database})

        # Everything is checked before anything is touched.
        exists, tables = self._database_state(db, database)
        if tables and not force:
            raise CommandError(
                _("数据库 %(name)s 已有 %(count)s 张表；确认要覆盖请加 --force。")
                % {"name": database, "count": tables}
            )
        holds_files = target_media.is_dir() and any(target_media.iterdir())
        target, live = target_media.resolve(), Path(settings.MEDIA_ROOT).resolve()
        overlaps = target.is_relative_to(live) or live.is_relative_to(target)
        live_has_files = live.is_dir() and any(live.iterdir())
        if overlaps and (holds_files or live_has_files):
            # Even with --force, as for the database: the running service's files stay as they
            # are; restore them beside, then point MEDIA_ROOT at the new folder.
            raise CommandError(
                _(
                    "不能把文件恢复到正在使用的上传文件夹 %(path)s；请用 --media-root 指定新的文件夹。"
                )
                % {"path": target_media}
            )
        if holds_files and not force:
            raise CommandError(
                _("文件夹 %(path)s 不是空的；确认要覆盖请加 --force。") % {"path": target_media}
            )

        major = tools.server_major(db)
        pg_restore = tools.client_binary("pg_restore", major)
        with tools.connect(db, "postgres", autocommit=True) as conn:
            if exists and tables:
                conn.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database))
                )
                exists = False
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        result = subprocess.run(  # noqa: S603 - fixed binary, arguments are ours
            [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", "--dbname", database, str(folder / tools.DUMP_NAME)],
            env=tools.client_env(db), capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise CommandError(_("pg_restore 失败：%(error)s") % {"error": result.stderr.strip()})

        target_media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / tools.MEDIA_NAME, "r:gz") as archive:
            # The "data" filter refuses absolute paths, .. and links out of the folder.
            archive.extractall(target_media, filter="data")
        self.stdout.write(
            _("恢复完成：数据库 %(name)s，文件 %(files)s 个到 %(path)s")
            % {"name": database, "files": manifest.get("media_files", 0), "path": target_media}
        )

    def _checked_manifest(self, folder: Path) -> dict:
        try:
            manifest = json.loads((folder / tools.MANIFEST_NAME).read_text())
        except (OSError, ValueError):
            raise CommandError(
                _("%(path)s 不是完整的备份文件夹（缺少 manifest.json）。") % {"path": folder}
            ) from None
        checksums = manifest.get("sha256") if isinstance(manifest, dict) else None
        # Both files must be vouched for: a manifest without a checksum vouches for nothing.
        for name in (tools.DUMP_NAME, tools.MEDIA_NAME):
            path = folder / name
            expected = checksums.get(name) if isinstance(checksums, dict) else None
            if not expected or not path.is_file() or tools.sha256(path) != expected:
                raise CommandError(
                    _("备份文件 %(name)s 已损坏或被改动（校验值不符），未做任何恢复。")
                    % {"name": name}
                )
        return manifest

    def _database_state(self, db: dict, name: str) -> tuple[bool, int]:
        with tools.connect(db, "postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            return False, 0
        with tools.connect(db, name) as conn:
            count = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()[0]
        return True, count
