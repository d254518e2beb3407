"""Every reach question is asked of the scope: outside accounts/, no code reads grant rows.

Code elsewhere asks `Scope` (accounts/scope.py), the accounts selectors and services; it never
names `RoleGrant`, never reads a user's or a scope's `.grants`, never builds a `Grant(...)`, and
never iterates a scope's grants (`grants_for(...)`) to apply a rule of its own.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "accounts", "tests", "migrations", "node_modules", "__pycache__"}
RAW_GRANTS = re.compile(r"\bRoleGrant\b|\.grants\b|\bGrant\(|\bgrants__|grants_for\(")


def python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        yield path


def raw_grant_reads(root: Path) -> list[str]:
    """`file:line: text` of every line outside accounts/ that reads grants past the scope."""
    found = []
    for path in python_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_GRANTS.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_code_outside_accounts_reads_grant_rows():
    found = raw_grant_reads(ROOT)
    assert not found, "ask accounts.scope.Scope instead:\n" + "\n".join(found)


def test_the_check_names_the_file_and_line_of_each_raw_read(tmp_path):
    (tmp_path / "fees").mkdir()
    (tmp_path / "fees" / "views.py").write_text(
        "from accounts.models import RoleGrant\n"
        "ok = scope.can('fees.view')\n"
        "if scope.grants:\n"
        "    s = Scope([Grant('auditor', '140000', 'province', 'education')])\n"
        "rows = user.grants.all()\n"
        "admins = User.objects.filter(grants__role='admin')\n"
        "codes = [g.prefix for g in scope.grants_for('fees.view')]\n"
        "held = scope._grants_for('fees.view')\n"
    )
    for skipped in ("accounts", "tests", ".venv", "fees/migrations"):
        (tmp_path / skipped).mkdir(parents=True, exist_ok=True)
        (tmp_path / skipped / "x.py").write_text(
            "RoleGrant.objects.all()\nheld = self._grants_for('fees.view')\n"
        )
    assert raw_grant_reads(tmp_path) == [
        "fees/views.py:1: from accounts.models import RoleGrant",
        "fees/views.py:3: if scope.grants:",
        "fees/views.py:4: s = Scope([Grant('auditor', '140000', 'province', 'education')])",
        "fees/views.py:5: rows = user.grants.all()",
        "fees/views.py:6: admins = User.objects.filter(grants__role='admin')",
        "fees/views.py:7: codes = [g.prefix for g in scope.grants_for('fees.view')]",
        "fees/views.py:8: held = scope._grants_for('fees.view')",
    ]
