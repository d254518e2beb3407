"""The API's half of the scope: the same permission strings as the pages."""

from rest_framework.permissions import BasePermission

from .scope import scope_for


class ScopePermission(BasePermission):
    """A view sets `permission = "institutions.view"`; its queryset is scoped by its selector.

    Anonymous requests get 401 (DRF turns the False into NotAuthenticated); a role without
    the permission gets 403; an object outside the scope is absent from the queryset: 404.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        permission = getattr(view, "permission", "")
        if not permission:
            raise TypeError(f"{type(view).__name__} must declare `permission`")
        return scope_for(request.user).can(permission)


def exception_handler(exc, context):
    """DRF's handler, with Django's English "No X matches the given query." made a plain 404.

    The same body for a missing row and one outside the scope, in the user's language.
    """
    from django.http import Http404
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
