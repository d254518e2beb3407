"""Sending a spreadsheet to the user: one path for every ledger and template download.

A ledger download is an audited export; its title names the region the user filtered on,
but only a region inside their scope (the rows are scoped anyway), else their own.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope
from accounts.selectors import primary_grant

from ..selectors import region_list
from .export import ListExporter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(data: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def title_region_name(*, scope: Scope, request) -> str:
    region = region_list(scope=scope).filter(code=request.GET.get("region") or "").first()
    if region is None:
        grant = primary_grant(user=request.user)
        region = grant.region if grant else None
    return region.name if region else ""


def ledger_download(*, request, ledger: ListExporter, key: str, basename: str) -> HttpResponse:
    """The ledger as ?format=csv or xlsx (default), recorded as an export audit event."""
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    audit_log(
        kind=AuditEvent.Kind.EXPORT,
        actor=request.user,
        request=request,
        detail={"ledger": key, "format": fmt, "filters": request.GET.dict()},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return download(ledger.to_csv(), f"{basename}-{stamp}.csv", CSV)
    return download(ledger.to_xlsx(), f"{basename}-{stamp}.xlsx", XLSX)
