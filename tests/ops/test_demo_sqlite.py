"""The demo runs on SQLite (`make demo` needs nothing but Python), the suite on PostgreSQL.

This test builds a small demo database on SQLite in a separate process and opens every
main page as every demo user: SQL that only PostgreSQL understands shows up here as a
server error instead of in front of a new user.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SCRIPT = r"""
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from ops.management.commands.seed_demo import DEMO_USERS
from accounts.models import User

setup_test_environment()
call_command("migrate", verbosity=0)
call_command("seed_demo", institutions=200, stdout=open("/dev/null", "w"))
call_command("run_campaign_jobs", stdout=open("/dev/null", "w"))
pages = ["/", "/institutions/", "/inspections/problems/", "/sampling/", "/progress/",
         "/staff/", "/fees/", "/complaints/", "/notifications/", "/campaign/",
         "/public/complaints/", "/complaints/rules/"]
statuses = {}
for username, *_ in DEMO_USERS:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    for page in pages:
        statuses[f"{username} {page}"] = client.get(page).status_code
print(json.dumps(statuses))
"""


def test_every_demo_user_opens_every_main_page_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
        "DEBUG": "0",
        "SECRET_KEY": "demo-test-only",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        capture_output=True, text=True, check=False, cwd=settings.BASE_DIR, env=env,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    statuses = json.loads(done.stdout.strip().splitlines()[-1])
    errors = {page: status for page, status in statuses.items() if status >= 500}
    assert errors == {}, done.stderr[-4000:]
    assert statuses["county_xiaodian /"] == 200
    assert statuses["province /"] == 200
    assert statuses["city_taiyuan /sampling/"] == 200
    assert statuses["admin /complaints/rules/"] == 200
    assert statuses["county_xiaodian /complaints/rules/"] == 403


def test_the_demo_and_the_benchmarks_are_ops_commands_and_no_app_imports_them():
    from django.core.management import get_commands

    commands = get_commands()
    tooling = ["seed_demo", "bench_import", "bench_draw", "bench_dashboard", "bench"]
    assert {name: commands[name] for name in tooling} == dict.fromkeys(tooling, "ops")
    root = Path(settings.BASE_DIR)
    apps = [path.parent for path in root.glob("*/apps.py") if path.parent.name != "ops"]
    offenders = []
    for path in (file for app in apps for file in app.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            if any(f"{name}.".startswith(("ops.demo.", "ops.management.")) for name in names):
                offenders.append(str(path.relative_to(root)))
    assert apps and offenders == []
