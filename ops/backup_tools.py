"""The pieces `backup` and `restore` share: which PostgreSQL client binaries to run, how to
reach the server, and what a backup folder holds.

A backup folder is three files: `database.dump` (pg_dump custom format), `media.tar.gz`
(everything under MEDIA_ROOT) and `manifest.json` (when, which versions, SHA-256 of both
files, so a restore refuses a damaged or tampered copy).
"""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

DUMP_NAME = "database.dump"
MEDIA_NAME = "media.tar.gz"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


def database_settings(alias: str = "default") -> dict:
    db = settings.DATABASES[alias]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError(
            _("备份和恢复只支持 PostgreSQL；SQLite 演示库请直接复制 var/demo.sqlite3 文件。")
        )
    return db


def client_env(db: dict) -> dict:
    """libpq's own variables, so no password ever appears on a command line."""
    env = {**os.environ}
    for key, value in {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
    }.items():
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def connect(db: dict, name: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(
        dbname=name or db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        connect_timeout=10,
        **kwargs,
    )


def server_major(db: dict) -> int:
    with connect(db) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _major(binary: str) -> int:
    output = subprocess.run(  # noqa: S603 - a fixed binary path, no shell
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\) (\d+)", output) or re.search(r"(\d+)\.\d+", output)
    if not found:
        raise CommandError(_("无法识别 %(binary)s 的版本。") % {"binary": binary})
    return int(found.group(1))


def client_binary(name: str, major: int) -> str:
    """pg_dump / pg_restore of the server's major version.

    Debian keeps each version's tools in /usr/lib/postgresql/<major>/bin; PG_BIN_DIR points
    elsewhere. A client older than the server cannot read it at all; a newer one writes
    a dump that the server's own tools may not restore, so the same major is required.
    """
    candidates = [
        Path(os.environ["PG_BIN_DIR"]) / name if os.environ.get("PG_BIN_DIR") else None,
        Path(f"/usr/lib/postgresql/{major}/bin/{name}"),
        Path(shutil.which(name) or "/nonexistent"),
    ]
    for path in candidates:
        if path and path.is_file() and _major(str(path)) == major:
            return str(path)
    raise CommandError(
        _(
            "找不到与数据库服务器版本 %(major)s 一致的 %(name)s；请安装 postgresql-client-%(major)s 或设置 PG_BIN_DIR。"
        )
        % {"major": major, "name": name}
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
