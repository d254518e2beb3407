"""When fee data changes, the kept fee figures (fees/figures.py) are added up again by their
next reader: whoever recorded a charge, a refund or a closure sees it on the next page.
One counter per province (and one for the copy of several provinces): a write in one
province leaves the others' copies alone."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core import kept as kept_copies


def changed_key(province: str) -> str:
    return kept_copies.key("fees", "changed", province or "all")


def on_institutions_moved(sender, *, county_codes: Iterable[str], **kwargs) -> None:
    """Institutions moved county or sector (institutions.signals): their charges are counted
    by both in the kept figures."""
    fees_changed(county_codes)


def fees_changed(county_codes: Iterable[str]) -> None:
    """Charges, violations or refunds of institutions in these counties were written: count
    a change for their provinces once the transaction commits (fees/services.py and
    fees/evaluation.py call it)."""
    provinces = sorted({code[:2] for code in county_codes} | {""})

    def count() -> None:
        for province in provinces:
            kept_copies.mark_changed(changed_key(province))

    # The write is committed whatever happens here: a failure is logged, never the
    # request's 500 (mark_changed already shrugs off a Redis that is down).
    transaction.on_commit(count, robust=True)
