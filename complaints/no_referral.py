"""A suspected offence against a minor goes to public security (§四), unless an education
officer above the handler agrees in writing that it need not: the handler proposes the
reason, the reviewer approves it or sends it back (who may review: access.py). Until a
referral or an approved reason exists the case cannot be closed, and the campaign clock
escalates it once the campaign's `minor_referral_days` have passed (clock/jobs_minors.py).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification
from accounts.notifications import notify, users_with_role
from accounts.roles import Department, Role
from accounts.scope import Scope
from core.text import control_character_message

from . import access
from .models import Case, Category

REASON_MIN, REASON_MAX = 10, 2000


def close_blocker(case: Case) -> str:
    """Why this case may not be closed yet under the minors rule; '' when it may."""
    if case.category != Category.MINOR_OFFENCE:
        return ""
    if case.referrals.exists() or case.no_referral_approved:
        return ""
    return _("疑似侵害未成年人的案件须移送公安机关，或由上级教育部门审核同意不移送后，才能办结")


def _clean_text(text: str, *, field: str, minimum: int, short: str) -> str:
    """Stripped text with no control characters (NUL included), `minimum`..REASON_MAX long."""
    text = (text or "").strip()
    if message := control_character_message(text, multiline=True):
        raise ValidationError({field: message})
    if len(text) < minimum:
        raise ValidationError({field: short})
    if len(text) > REASON_MAX:
        raise ValidationError({field: _("不能超过 %(n)d 字") % {"n": REASON_MAX}})
    return text


def _clean_reason(text: str) -> str:
    short = _("请写明不移送公安的理由，至少 %(n)d 个字") % {"n": REASON_MIN}
    return _clean_text(text, field="reason", minimum=REASON_MIN, short=short)


def _open_minor_case(case: Case) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.category != Category.MINOR_OFFENCE:
        raise ValidationError(_("只有疑似侵害未成年人的案件需要审核不移送理由"))
    if locked.status == Case.Status.CLOSED:
        raise ValidationError(_("该案件已办结"))
    if locked.referrals.exists():
        raise ValidationError(_("该案件已移送公安，无需审核不移送理由"))
    return locked


@transaction.atomic
def no_referral_propose(*, case: Case, actor, scope: Scope, reason: str, request=None) -> Case:
    """The handling officer writes why the case need not go to the police; the city's
    education staff are asked to review it."""
    if not access.can_handle(case, scope, actor):
        raise PermissionDenied
    reason = _clean_reason(reason)
    locked = _open_minor_case(case)
    if locked.no_referral_approved:
        raise ValidationError(_("不移送理由已审核同意，不能再修改"))
    locked.no_referral_reason = reason
    locked.no_referral_proposed_by, locked.no_referral_proposed_at = actor, timezone.now()
    locked._change_reason = _("提出不移送公安的理由")
    locked.save()
    audit_log(
        kind=AuditEvent.Kind.OTHER, actor=actor, request=request, obj=locked,
        reason=_("提出不移送公安的理由"),
        # The text itself: it may be rewritten while pending, and the trail keeps each one.
        detail={"what": "no_referral", "step": "propose", "reason": reason[:500]},
    )  # fmt: skip
    notify(
        users=users_with_role(role=Role.CITY_STAFF, region_code=locked.county_id[:4] + "00",
                              department=Department.EDUCATION),
        kind=Notification.Kind.OTHER,
        title=_("涉未成年人线索 %(number)s 拟不移送公安，请审核") % {"number": locked.number},
        body=_("承办人 %(actor)s 提出了不移送的理由，须经您审核同意后才能办结。")
        % {"actor": actor},
        link=f"/complaints/{locked.pk}/",
        reason=_("不移送公安须经上级教育部门审核"),
        key=f"complaint-no-referral-{locked.pk}-{int(locked.no_referral_proposed_at.timestamp())}",
    )  # fmt: skip
    return locked


@transaction.atomic
def no_referral_review(
    *, case: Case, actor, scope: Scope, approve: bool, note: str = "",
    proposed_at: dt.datetime | None = None, request=None,
) -> Case:  # fmt: skip
    """Approve the proposed reason (the case may then be closed without a referral), or send
    it back with a note (the handler refers the case or proposes again). `proposed_at`: when
    the proposal the reviewer read was made; an approval of any other is refused."""
    if not access.can_review_no_referral(case, scope, actor):
        raise PermissionDenied
    # Sending back needs a word on why; an approval may carry one.
    note = _clean_text(note, field="note", minimum=0 if approve else 2, short=_("退回时请写明原因"))
    locked = _open_minor_case(case)
    if not locked.no_referral_pending:
        raise ValidationError(_("没有待审核的不移送理由"))
    # Checked again on the locked row: the reviewer may have been assigned meanwhile.
    if not access.can_review_no_referral(locked, scope, actor):
        raise PermissionDenied
    # The handler may rewrite the reason while it waits: approve only the text that was read.
    if approve and proposed_at != locked.no_referral_proposed_at:
        raise ValidationError(_("不移送理由已被修改，或页面已过期：请阅读页面上现在的理由后再审核"))
    proposer = locked.no_referral_proposed_by
    if approve:
        locked.no_referral_reviewed_by, locked.no_referral_reviewed_at = actor, timezone.now()
        locked._change_reason = _("审核同意不移送公安")
    else:
        locked.no_referral_proposed_by = locked.no_referral_proposed_at = None
        locked._change_reason = _("退回不移送理由")
    locked.save()
    audit_log(
        kind=AuditEvent.Kind.OTHER, actor=actor, request=request, obj=locked,
        reason=locked._change_reason,
        detail={"what": "no_referral", "step": "approve" if approve else "return",
                "note": note[:500]},
    )  # fmt: skip
    notify(
        users=[proposer] if proposer else [],
        kind=Notification.Kind.OTHER,
        title=(_("不移送理由已审核同意：%(number)s") if approve
               else _("不移送理由被退回：%(number)s")) % {"number": locked.number},
        body=note or _("可以办结该案件。"),
        link=f"/complaints/{locked.pk}/",
        reason=_("您提出了该案件的不移送理由"),
        key=f"complaint-no-referral-review-{locked.pk}-{timezone.now().timestamp():.0f}",
    )  # fmt: skip
    return locked
