"""PostgreSQL goes down under a running gunicorn and comes back.

A throwaway PostgreSQL cluster on a spare loopback port (the installed binaries, run as
the postgres user when we are root) holds a copy of the test database; gunicorn serves
the project against it in a subprocess. Stopping that cluster must turn pages into the
Chinese 503 page and API calls into a JSON 503 without writing anything; starting it
again must bring the same gunicorn back to 200 by itself. The machine's own PostgreSQL
is never touched.
"""

# Fixed local binaries and a loopback URL the test builds itself.
# ruff: noqa: S603, S310

import http.cookiejar
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import Notification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# The installed server binaries (Debian: /usr/lib/postgresql/<major>/bin, linked from PATH).
PG_BIN = Path(
    os.path.realpath(shutil.which("initdb") or "/usr/lib/postgresql/15/bin/initdb")
).parent
ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary folder; as the postgres user when we are root."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="anquan-fault-pg-"))
        self.data = self.folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")

    def run(self, *args, **kwargs):
        return subprocess.run(
            [*self.as_user, *args], check=True, capture_output=True, timeout=60, **kwargs
        )

    def init(self):
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")  # fmt: skip

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                 "-l", str(self.folder / "log"), "start")  # fmt: skip

    def stop(self, mode="fast"):
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "stop"], capture_output=True, timeout=30)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client that reports every status instead of raising."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def post_form(self, path, data):
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        return self.request(
            path, {**data, "csrfmiddlewaretoken": token}, {"Referer": self.base + path}
        )


@pytest.fixture
def seeded(cast):
    """The province user with a password gunicorn's default hasher reads, and one unread note."""
    user = cast.province
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "faultsalt0123456", iterations=1000)
    user.save(update_fields=["password"])
    Notification.objects.create(user=user, kind="other", title="测试通知")
    return user


@pytest.fixture
def world(seeded):
    """A throwaway PostgreSQL with a copy of the (committed) test database, and gunicorn on it."""
    pg = ThrowawayPostgres()
    server = None
    try:
        pg.init()
        pg.start()
        pg.run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(pg.port),
            "-U",
            "postgres",
            "anquan_fault",
        )
        source = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", "-h", source["HOST"] or "127.0.0.1",
             "-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres", source["NAME"]],
            check=True, capture_output=True, timeout=60, env=env,
        ).stdout  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port),
             "-U", "postgres", "-d", "anquan_fault"],
            input=dump, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        port = free_port()
        server_env = {
            **os.environ,
            "DATABASE_URL": pg.url("anquan_fault"),
            "DATABASE_CONNECT_TIMEOUT": "2",
            "DEBUG": "0",
            "SECRET_KEY": "fault-test-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_MANIFEST": "0",
            "HTTPS": "0",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "30"],
            cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not come up")
        yield pg, server, Browser(base)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        pg.remove()


def test_postgresql_down_gives_503_writes_nothing_and_recovers_by_itself(world, seeded):
    pg, server, browser = world
    assert browser.request("/accounts/login/")[0] == 200
    status, _, headers = browser.post_form(
        "/accounts/login/", {"username": seeded.username, "password": PASSWORD}
    )
    assert status == 302, "the user logs in while the database is up"
    assert browser.request("/")[0] == 200
    assert browser.request("/api/v1/regions/")[0] == 200

    pg.stop()

    status, body, headers = browser.request("/")
    assert status == 503
    assert "服务暂时不可用" in body and "本次操作没有保存" in body
    assert headers["Retry-After"] == "30"
    assert "Traceback" not in body and "psycopg" not in body

    status, body, _ = browser.request("/api/v1/regions/")
    assert status == 503
    assert "数据库暂时无法连接" in body and body.startswith("{")

    # "Mark all read" while the database is away: refused, and nothing of it lands later.
    status, body, _ = browser.post_form("/notifications/read/", {})
    assert status == 503 and "服务暂时不可用" in body

    status, body, _ = browser.request("/healthz")
    assert status == 503 and '"database": "down"' in body

    pg.start()

    # The same gunicorn, not restarted: its first request after the restart succeeds.
    assert server.poll() is None
    assert browser.request("/")[0] == 200, "the kept session and the page are back"
    assert browser.request("/healthz")[0] == 200
    assert browser.request("/api/v1/regions/")[0] == 200
    with _connect(pg) as check:
        unread = check.execute("SELECT count(*) FROM accounts_notification WHERE read_at IS NULL")
        assert unread.fetchone()[0] == 1


def _connect(pg):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="anquan_fault")
