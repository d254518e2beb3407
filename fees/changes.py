"""When fee data changes, the kept fee figures (fees/figures.py) are added up again by their
next reader: whoever recorded a charge, a refund or a closure sees it on the next page."""

from __future__ import annotations

from django.db import transaction

from ops import kept as kept_copies


def changed_key() -> str:
    return kept_copies.key("fees", "changed")


def fees_changed() -> None:
    """Charges, violations or refunds were written: mark the kept figures out of date once
    the transaction commits (fees/services.py and fees/evaluation.py call it)."""
    transaction.on_commit(lambda: kept_copies.mark_changed(changed_key()))
