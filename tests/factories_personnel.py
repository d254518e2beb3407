"""Kept for the tests that import from here: the staff factories live in
tests/factories/personnel.py, the ID-number scanner in tests/scanning.py."""

from tests.factories.personnel import StaffFactory, id_number
from tests.scanning import REVEAL_PATHS, ScanningClient, reveal_refusal, scanning, unmasked_ids

__all__ = [
    "REVEAL_PATHS", "ScanningClient", "StaffFactory", "id_number", "reveal_refusal", "scanning",
    "unmasked_ids",
]  # fmt: skip
