"""Review of the operations work (reviewer rops): restore, error pages, export runs, outbox."""

import datetime as dt
import io
import json
import logging
import secrets
import sqlite3
import threading

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import outbox
from accounts.models import Notification, RoleGrant, User
from accounts.notifications import notify
from accounts.scope import scope_for
from ops import backup_tools
from ops.errors import server_error
from tabular.export_runs import export_run_create, export_run_execute
from tabular.models import ExportRun
from tests.reporting import test_ledgers

both = test_ledgers.both


# -- restore ------------------------------------------------------------------------------


def _database_exists(name: str) -> bool:
    with backup_tools.connect(backup_tools.database_settings(), "postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def _drop(name: str) -> None:
    from psycopg import sql

    with backup_tools.connect(backup_tools.database_settings(), "postgres", autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_name_libpq_would_read_as_a_connection_string(cast, tmp_path):
    """pg_restore --dbname takes "dbname=…" or a URI as a connection string: such a name
    slipped past the "not the live database" check and pointed pg_restore at the live one."""
    folder = tmp_path / "backup"
    call_command("backup", output=str(folder), stdout=io.StringIO())
    live = connection.settings_dict["NAME"]
    names = [f"dbname={live}", f"postgresql://127.0.0.1/{live}", "x; DROP", "", "a" * 64, "ok\n"]
    # PostgreSQL's own databases: a restore into template1 lands in every database made later.
    system = ["template1", "template0", "postgres"]
    try:
        for name in names:
            with pytest.raises(CommandError, match="数据库名"):
                call_command("restore", str(folder), database=name,
                             media_root=str(tmp_path / "m"), stdout=io.StringIO())  # fmt: skip
            assert not _database_exists(name)
        for name in system:
            with pytest.raises(CommandError, match="系统数据库"):
                call_command("restore", str(folder), database=name, force=True,
                             media_root=str(tmp_path / "m"), stdout=io.StringIO())  # fmt: skip
        assert not (tmp_path / "m").exists()
    finally:
        for name in names:
            if name and len(name) < 64 and "\n" not in name:
                _drop(name)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_manifest_that_does_not_vouch_for_both_files(cast, tmp_path):
    folder = tmp_path / "backup"
    call_command("backup", output=str(folder), stdout=io.StringIO())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sha256"] = {}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    name = f"{connection.settings_dict['NAME']}_r_{secrets.token_hex(3)}"
    try:
        with pytest.raises(CommandError, match="已损坏或被改动"):
            call_command("restore", str(folder), database=name, media_root=str(tmp_path / "m"))
        assert not _database_exists(name)
        assert not (tmp_path / "m").exists()
    finally:
        _drop(name)


# -- 503 only for a database that cannot be reached ---------------------------------------


def _page_for(error: BaseException, cause: BaseException | None, path="/institutions/"):
    request = RequestFactory().get(path)
    try:
        raise error from cause
    except type(error):
        return server_error(request)


@pytest.mark.parametrize(
    ("error", "cause", "status"),
    [
        # A server that is down, restarting, refusing connections or out of connections.
        (OperationalError("connection failed"), psycopg.OperationalError("connection failed"), 503),
        (OperationalError("x"), psycopg.errors.AdminShutdown("terminating connection"), 503),
        (OperationalError("x"), psycopg.errors.TooManyConnections("too many clients"), 503),
        (OperationalError("x"), psycopg.errors.DeadlockDetected("deadlock detected"), 503),
        (InterfaceError("connection already closed"), None, 503),
        (OperationalError("database is locked"), "SQLITE_BUSY", 503),
        # A programming error is a 500 (and its log line an error), never "try again shortly".
        (OperationalError("no such column: x"), "SQLITE_ERROR", 500),
        (OperationalError("x"), psycopg.errors.ProgramLimitExceeded("index row too big"), 500),
    ],
)
def test_only_an_unreachable_database_is_a_503(error, cause, status):
    if isinstance(cause, str):
        # SQLite's own error, as the demo's backend raises it (the code is set by sqlite3).
        code = {"SQLITE_BUSY": 5, "SQLITE_ERROR": 1}[cause]
        cause = sqlite3.OperationalError(str(error))
        cause.sqlite_errorcode = code
    assert _page_for(error, cause).status_code == status


# -- export runs: a double click starts one ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_background_export_asked_twice_at_once_is_queued_once(cast, both):
    barrier = threading.Barrier(2)
    runs, errors = [None, None], []

    def ask(i):
        try:
            barrier.wait()
            runs[i] = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ExportRun.objects.count() == 1
    assert runs[0].pk == runs[1].pk
    # Another ledger, or the same one with other filters, is a run of its own.
    export_run_create(actor=cast.taiyuan, ledger="inspections", query="format=csv")
    assert ExportRun.objects.count() == 2


# -- outbox: a row that has used up its attempts says so -----------------------------------


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.django_db
def test_an_email_given_up_on_is_logged_as_an_error(cast, monkeypatch):
    User.objects.filter(username="xiaodian").update(email="officer@example.cn")
    notify(users=[User.objects.get(username="xiaodian")], kind="other", title="测试", key="k9")
    Notification.objects.filter(key="k9").update(email_attempts=outbox.MAX_ATTEMPTS - 1)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    handler = _Records()
    logging.getLogger("accounts.outbox").addHandler(handler)
    try:
        assert outbox.deliver() == 0
    finally:
        logging.getLogger("accounts.outbox").removeHandler(handler)
    assert [r.levelname for r in handler.records] == ["ERROR"]
    assert "gave up" in handler.records[0].getMessage()
    assert not outbox.pending().exists()


# -- export runs: a file built for a wider scope is not handed out after a narrowing --------


@pytest.mark.django_db(transaction=True)
def test_a_finished_file_is_refused_once_the_scope_was_narrowed(client, cast, both):
    """The city officer moved to one county keeps inspections.view, but the file holds the
    whole city: it was built for grants they no longer have."""
    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
    export_run_execute(run_id=run.pk)
    url = reverse("ledgers:export_download", args=[run.pk])
    client.force_login(cast.taiyuan)
    assert client.get(url).status_code == 200

    grant = RoleGrant.objects.get(user=cast.taiyuan)
    grant.role, grant.region_id = "county_officer", "140105"
    grant.save()  # as the admin's change form does
    assert scope_for(cast.taiyuan).can("inspections.view")
    response = client.get(url)
    assert response.status_code == 403
    # A run made after the change is served again.
    fresh = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
    export_run_execute(run_id=fresh.pk)
    assert client.get(reverse("ledgers:export_download", args=[fresh.pk])).status_code == 200


def test_a_mail_server_that_hangs_cannot_outlast_the_outbox_lease(settings):
    """smtplib waits forever by default: a send still hanging when its claim expires is
    sent again by the sweep, and then once more when the first one returns."""
    assert settings.EMAIL_TIMEOUT is not None
    assert 0 < settings.EMAIL_TIMEOUT < outbox.LEASE.total_seconds() / 2


# -- export runs: a live worker keeps its claim -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_long_export_keeps_its_claim_while_it_writes(cast, both, monkeypatch):
    """A run still writing after STALE_CLAIM (a national ledger of millions of rows) must
    not be taken by a second worker: every progress report renews the claim."""
    from reporting.ledgers import Ledger
    from tabular.export import ListExporter
    from tabular.export_runs import STALE_CLAIM, export_run_claim

    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
    stolen = []

    class Slow(ListExporter):
        headers = ["n"]

        def rows(self):
            yield [1]
            # The writing has lasted longer than STALE_CLAIM by now.
            ExportRun.objects.filter(pk=run.pk).update(
                claimed_at=timezone.now() - STALE_CLAIM - dt.timedelta(minutes=1)
            )
            yield [2]
            stolen.append(export_run_claim(run_id=run.pk))
            yield [3]

    monkeypatch.setattr(Ledger, "build", lambda self, **kwargs: Slow())
    export_run_execute(run_id=run.pk, every=1)
    assert stolen == [False]
    run.refresh_from_db()
    assert run.status == ExportRun.Status.DONE and run.rows_written == 3
