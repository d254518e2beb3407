"""Reads for accounts: the audit log and what a user's home page shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _

from core.regions import within_region

from .delegation import managed_users
from .models import AuditEvent, RoleGrant, User
from .roles import Role
from .scope import Scope

# When a user holds several grants, the home page follows the most senior one.
_HOME_ORDER = [
    Role.ADMIN,
    Role.PROVINCE_STAFF,
    Role.CITY_STAFF,
    Role.COUNTY_OFFICER,
    Role.VETTING_OFFICER,
    Role.DEPARTMENT_USER,
    Role.AUDITOR,
]


def audit_event_list(*, scope: Scope, kind: str = "", username: str = "") -> QuerySet:
    scope.require("audit.view")
    qs = AuditEvent.objects.select_related("actor")
    if kind:
        qs = qs.filter(kind=kind)
    if username:
        qs = qs.filter(username=username)
    return qs


@dataclass(frozen=True)
class AuditTarget:
    """What an audit event was about, for people: 用户 张三, linked to its page if it has one."""

    kind: str
    name: str
    url: str = ""


def _audited_models() -> dict[str, type[Model]]:
    """Every model by the label its events carry: `audit_label` where a model moved app."""
    found = {model._meta.label: model for model in apps.get_models()}
    for model in apps.get_models():
        if label := getattr(model, "audit_label", None):
            found[label] = model
    return found


def _target_url(obj) -> str:
    try:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    except NoReverseMatch:  # a page not (yet) routed: the name alone
        return ""


def audit_targets(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """The events, each with `.target` (an AuditTarget or None): one query per object type.

    Who opens a link still meets that page's own permission and scope checks."""
    events = list(events)
    models = _audited_models()
    wanted: dict[str, set] = {}
    for event in events:
        model = models.get(event.object_type)
        if model is None or not event.object_id:
            continue
        try:
            wanted.setdefault(event.object_type, set()).add(
                model._meta.pk.to_python(event.object_id)
            )
        except ValidationError:
            continue
    found: dict[tuple[str, str], Model] = {}
    for label, ids in wanted.items():
        # select_related() follows the non-null foreign keys that names like
        # "太原市 2023 专项行动 工作总结" are made of.
        for obj in models[label]._base_manager.select_related().filter(pk__in=ids):
            found[(label, str(obj.pk))] = obj
    for event in events:
        event.target = None
        if not event.object_type:
            continue
        model = models.get(event.object_type)
        kind = str(model._meta.verbose_name) if model else str(_("其他记录"))
        obj = found.get((event.object_type, event.object_id))
        if obj is None:
            gone = _("编号 %(id)s（已删除）") if model else _("编号 %(id)s")
            event.target = AuditTarget(kind=kind, name=str(gone) % {"id": event.object_id})
        else:
            event.target = AuditTarget(kind=kind, name=str(obj), url=_target_url(obj))
    return events


def grants_changed_since(*, user, when) -> bool:
    """True when any of the user's grants was added, changed or removed at or after `when`
    (the admin site's edits and deletions leave history rows): a file built for the grants
    held then may hold more than they may see now."""
    return RoleGrant.history.filter(user_id=user.pk, history_date__gte=when).exists()


def users_holding(
    *, roles: Iterable[str], region_code: str | None = None, within: str | None = None
) -> QuerySet:
    """Active users with a grant of one of `roles` (exactly on `region_code`, or anywhere
    under the code prefix `within`, or anywhere), each once; for the caller to order."""
    grants = RoleGrant.objects.filter(role__in=list(roles), user__is_active=True)
    if region_code is not None:
        grants = grants.filter(region_id=region_code)
    if within is not None:
        grants = grants.filter(region__code__startswith=within)
    return User.objects.filter(pk__in=grants.values("user_id"))


def primary_grant(*, user) -> RoleGrant | None:
    grants = list(user.grants.select_related("region"))
    grants.sort(key=lambda g: _HOME_ORDER.index(g.role))
    return grants[0] if grants else None


def account_list(
    *,
    scope: Scope,
    search: str = "",
    region_code: str = "",
    role: str = "",
    department: str = "",
    active: bool | None = None,
) -> QuerySet[User]:
    """The accounts an admin manages (accounts/delegation.py), each with its grants as
    `grant_list` (region loaded), for the 账号管理 pages; narrowed by a search of username,
    name or phone, the account's region (and those below it), a role or department held,
    and whether it is switched on."""
    grants = RoleGrant.objects.select_related("region").order_by("pk")
    users = managed_users(scope)
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(full_name__icontains=search)
            | Q(phone__contains=search)
        )
    if region_code:
        users = within_region(users, region_code, path="region__code")
    if role or department:
        held = RoleGrant.objects.all()
        if role:
            held = held.filter(role=role)
        if department:
            held = held.filter(department=department)
        users = users.filter(pk__in=held.values("user_id"))
    if active is not None:
        users = users.filter(is_active=active)
    return (
        users.select_related("region")
        .prefetch_related(Prefetch("grants", queryset=grants, to_attr="grant_list"))
        .order_by("region_id", "username")
    )


def accounts_by_username(*, usernames: Iterable[str]) -> dict[str, User]:
    """Users by lower-cased username (user names are unique whatever their case), each with
    `grant_keys`: the (role, region code, department) of its grants, so the account import
    can tell a row already in place from an account it must not touch."""
    wanted = {name.lower() for name in usernames}
    users = (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=wanted)
        .prefetch_related("grants")
    )
    found = {}
    for user in users:
        user.grant_keys = frozenset((g.role, g.region_id, g.department) for g in user.grants.all())
        found[user.username.lower()] = user
    return found
