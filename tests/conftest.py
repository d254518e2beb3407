"""The standing cast and the shared fixtures.

Cast (STYLE.md practice 10): county officers of 小店区 (140105) and 平城区 (140213),
太原市 staff (140100), province staff, an admin, an auditor, an outsider with no role,
and the anonymous visitor.
"""

import os
from types import SimpleNamespace

import pytest

from core.models import Region
from institutions.services import regions_load
from tests.factories import InstitutionFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse the ORM calls the same tests make around the browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Test-pass-2023"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # 山西's 129 regions, loaded once into the test database rather than by every test that
    # needs them (0.13 s each, a thousand times): each test's transaction starts with them.
    with django_db_blocker.unblock():
        regions_load(province_code="140000")
        # A commit need not wait for its WAL to reach the disk in a throwaway database (a
        # crash loses the last commits of a test run, nothing else): every commit of the
        # transactional tests, the live server's requests and the workers it starts (new
        # sessions take the database's setting) stops paying for an fsync.
        from django.db import connection

        with connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit TO off")
            cursor.execute("SET synchronous_commit TO off")


@pytest.fixture(scope="session", autouse=True)
def _quick_flush():
    """A transactional test ends with Django's flush: one TRUNCATE of all ~115 tables, which
    makes new files for every table and index and took 2.5–3 s per test on the CI machine
    (about 100 such tests). DELETE of the same tables (most hold no row) leaves them just as
    empty in milliseconds; the foreign keys are all DEFERRABLE INITIALLY DEFERRED, so the
    order does not matter. Tables guarded by a row trigger (the append-only audit log, the
    frozen sampling draws) refuse DELETE: those still go by TRUNCATE … CASCADE when they hold
    rows. Sequences are not reset either way (no test asks Django to)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
                [list(tables)],
            )
            guarded = sorted(row[0] for row in cursor.fetchall())
            holding = []
            for table in guarded:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {self.quote_name(table)})")  # noqa: S608
                if cursor.fetchone()[0]:
                    holding.append(table)
        statements = []
        if holding:
            names = ", ".join(self.quote_name(t) for t in holding)
            statements.append(f"TRUNCATE {names} CASCADE;")
        statements += [f"DELETE FROM {self.quote_name(t)};" for t in tables]  # noqa: S608
        return statements

    patch = pytest.MonkeyPatch()
    patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
    yield
    patch.undo()


@pytest.fixture
def regions(db):
    # A transactional test's flush empties every table: load them again then.
    if not Region.objects.filter(code="140000").exists():
        regions_load(province_code="140000")


@pytest.fixture
def cast(regions):
    return SimpleNamespace(
        xiaodian=UserFactory(username="xiaodian", grant=("county_officer", "140105")),
        pingcheng=UserFactory(username="pingcheng", grant=("county_officer", "140213")),
        taiyuan=UserFactory(username="taiyuan", grant=("city_staff", "140100")),
        province=UserFactory(username="province", grant=("province_staff", "140000")),
        admin=UserFactory(username="admin", grant=("admin", "140000")),
        auditor=UserFactory(username="auditor", grant=("auditor", "140000")),
        outsider=UserFactory(username="outsider"),
    )


@pytest.fixture
def places(regions):
    """One institution in each cast county, and one elsewhere in 太原市 (迎泽区)."""
    return SimpleNamespace(
        xiaodian=InstitutionFactory(name="小店区博雅舞蹈培训学校", county_id="140105"),
        pingcheng=InstitutionFactory(name="平城区启明美术培训学校", county_id="140213"),
        yingze=InstitutionFactory(
            name="迎泽区育才编程培训中心", county_id="140106", sector="science"
        ),
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium; Playwright never downloads a browser here.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A 360 px phone is the floor the county pages are built for.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 360, "height": 740}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; the suite creates hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def same_page(first: bytes, second: bytes, *varying: str) -> bool:
    """Two pages are the same once the per-render CSRF token and the given strings are removed."""
    import re

    def clean(page: bytes) -> str:
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.decode())
        for value in varying:
            text = text.replace(value, "")
        return text

    return clean(first) == clean(second)


@pytest.fixture(autouse=True)
def _chinese_by_default():
    # A request in English leaves English active in the thread; each test starts in Chinese.
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files (import runs, later photos) go to a fresh folder per test.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_kept_copies():
    # The kept dashboard copies (core/kept.py) live in Redis, keyed by the database's name:
    # one test's copy (or a previous run's) must not be another's figures. Only those keys
    # go: the broker's queues and bindings share the database.
    from django.core.cache import cache
    from django.db import connection

    client = getattr(cache, "_cache", None)
    if client is not None and hasattr(client, "get_client"):
        redis = client.get_client(write=True)
        from core import kept

        # This database's copies only ("kept:<name>:…"): another run may share the Redis.
        # The lost-run sweep's "sent lately" marks are per database too, and a test's run 1
        # is not the run 1 of the test before.
        name = connection.settings_dict["NAME"]
        for pattern in (kept.key("*"), f"runs-resume:{name}:*"):
            keys = list(redis.scan_iter(match="*" + pattern, count=1000))
            if keys:
                redis.delete(*keys)
    else:
        cache.clear()
