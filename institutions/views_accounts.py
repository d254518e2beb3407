"""机构账号 on the institution's page: the county opens, resets and switches off the accounts
an institution signs in with (institutions/accounts.py). Without `institution_accounts.manage`
a request is 403; an institution or account outside the officer's county is 404. A generated
password is rendered once with no-store, never redirected to, stored or logged."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import ScopedViewMixin
from accounts.roles import Department
from accounts.scope import get_in_scope_or_404
from tabular.download import XLSX, download

from . import account_batches, accounts


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


class AccountBatchesView(_AccountsMixin, View):
    """批量开通机构账号: the counties the user opens accounts in, how many institutions of
    each have none, the user's batches and their once-only password sheets."""

    def page(self, request, status=200):
        counties = list(account_batches.manageable_counties(scope=self.scope)[:200])
        for county in counties:
            county.waiting = account_batches.candidates(county.pk).count()
        batches = list(account_batches.batch_list(scope=self.scope, actor=request.user)[:20])
        for batch in batches:
            batch.is_stale = account_batches.stale(batch)
        response = render(
            request,
            "institutions/account_batches.html",
            {"counties": counties, "batches": batches, "now": timezone.now()},
            status=status,
        )
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request):
        self._require_education()
        return self.page(request)

    def post(self, request):
        self._require_education()
        code = request.POST.get("county", "").strip()[:12]
        if not code:
            _refusal(request, ValidationError(_("请选择县（市、区）")))
            return self.page(request, status=400)
        county = get_in_scope_or_404(account_batches.manageable_counties(scope=self.scope), pk=code)
        try:
            batch = account_batches.account_batch_request(
                county=county, actor=request.user, scope=self.scope
            )
        except ValidationError as exc:
            _refusal(request, exc)
            return self.page(request, status=400)
        if batch.status == batch.Status.DONE:
            messages.success(
                request,
                _("已为%(county)s开通 %(n)d 个机构账号，请下载初始密码表")
                % {"county": county.name, "n": batch.opened},
            )
        else:
            messages.success(
                request,
                _("已开始为%(county)s批量开通机构账号，完成后可在本页下载初始密码表")
                % {"county": county.name},
            )
        return redirect("institutions:account_batches")


class AccountBatchSheetView(_AccountsMixin, View):
    """POST, not GET: a link prefetcher must not spend the one download."""

    def post(self, request, pk):
        self._require_education()
        batch = get_in_scope_or_404(
            account_batches.batch_list(scope=self.scope, actor=request.user), pk=pk
        )
        try:
            data = account_batches.batch_sheet_take(batch=batch, actor=request.user)
        except ValidationError as exc:
            _refusal(request, exc)
            return redirect("institutions:account_batches")
        response = download(data, f"机构账号初始密码-{batch.county.name}-{batch.pk}.xlsx", XLSX)
        add_never_cache_headers(response)
        return response
