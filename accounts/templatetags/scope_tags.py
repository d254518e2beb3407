"""Templates ask the same Scope as views do, so a button shows only when its page would open."""

from django import template

from accounts.scope import scope_for

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """`{% if user|can:"institutions.change" %}`: the role holds the permission somewhere."""
    return scope_for(user).can(permission)
