"""What every API view set shares: read and write permissions, service errors as 400."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from .scope import Scope, scope_for

READ_ACTIONS = frozenset({"list", "retrieve", "metadata", None})


class ScopedViewSetMixin:
    """`permission` for reads, `write_permission` for the rest (ScopePermission asks for it).

    Views fetch rows through selectors with the permission of the action in hand, so a row
    the user may read but not change answers 404 to a write, like a row out of scope.
    """

    read_permission = ""
    write_permission = ""

    @property
    def permission(self) -> str:
        if self.action in READ_ACTIONS or not self.write_permission:
            return self.read_permission
        return self.write_permission

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)


@contextmanager
def service_errors():
    """A service's ValidationError becomes a 400 with its (Chinese) messages by field."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(get_error_detail(exc)) from None
