"""View plumbing: a page declares the permission it needs; the scope does the rest."""

from django.contrib.auth.mixins import LoginRequiredMixin

from .scope import Scope, scope_for


class ScopedViewMixin(LoginRequiredMixin):
    """Anonymous → login page; lacking the permission → 403; rows come scoped via `self.scope`."""

    permission: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.permission:
            raise TypeError(f"{type(self).__name__} must declare `permission`")
        self.scope: Scope = scope_for(request.user)
        self.scope.require(self.permission)
        return super().dispatch(request, *args, **kwargs)
