"""The institution ledger export (the import's pages are the one flow in tabular/views.py)."""

from django.views import View

from accounts.mixins import ScopedViewMixin
from tabular.download import ledger_download, title_region_name

from . import selectors
from .exporters import InstitutionLedger


def institution_ledger(*, scope, user, params, request=None) -> InstitutionLedger:
    """The institution ledger for these query parameters (the download and a background run)."""
    qs = selectors.institution_list(scope=scope, filters=params)
    return InstitutionLedger(
        qs, region_name=title_region_name(scope=scope, user=user, params=params)
    )


class InstitutionExportView(ScopedViewMixin, View):
    """The institution ledger, filtered exactly as the list page, inside the user's scope."""

    permission = "institutions.view"

    def get(self, request):
        ledger = institution_ledger(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(
            request=request, ledger=ledger, key="institutions", basename="机构台账"
        )
