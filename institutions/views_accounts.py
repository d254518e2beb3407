"""机构账号 on the institution's page: the county opens, resets and switches off the accounts
an institution signs in with (institutions/accounts.py). Without `institution_accounts.manage`
a request is 403; an institution or account outside the officer's county is 404. A generated
password is rendered once with no-store, never redirected to, stored or logged."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import ScopedViewMixin
from accounts.roles import Department
from accounts.scope import get_in_scope_or_404

from . import accounts


def _shown_once(request, context: dict):
    response = render(request, "institutions/account_password.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _refusal(request, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


class _AccountsMixin(ScopedViewMixin):
    permission = accounts.MANAGE

    def _require_education(self):
        # A county officer of fire or sports holds the role but not this duty: the notice
        # gives the institutions' self-inspection to the education bureau.
        if Department.EDUCATION not in self.scope.departments(accounts.MANAGE):
            raise PermissionDenied

    def institution(self):
        self._require_education()
        return get_in_scope_or_404(
            accounts.manageable_institutions(scope=self.scope), pk=self.kwargs["pk"]
        )

    def account(self):
        self._require_education()
        found = accounts.manageable_accounts(scope=self.scope).select_related("user", "institution")
        return get_in_scope_or_404(found, pk=self.kwargs["pk"])


class AccountOpenView(_AccountsMixin, View):
    def post(self, request, pk):
        institution = self.institution()
        try:
            account, password = accounts.institution_account_open(
                institution=institution, actor=request.user, scope=self.scope
            )
        except ValidationError as exc:
            _refusal(request, exc)
            return redirect("institutions:detail", pk=institution.pk)
        return _shown_once(request, {"account": account, "password": password, "new": True})


class AccountResetView(_AccountsMixin, View):
    def post(self, request, pk):
        account = self.account()
        try:
            password = accounts.institution_account_reset(
                account=account, actor=request.user, scope=self.scope
            )
        except ValidationError as exc:
            _refusal(request, exc)
            return redirect("institutions:detail", pk=account.institution_id)
        return _shown_once(request, {"account": account, "password": password, "new": False})


class AccountActiveView(_AccountsMixin, View):
    def post(self, request, pk):
        account = self.account()
        wanted = request.POST.get("active")
        if wanted not in ("0", "1"):
            messages.error(request, _("请选择启用或停用"))
            return redirect("institutions:detail", pk=account.institution_id)
        try:
            accounts.institution_account_set_active(
                account=account, actor=request.user, scope=self.scope, active=wanted == "1"
            )
        except ValidationError as exc:
            _refusal(request, exc)
        else:
            done = _("机构账号已启用") if wanted == "1" else _("机构账号已停用，无法再登录")
            messages.success(request, done)
        return redirect("institutions:detail", pk=account.institution_id)
