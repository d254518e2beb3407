"""The initial passwords of imported accounts: shown once, as a downloadable sheet.

Where they wait: on the import run (`ImportRun.report`, a field its history leaves out),
encrypted with the Fernet keys of core/crypto.py, written in the same transaction as the
accounts. Not the cache: a Celery worker writes large imports, and the demo's cache is
each process's own memory, so a worker's cache entry would never reach the web process;
and a Redis restart would lose a thousand passwords that the database keeps. The clear
text exists only in memory while the sheet is built. The token is wiped by the first
download, and after `KEEP` by the hourly purge (or by a late download attempt), whichever
comes first.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from core import crypto
from tabular.export import ListExporter
from tabular.models import ImportRun

KEEP = dt.timedelta(hours=24)
SEALED = "passwords"
UNTIL = "passwords_until"


def seal(text: str, *, now: dt.datetime | None = None) -> dict:
    """What the write leaves on the run: the sheet's rows encrypted, and until when."""
    until = (now or timezone.now()) + KEEP
    return {SEALED: crypto.encrypt_id(text), UNTIL: until.isoformat()}


def available(run: ImportRun, *, now: dt.datetime | None = None) -> bool:
    until = run.report.get(UNTIL)
    return bool(run.report.get(SEALED)) and dt.datetime.fromisoformat(until) > (
        now or timezone.now()
    )


class PasswordSheet(ListExporter):
    sheet_title = "初始密码"
    headers = ["姓名", "用户名", "初始密码", "地区", "角色"]
    widths = [12, 18, 18, 16, 20]

    def __init__(self, run: ImportRun, rows: list[dict]):
        self.run, self._rows = run, rows

    def title_line(self) -> str:
        return _("初始密码表（仅可下载一次，请妥善保管并逐一告知本人）：%(file)s") % {
            "file": self.run.file_name
        }

    def rows(self):
        for r in self._rows:
            yield [r["full_name"], r["username"], r["password"], r["region"], r["role"]]


def _wipe(run: ImportRun) -> None:
    run.report = {k: v for k, v in run.report.items() if k not in (SEALED, UNTIL)}
    run.save(update_fields=["report"])


def password_sheet_take(*, run: ImportRun, actor, now: dt.datetime | None = None) -> bytes:
    """The sheet's bytes, once: the token is wiped in the same transaction. A second call,
    or one after `KEEP`, raises ValidationError with the reason in Chinese."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not locked.report.get(SEALED):
            raise ValidationError(
                _(
                    "初始密码表只能下载一次，已经下载过或已超过 24 小时被删除；如有遗失，请到账号页面逐个重置密码"
                )
            )
        if not available(locked, now=now):
            _wipe(locked)
            expired = True
        else:
            rows = json.loads(crypto.decrypt_id(locked.report[SEALED]))
            _wipe(locked)
            expired = False
            audit_log(
                kind=AuditEvent.Kind.EXPORT,
                actor=actor,
                obj=locked,
                detail={"sheet": "initial_passwords", "accounts": len(rows)},
            )
    if expired:
        raise ValidationError(
            _(
                "初始密码表只能下载一次，已经下载过或已超过 24 小时被删除；如有遗失，请到账号页面逐个重置密码"
            )
        )
    return PasswordSheet(locked, rows).to_xlsx()


def password_sheets_purge(*, now: dt.datetime | None = None) -> int:
    """Hourly: wipe the sheets nobody downloaded within `KEEP`. Returns how many."""
    now = now or timezone.now()
    purged = 0
    for run in ImportRun.objects.filter(kind="accounts", report__has_key=SEALED).only(
        "pk", "report"
    ):
        with transaction.atomic():
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            if locked.report.get(SEALED) and not available(locked, now=now):
                _wipe(locked)
                purged += 1
    return purged
