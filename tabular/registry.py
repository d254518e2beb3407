"""The list of ledgers the export machinery runs, owned here and filled from above.

The machinery (download.py, export_runs.py) sits below the apps whose ledgers it exports:
`reporting` owns the 台账 hub's list and hands its lookup over in its AppConfig.ready(), so
this package never imports the app above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_lookup: Callable[[str], Any] | None = None


def register_ledger_lookup(lookup: Callable[[str], Any]) -> None:
    """Called once at start-up by the app that owns the ledgers (reporting)."""
    global _lookup
    _lookup = lookup


def ledger_by_key(key: str):
    """The registered ledger under `key`, or None (also when no app registered any)."""
    return _lookup(key) if _lookup is not None else None
