"""账号管理 pages: thin views over accounts' delegation rules and services.

Every page needs `accounts.manage` (403 without it); an account outside the admin's regions
is the same 404 as a missing one (`delegation.managed_users`). A generated password is
rendered once, never redirected to, stored in a session or logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts import selectors, selectors_manage, services
from accounts.delegation import managed_users
from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404, scope_for
from core.forms import refusal_on_form

from .forms import AccountCreateForm, AccountFilterForm, AccountForm, GrantForm


def _refusal(request, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


def _shown_once(request, context: dict):
    response = render(request, "onboarding/password.html", context)
    response["Cache-Control"] = "no-store"
    return response


class _ManageMixin(ScopedViewMixin):
    permission = "accounts.manage"

    def account(self):
        return get_in_scope_or_404(
            managed_users(self.scope).select_related("region"), pk=self.kwargs["pk"]
        )


class UserListView(_ManageMixin, TemplateView):
    """The accounts this admin manages, searched and filtered."""

    template_name = "onboarding/user_list.html"

    def get_context_data(self, **kwargs):
        form = AccountFilterForm(self.request.GET or None, scope=self.scope)
        users = selectors.account_list(scope=self.scope, **form.filters())
        return super().get_context_data(
            form=form, page=Paginator(users, 50).get_page(self.request.GET.get("page")), **kwargs
        )


class UserCreateView(_ManageMixin, View):
    """A new account with its first grant; its initial password is shown once."""

    def get(self, request):
        return self.page(AccountCreateForm(scope=self.scope))

    def page(self, form, status=200):
        return render(request=self.request, template_name="onboarding/user_new.html",
                      context={"form": form}, status=status)  # fmt: skip

    def post(self, request):
        form = AccountCreateForm(request.POST, scope=self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account, password = services.user_create(
                    actor=request.user,
                    username=data["username"],
                    full_name=data["full_name"],
                    phone=data["phone"],
                    email=data["email"],
                    region_code=data["region"],
                    role=data["role"],
                    department=data["department"],
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                return _shown_once(request, {"account": account, "password": password, "new": True})
        return self.page(form, status=400)


class UserDetailView(_ManageMixin, View):
    """One account: its details (editable), grants, recent audit events and history."""

    def get(self, request, pk):
        return detail_page(request, self.account())

    def post(self, request, pk):
        account = self.account()
        form = AccountForm(request.POST, scope=self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.user_update(
                    user=account,
                    actor=request.user,
                    full_name=data["full_name"],
                    phone=data["phone"],
                    email=data["email"],
                    region_code=data["region"],
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                messages.success(request, _("账号信息已保存"))
                return redirect("onboarding:user", pk=account.pk)
        return detail_page(request, account, form=form, status=400)


def detail_page(request, account, *, form=None, grant_form=None, status=200):
    scope = scope_for(request.user)
    if form is None:
        initial = {"full_name": account.full_name, "phone": account.phone,
                   "email": account.email, "region": account.region_id}  # fmt: skip
        form = AccountForm(initial=initial, scope=scope)
    context = {
        "account": account,
        "form": form,
        "grant_form": grant_form or GrantForm(scope=scope),
        "grants": selectors_manage.account_grants(user=account),
        "events": selectors_manage.account_events(user=account),
        "history": selectors_manage.account_history(user=account),
    }
    return render(request, "onboarding/user_detail.html", context, status=status)


class UserActiveView(_ManageMixin, View):
    """Switch an account off (active=0) or on again (active=1)."""

    def post(self, request, pk):
        account = self.account()
        wanted = request.POST.get("active")
        if wanted not in ("0", "1"):
            messages.error(request, _("请选择启用或停用"))
            return redirect("onboarding:user", pk=account.pk)
        try:
            services.user_set_active(user=account, actor=request.user, active=wanted == "1")
        except ValidationError as exc:
            _refusal(request, exc)
        else:
            done = _("账号已启用") if wanted == "1" else _("账号已停用，无法再登录")
            messages.success(request, done)
        return redirect("onboarding:user", pk=account.pk)


class PasswordResetView(_ManageMixin, View):
    """A new one-time password, shown once; it must be changed at the first sign-in."""

    def post(self, request, pk):
        account = self.account()
        try:
            password = services.password_reset(user=account, actor=request.user)
        except ValidationError as exc:
            _refusal(request, exc)
            return redirect("onboarding:user", pk=account.pk)
        return _shown_once(request, {"account": account, "password": password, "new": False})


class GrantAddView(_ManageMixin, View):
    def post(self, request, pk):
        account = self.account()
        form = GrantForm(request.POST, scope=self.scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.grant_add(
                    user=account,
                    actor=request.user,
                    role=data["role"],
                    region_code=data["region"],
                    department=data["department"],
                )
            except ValidationError as exc:
                refusal_on_form(form, exc)
            else:
                messages.success(request, _("已添加授权"))
                return redirect("onboarding:user", pk=account.pk)
        return detail_page(request, account, grant_form=form, status=400)


class GrantRemoveView(_ManageMixin, View):
    def post(self, request, pk, grant_pk):
        account = self.account()
        grant = selectors_manage.account_grant(user=account, grant_id=grant_pk)
        try:
            remaining = services.grant_remove(grant=grant, actor=request.user)
        except ValidationError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("已移除授权"))
            if remaining == 0:
                messages.warning(
                    request,
                    _("该账号已没有任何授权：登录后无法使用任何功能，请为其添加授权或停用账号。"),
                )
        return redirect("onboarding:user", pk=account.pk)
