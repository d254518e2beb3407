"""账号管理 pages: thin views over accounts' delegation rules and services."""

from django.core.paginator import Paginator
from django.views.generic import TemplateView

from accounts import selectors
from accounts.mixins import ScopedViewMixin


class UserListView(ScopedViewMixin, TemplateView):
    """The accounts this admin manages."""

    permission = "accounts.manage"
    template_name = "onboarding/user_list.html"

    def get_context_data(self, **kwargs):
        users = selectors.account_list(scope=self.scope)
        return super().get_context_data(
            page=Paginator(users, 50).get_page(self.request.GET.get("page")), **kwargs
        )
