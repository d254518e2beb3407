"""Writes for public disclosure (一公开): the province publishes and withdraws, logged.

Province staff decide (permission `summary.review`, the province's right to judge what the
cities report): only for a campaign of their own province. Every act is an audit event.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope
from campaign.models import Campaign

from .models import Publication

PERMISSION = "summary.review"


def may_publish(scope: Scope, campaign: Campaign) -> bool:
    """Province staff of the campaign's own province."""
    return scope.holds_at(PERMISSION, campaign.province_id)


def _require(scope: Scope, campaign: Campaign) -> None:
    scope.require(PERMISSION)
    if not may_publish(scope, campaign):
        raise PermissionDenied


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(message)
    return reason


@transaction.atomic
def publication_publish(
    *,
    campaign: Campaign,
    actor,
    scope: Scope,
    reason: str,
    show_draws: bool,
    show_violations: bool,
    show_figures: bool,
    request=None,
) -> Publication:
    """Publish the chosen parts; a current publication is replaced (and dated withdrawn)."""
    _require(scope, campaign)
    reason = _reason(reason, _("请填写公开说明"))
    if not (show_draws or show_violations or show_figures):
        raise ValidationError(_("请至少选择一项公开内容"))
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    now = timezone.now()
    current = Publication.objects.filter(campaign=campaign, withdrawn_at__isnull=True).first()
    if current is not None:
        current.withdrawn_at = now
        current.withdrawn_by = actor
        current.withdraw_reason = _("重新公开：%(reason)s") % {"reason": reason}
        current._change_reason = current.withdraw_reason
        current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    publication = Publication(
        campaign=campaign, show_draws=bool(show_draws), show_violations=bool(show_violations),
        show_figures=bool(show_figures), published_at=now, published_by=actor,
        publish_reason=reason,
    )  # fmt: skip
    publication._change_reason = reason
    publication.save()
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        request=request,
        obj=publication,
        reason=reason,
        detail={
            "event": "publish",
            "campaign": campaign.pk,
            "draws": publication.show_draws,
            "violations": publication.show_violations,
            "figures": publication.show_figures,
            "replaces": current.pk if current is not None else None,
        },
    )
    return publication


@transaction.atomic
def publication_withdraw(
    *, campaign: Campaign, actor, scope: Scope, reason: str, request=None
) -> Publication:
    """Take the campaign's disclosure page down; the record stays."""
    _require(scope, campaign)
    reason = _reason(reason, _("请填写撤回原因"))
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    current = Publication.objects.filter(campaign=campaign, withdrawn_at__isnull=True).first()
    if current is None:
        raise ValidationError(_("该专项行动当前没有公开的信息"))
    current.withdrawn_at = timezone.now()
    current.withdrawn_by = actor
    current.withdraw_reason = reason
    current._change_reason = reason
    current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        request=request,
        obj=current,
        reason=reason,
        detail={"event": "withdraw", "campaign": campaign.pk},
    )
    return current
