"""Reads of complaints and referrals, always through the scope and complaints/access.py."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as Switch
from django.utils import timezone

from accounts.scope import Scope

from . import access, services
from .models import Case, Referral


def case_list(*, scope: Scope, user) -> QuerySet:
    """The cases this user may read, each marked `shows_details` (may they see its content)."""
    qs = access.annotate(
        Case.objects.select_related("county", "institution", "created_by"), user
    ).filter(access.readable_q(scope))
    return qs.annotate(
        shows_details=Switch(
            When(access.details_q(scope), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def case_detail_list(*, scope: Scope, user) -> QuerySet:
    """Only the cases whose details the user may see (the API lists nothing else)."""
    return case_list(scope=scope, user=user).filter(shows_details=True)


def overdue_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(status__in=[Case.Status.NEW, Case.Status.ASSIGNED], deadline__lt=now)


def referral_list(*, scope: Scope, user) -> QuerySet:
    cases = case_list(scope=scope, user=user)
    return Referral.objects.filter(case__in=cases.values("pk")).select_related(
        "case__county", "sent_by", "acknowledged_by", "feedback_by"
    )


def referral_overdue_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(feedback_at__isnull=True) & (
        Q(acknowledged_at__isnull=True, ack_due__lt=now) | Q(feedback_due__lt=now)
    )


def status_for_code(code: str) -> str | None:
    """The status label of the case with this tracking code, or None. Nothing else leaves.
    Digests under SECRET_KEY_FALLBACKS are accepted too, so a key rotation keeps old codes."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    digests = [services.tracking_digest(code, secret=secret) for secret in secrets]
    found = Case.objects.filter(tracking_digest__in=digests).values_list(
        "tracking_digest", "status"
    )
    stored, status = next(iter(found), ("0" * 64, None))
    # Constant-time, so the answer's timing says nothing about how close a guess came.
    matched = False
    for digest in digests:
        matched |= hmac.compare_digest(stored, digest)
    if not matched or status is None:
        return None
    return str(Case.Status(status).label)


def institutions_with_complaints(*, campaign, region_prefix: str) -> list[tuple[int, str]]:
    """(institution id, reason) of institutions with open cases inside the region, for the
    spot-check's must-include list. The reason names no category: the draw record is
    published, and a suspected offence against a minor must not be read off it."""
    in_campaign = Q(campaign=campaign) | Q(
        campaign__isnull=True,
        received_at__date__gte=campaign.starts_on,
        received_at__date__lte=campaign.ends_on,
    )
    counts: dict[int, int] = {}
    rows = (
        Case.objects.filter(in_campaign, county__code__startswith=region_prefix)
        .exclude(status=Case.Status.CLOSED)
        .filter(institution__isnull=False)
        .values_list("institution_id", flat=True)
    )
    for institution_id in rows:
        counts[institution_id] = counts.get(institution_id, 0) + 1
    return [(i, f"有未办结的投诉举报（{n} 件）") for i, n in sorted(counts.items())]
