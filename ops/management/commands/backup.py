"""`manage.py backup [--output DIR]`: the database (pg_dump -Fc) and MEDIA_ROOT (tar.gz).

Runs against the live system without stopping it: pg_dump reads one consistent snapshot;
media files are only ever added under new names, so a file written during the tar is at
worst missing from this backup, never half in it. See README, 部署 / Deployment.
"""

import json
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from ops import backup_tools as tools


class Command(BaseCommand):
    help = "备份数据库（pg_dump 自定义格式）和上传文件（MEDIA_ROOT 的 tar.gz）到一个新文件夹。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="备份文件夹（须不存在或为空）；默认 var/backups/<时间>",
        )

    def handle(self, *args, output=None, **options):
        db = tools.database_settings()
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        folder = Path(output or settings.BASE_DIR / "var" / "backups" / stamp)
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(_("备份文件夹 %(path)s 已有内容，请换一个。") % {"path": folder})
        folder.mkdir(parents=True, exist_ok=True)

        major = tools.server_major(db)
        pg_dump = tools.client_binary("pg_dump", major)
        dump = folder / tools.DUMP_NAME
        result = subprocess.run(  # noqa: S603 - fixed binary, arguments are ours
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
             f"--file={dump}", "--dbname", db["NAME"]],
            env=tools.client_env(db), capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise CommandError(_("pg_dump 失败：%(error)s") % {"error": result.stderr.strip()})

        media_root = Path(settings.MEDIA_ROOT)
        media = folder / tools.MEDIA_NAME
        files = 0
        with tarfile.open(media, "w:gz") as archive:
            if media_root.is_dir():
                for path in sorted(media_root.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        archive.add(path, arcname=str(path.relative_to(media_root)))
                        files += 1

        manifest = {
            "format": tools.MANIFEST_FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": db["NAME"],
            "server_major": major,
            "pg_dump": pg_dump,
            "media_files": files,
            "sha256": {
                name: tools.sha256(folder / name) for name in (tools.DUMP_NAME, tools.MEDIA_NAME)
            },
        }
        (folder / tools.MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False)
        )
        self.stdout.write(
            _("备份完成：%(path)s（数据库 %(size)s 字节，文件 %(files)s 个）")
            % {"path": folder, "size": dump.stat().st_size, "files": files}
        )
