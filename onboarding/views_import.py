"""账号导入's one page of its own: the initial passwords, downloaded once. The upload, preview
and confirm pages are the one import flow's (tabular/views.py, routed in urls.py)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.views import View

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from tabular.download import XLSX, download
from tabular.models import ImportRun

from .importer import KIND, PERMISSION
from .passwords import password_sheet_take


class PasswordSheetView(ScopedViewMixin, View):
    """POST, not GET: a link prefetcher or a mail scanner must not spend the one download."""

    permission = PERMISSION

    def post(self, request, pk):
        # A run is its uploader's own: another admin's reads as missing.
        own = ImportRun.objects.filter(created_by=request.user, kind=KIND)
        run = get_in_scope_or_404(own, pk=pk)
        try:
            data = password_sheet_take(run=run, actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("onboarding:import_run", pk=run.pk)
        response = download(data, f"初始密码表-{run.pk}.xlsx", XLSX)
        add_never_cache_headers(response)  # shown once: no browser or proxy keeps a copy
        return response
