"""Grants written in bulk by the scale generator (ops/scale), which COPYs rows past the ORM.

It takes the table and its columns from here, so that only accounts names the grant model.
"""

from __future__ import annotations

from .models import RoleGrant

# The order of the values in each row a COPY of grants sends.
GRANT_COLUMNS = ("user_id", "role", "region_id", "department", "created_at")


def grant_table() -> str:
    """The database table holding role grants."""
    return RoleGrant._meta.db_table
