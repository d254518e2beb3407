"""The layering rule: an app imports only the apps below it (docs/architecture.md, Layers).

`make test` runs import-linter on the contract in pyproject.toml; these tests keep that
contract honest: every app of the project is in it, in the order the architecture page
documents, and it lists no exceptions."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]


def documented_layers() -> list[str]:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("## Layers", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def test_every_app_of_the_project_has_a_layer():
    ours = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if (ROOT / config.name.split(".")[0]).is_dir()
    } | {"config"}
    layered = {
        name for layer in contract()["contracts"][0]["layers"] for name in re.split(r"[|:]", layer)
    }
    assert ours <= {name.strip() for name in layered}
    assert set(contract()["root_packages"]) == {name.strip() for name in layered}


def test_the_contract_is_the_documented_order_with_no_exceptions():
    (layers,) = contract()["contracts"]
    assert layers["type"] == "layers"
    assert "ignore_imports" not in layers and "unmatched_ignore_imports_alerting" not in layers
    assert layers["layers"] == documented_layers()


def test_import_linter_keeps_the_contract():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(  # noqa: S603 - the venv's own lint-imports, no shell
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout
