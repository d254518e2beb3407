"""Sending a spreadsheet to the user: one path for every ledger and template download.

A ledger download is an audited export; its title names the region the user filtered on,
but only a region inside their scope (the rows are scoped anyway), else their own.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope, scope_for
from accounts.selectors import primary_grant
from core.models import Region

from . import registry
from .export import ListExporter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(data: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def title_region_name(*, scope: Scope, request=None, user=None, params=None) -> str:
    """The region named in a ledger's title: the filtered one if in scope, else the user's own.

    Takes a request, or (for a background run, which has none) the user and the query.
    """
    user = user if user is not None else request.user
    params = params if params is not None else request.GET
    regions = scope.regions(Region.objects.all(), "institutions.view")
    region = regions.filter(code=params.get("region") or "").first()
    if region is None:
        grant = primary_grant(user=user)
        region = grant.region if grant else None
    return region.name if region else ""


def export_format(params) -> str:
    return "csv" if params.get("format") == "csv" else "xlsx"


def export_file_name(basename: str, fmt: str) -> str:
    return f"{basename}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"


def audit_export(*, actor, key: str, fmt: str, filters: dict, request=None, **more) -> None:
    """The one audit record of a ledger export, downloaded at once or run in the background."""
    audit_log(
        kind=AuditEvent.Kind.EXPORT,
        actor=actor,
        request=request,
        detail={"ledger": key, "format": fmt, "filters": filters, **more},
    )


# Above this many rows a ledger is not built while the browser waits (20,000 institution
# rows took 8 s as xlsx on the 2-core test machine, and grow linearly): the download sends
# the user to start a background run with the same filters instead.
INLINE_ROWS = 5000


def _background_ledger(key: str):
    ledger = registry.ledger_by_key(key)
    return ledger if ledger is not None and not ledger.record_param else None


def _may_run_in_background(request, key: str) -> bool:
    # The background pages sit on the 台账 hub (dashboard.view): a role without it (the
    # auditor reading complaints) keeps the direct download whatever its size.
    return _background_ledger(key) is not None and scope_for(request.user).can("dashboard.view")


def ledger_download(*, request, ledger: ListExporter, key: str, basename: str) -> HttpResponse:
    """The ledger as ?format=csv or xlsx (default), recorded as an export audit event.

    A ledger of the 台账 registry with more than INLINE_ROWS rows is not built here: the
    answer is the page that starts it in the background with the same filters.
    """
    if _may_run_in_background(request, key) and (rows := ledger.row_count() or 0) > INLINE_ROWS:
        query = request.GET.copy()
        query["ledger"] = key
        query["large"] = str(rows)
        return redirect(f"{reverse('ledgers:export_new')}?{query.urlencode()}")
    fmt = export_format(request.GET)
    audit_export(actor=request.user, key=key, fmt=fmt, filters=request.GET.dict(), request=request)
    if fmt == "csv":
        return download(ledger.to_csv(), export_file_name(basename, fmt), CSV)
    return download(ledger.to_xlsx(), export_file_name(basename, fmt), XLSX)
