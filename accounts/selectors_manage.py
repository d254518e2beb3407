"""Reads for the 账号管理 pages (onboarding): the regions an admin may use, an account's
grants, its audit events and change history. The account itself is fetched through the
admin's scope first (`get_in_scope_or_404(delegation.managed_users(scope), pk=...)`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.models import Region

from .audit import object_label
from .models import AuditEvent, RoleGrant, User
from .scope import Scope, get_in_scope_or_404


def manageable_regions(*, scope: Scope) -> QuerySet[Region]:
    """The regions an admin may put an account in or grant on: their own and those below
    (not the ancestors `Scope.regions` adds for navigation)."""
    return Region.objects.filter(scope.q("accounts.manage", region="code")).order_by("code")


def account_grants(*, user: User) -> list[RoleGrant]:
    """An account's grants, oldest first, for its page (the account fetched through the
    admin's scope)."""
    return list(user.grants.select_related("region").order_by("pk"))


def account_grant(*, user: User, grant_id) -> RoleGrant:
    """One grant of an account already fetched through the admin's scope; 404 otherwise."""
    return get_in_scope_or_404(user.grants.select_related("region", "user"), pk=grant_id)


def account_events(*, user: User, limit: int = 20) -> list[AuditEvent]:
    """The latest audit events about an account (created, changed, grants, resets) and its
    own sign-ins."""
    about = Q(object_type=object_label(user), object_id=str(user.pk))
    return list(
        AuditEvent.objects.filter(about | Q(actor=user) | Q(username=user.username))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


_HISTORY_FIELDS = ("username", "full_name", "phone", "email", "region", "is_active",
                   "must_change_password", "notify_by_email")  # fmt: skip


def account_history(*, user: User, limit: int = 20) -> list[dict]:
    """The account's change history, newest first: its own rows (which fields changed) and
    its grants' (given, changed, taken away), each with who and when."""
    entries = []
    records = list(
        user.history.select_related("history_user").order_by("history_date", "history_id")
    )
    previous = None
    for record in records:
        if previous is None:
            fields = []
        else:
            delta = record.diff_against(previous, included_fields=list(_HISTORY_FIELDS))
            fields = [str(User._meta.get_field(c.field).verbose_name) for c in delta.changes]
        if previous is None or fields:
            entries.append({"when": record.history_date, "who": record.history_user,
                            "kind": "user", "type": record.history_type, "fields": fields,
                            "record": record})  # fmt: skip
        previous = record
    grant_records = (
        RoleGrant.history.filter(user_id=user.pk)
        .select_related("history_user", "region")
        .order_by("history_date", "history_id")
    )
    for record in grant_records:
        entries.append({"when": record.history_date, "who": record.history_user,
                        "kind": "grant", "type": record.history_type, "fields": [],
                        "record": record})  # fmt: skip
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries[:limit]
