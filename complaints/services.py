"""Every write to complaints and referrals. Keyword-only, atomic, taking the acting user."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification, User
from accounts.notifications import notify, users_with_role
from accounts.roles import Department, Role
from accounts.scope import Scope
from campaign.models import Campaign
from core import crypto
from core.models import Region
from institutions.models import Institution

from . import access, attachments, no_referral
from .models import Case, Category, Channel, Referral
from .rules import rule_for

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


# -- small helpers ---------------------------------------------------------------------


def new_tracking_code() -> str:
    """12 characters from a 32-letter alphabet (60 bits), shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    text = "".join((code or "").split()).upper().replace("－", "-").replace("-", "")
    return text.replace("O", "0").replace("I", "1")


# The tracking code is kept only as a keyed digest: without settings.SECRET_KEY a copy of
# the table cannot be searched for codes (60 bits is within reach of an offline search
# of a plain hash). HMAC over the code's SHA-256, so that migration 0004 could re-key
# the digests stored before (the codes themselves were never kept).
TRACKING_SALT = "complaints.Case.tracking_digest"


def tracking_digest(code: str, *, secret: str | None = None) -> str:
    plain = hashlib.sha256(normalize_code(code).encode()).hexdigest()
    return salted_hmac(TRACKING_SALT, plain, secret=secret, algorithm="sha256").hexdigest()


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * min(len(name) - 1, 3) if name else ""


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def contact_seal(name: str, phone: str) -> tuple[str, str]:
    """(encrypted token, masked text) of a reporter's contact; empty when none was given."""
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name and not phone:
        return "", ""
    token = crypto.encrypt_id(json.dumps({"name": name, "phone": phone}, ensure_ascii=False))
    return token, " ".join(p for p in (mask_name(name), mask_phone(phone)) if p)


def contact_open(case: Case) -> dict:
    if not case.contact_token:
        return {"name": "", "phone": ""}
    return json.loads(crypto.decrypt_id(case.contact_token))


def active_campaign(county: Region) -> Campaign | None:
    return (
        Campaign.objects.filter(is_active=True, province_id=county.code[:2] + "0000")
        .order_by("-starts_on", "-id")
        .first()
    )


def _county(code: str) -> Region:
    county = Region.objects.filter(code=code, level=Region.Level.COUNTY).first()
    if county is None:
        raise ValidationError({"county": _("请选择所在县（市、区）")})
    return county


def _education_officers(county_code: str) -> list[User]:
    return users_with_role(
        role=Role.COUNTY_OFFICER, region_code=county_code, department=Department.EDUCATION
    )


def notify_new(case: Case) -> None:
    officers = _education_officers(case.county_id) or users_with_role(
        role=Role.CITY_STAFF, region_code=case.county_id[:4] + "00"
    )
    if case.is_minor_offence:
        title = _("【紧急】新的涉未成年人线索 %(number)s，须 24 小时内处置") % {
            "number": case.number
        }
    else:
        title = _("新的投诉举报 %(number)s 待分办") % {"number": case.number}
    notify(
        users=officers,
        kind=Notification.Kind.OTHER,
        title=title,
        body=_("处置期限：%(deadline)s") % {"deadline": _local(case.deadline)},
        link=f"/complaints/{case.pk}/",
        reason=_("您是该县（市、区）教育部门的检查人员"),
        key=f"complaint-new-{case.pk}",
        urgent=case.is_minor_offence,  # other cases: the day's digest
    )


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def resolve_institution(county_code: str, text: str) -> Institution | None:
    """The registered institution a typed name or credit code names exactly, in that county;
    anything else stays free text."""
    text = (text or "").strip()
    if not text:
        return None
    from institutions.models import normalize_credit_code

    return (
        Institution.objects.filter(county_id=county_code)
        .filter(Q(name=text) | Q(credit_code=normalize_credit_code(text)))
        .first()
    )


# -- intake ----------------------------------------------------------------------------


def _check_text(description: str, institution_name: str) -> tuple[str, str]:
    description = (description or "").strip()
    if len(description) < 10:
        raise ValidationError({"description": _("请把情况写清楚，至少 10 个字")})
    if len(description) > 5000:
        raise ValidationError({"description": _("反映内容不能超过 5000 字")})
    return description, (institution_name or "").strip()[:200]


def case_intake(*, channel, category, county, institution, institution_name, description,
            reporter_name, reporter_phone, received_at, external_ref, actor, files) -> tuple[Case, str]:  # fmt: skip
    if category not in Category.values:
        raise ValidationError({"category": _("请选择反映问题的类别")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("请选择来源渠道")})
    if institution is not None and institution.county_id != county.code:
        raise ValidationError({"institution": _("所选机构不在该县（市、区）")})
    description, institution_name = _check_text(description, institution_name)
    checked = attachments.check_files(files or [])
    token, masked = contact_seal(reporter_name, reporter_phone)
    received_at = received_at or timezone.now()
    code = new_tracking_code()
    case = Case.objects.create(
        tracking_digest=tracking_digest(code),
        number=f"tmp-{uuid.uuid4().hex[:24]}",
        channel=channel,
        category=category,
        county=county,
        institution=institution,
        institution_name="" if institution else institution_name,
        description=description,
        contact_token=token,
        contact_masked=masked,
        external_ref=external_ref or "",
        received_at=received_at,
        deadline=received_at + dt.timedelta(hours=rule_for(category, county.code).response_hours),
        campaign=active_campaign(county),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    case.number = f"TS{timezone.localtime(received_at):%Y}{case.pk:06d}"
    case.save(update_fields=["number"])
    attachments.attach(case, checked, actor=actor)
    return case, code


@transaction.atomic
def case_submit_public(
    *, category: str, county_code: str, institution_name: str, description: str,
    reporter_name: str = "", reporter_phone: str = "", files=None,
) -> tuple[Case, str]:  # fmt: skip
    """A complaint from the public form. Returns the case and its tracking code (shown once)."""
    county = _county(county_code)
    name = (institution_name or "").strip()
    institution = resolve_institution(county.code, name)
    case, code = case_intake(
        channel=Channel.WEB, category=category, county=county, institution=institution,
        institution_name=name, description=description, reporter_name=reporter_name,
        reporter_phone=reporter_phone, received_at=None, external_ref="", actor=None,
        files=files,
    )  # fmt: skip
    notify_new(case)
    return case, code


@transaction.atomic
def case_create(
    *, actor, scope: Scope, channel: str, category: str, county_code: str,
    institution: Institution | None = None, institution_name: str = "", description: str,
    reporter_name: str = "", reporter_phone: str = "", received_at: dt.datetime | None = None,
    files=None,
) -> tuple[Case, str]:  # fmt: skip
    """A call, letter, visit or patrol finding entered by an officer; they handle it first."""
    county = _county(county_code)
    if not scope.covers_region(access.CHANGE, county.code):
        raise PermissionDenied
    if received_at and received_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("收到时间不能晚于现在")})
    case, code = case_intake(
        channel=channel, category=category, county=county, institution=institution,
        institution_name=institution_name, description=description, reporter_name=reporter_name,
        reporter_phone=reporter_phone, received_at=received_at, external_ref="", actor=actor,
        files=files,
    )  # fmt: skip
    case.assignees.add(actor)
    case.status = Case.Status.ASSIGNED
    case._change_reason = _("登记并承办")
    case.save(update_fields=["status"])
    return case, code


# -- triage ----------------------------------------------------------------------------


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def assignable_officers(case: Case) -> list[User]:
    """Education staff whose grant covers the case's county (its county's, its city's)."""
    officers = users_with_role(
        role=(Role.COUNTY_OFFICER, Role.CITY_STAFF),
        region_code=(case.county_id, case.county_id[:4] + "00"),
        department=Department.EDUCATION,
    )
    return sorted(officers, key=lambda u: u.username)


def _names(users) -> list[str]:
    return [str(u) for u in users]


@transaction.atomic
def case_triage(
    *, case: Case, actor, scope: Scope, category: str, assignees: list[User],
    deadline: dt.datetime | None = None, note: str = "", request=None,
) -> Case:  # fmt: skip
    """Assign officers, (re)classify, set the response deadline (by category unless given).

    Any triage officer of the region may assign (themselves included), but only someone who
    already sees a minor-offence case's details may reclassify it away from that category,
    which would open its details to the region's officers and sector departments, and only
    once it was referred or its reason not to refer approved (no_referral.py). Every
    change of assignees or category is an audit event and a line in the case's history."""
    if not access.can_change(case, scope):
        raise PermissionDenied
    locked = _lock(case)
    if locked.status == Case.Status.CLOSED:
        raise ValidationError(_("该案件已办结，不能再分办"))
    if category not in Category.values:
        raise ValidationError({"category": _("请选择反映问题的类别")})
    old_category = locked.category
    if (
        old_category == Category.MINOR_OFFENCE
        and category != old_category
        and not access.can_see_details(locked, scope, actor)
    ):
        raise ValidationError(
            {"category": _("涉未成年人案件只能由能查看其详情的人员（承办人等）更改类别")}
        )
    if (
        old_category == Category.MINOR_OFFENCE
        and category != old_category
        and not (locked.referrals.exists() or locked.no_referral_approved)
    ):
        # Otherwise a new category would lift the close rule and the clock's watch
        # (no_referral.py): a mistagged case goes through the reviewed reason instead.
        raise ValidationError(
            {"category": _("涉未成年人线索须先移送公安或经审核同意不移送，才能更改类别")}
        )
    allowed = {u.pk for u in assignable_officers(locked)}
    if not assignees:
        raise ValidationError({"assignees": _("请至少选择一名承办人")})
    if any(u.pk not in allowed for u in assignees):
        raise ValidationError({"assignees": _("承办人须为该县（市、区）或所在市的教育部门人员")})
    if deadline is None:
        deadline = locked.received_at + dt.timedelta(
            hours=rule_for(category, locked.county_id).response_hours
        )
    previous = sorted(locked.assignees.all(), key=lambda u: u.username)
    before = {u.pk for u in previous}
    after = sorted({u.pk: u for u in assignees}.values(), key=lambda u: u.username)
    locked.category = category
    locked.deadline = deadline
    if locked.status == Case.Status.NEW:
        locked.status = Case.Status.ASSIGNED
    locked._change_reason = (note or _("分办"))[:100]
    locked.save()
    locked.assignees.set(after)
    if category != old_category:
        audit_log(
            kind=AuditEvent.Kind.OTHER, actor=actor, request=request, obj=locked,
            reason=_("更改投诉举报类别"),
            detail={"change": "category", "before": old_category, "after": category},
        )  # fmt: skip
    if before != {u.pk for u in after}:
        audit_log(
            kind=AuditEvent.Kind.OTHER, actor=actor, request=request, obj=locked,
            reason=_("更改投诉举报承办人"),
            detail={"change": "assignees", "before": [u.username for u in previous],
                    "after": [u.username for u in after]},
        )  # fmt: skip
        # A history line of its own: the triage note stays readable above it.
        locked._change_reason = (
            _("承办人：%(before)s → %(after)s")
            % {"before": "、".join(_names(previous)) or "—", "after": "、".join(_names(after))}
        )[:100]
        locked.save(update_fields=["status"])
    fresh = [u for u in after if u.pk not in before]
    notify(
        users=fresh,
        kind=Notification.Kind.OTHER,
        title=_("投诉举报 %(number)s 已分配给您办理") % {"number": locked.number},
        body=_("处置期限：%(deadline)s") % {"deadline": _local(locked.deadline)},
        link=f"/complaints/{locked.pk}/",
        reason=_("%(actor)s 将该案件分配给您") % {"actor": actor},
        key=f"complaint-assign-{locked.pk}",
        urgent=locked.is_minor_offence,  # other cases: the day's digest
    )
    return locked


@transaction.atomic
def case_link(*, case: Case, actor, scope: Scope, inspection=None, task=None) -> Case:
    """Link the case to an inspection or a rectification task of the same institution."""
    if not access.can_handle(case, scope, actor):
        raise PermissionDenied
    from inspections.selectors import inspection_list, task_list

    if (
        inspection is not None
        and not inspection_list(scope=scope).filter(pk=inspection.pk).exists()
    ):
        raise ValidationError({"inspection": _("找不到该检查记录，或它不在您的管辖范围内")})
    if task is not None and not task_list(scope=scope).filter(pk=task.pk).exists():
        raise ValidationError({"task": _("找不到该整改任务，或它不在您的管辖范围内")})
    if inspection is None and task is None:
        raise ValidationError(_("请选择要关联的检查记录或整改任务"))
    locked = _lock(case)
    if inspection is not None:
        locked.inspection = inspection
    if task is not None:
        locked.task = task
    locked._change_reason = _("关联检查 / 整改")
    locked.save(update_fields=["inspection", "task"])
    return locked


@transaction.atomic
def case_close(*, case: Case, actor, scope: Scope, result: str) -> Case:
    if not access.can_handle(case, scope, actor):
        raise PermissionDenied
    result = (result or "").strip()
    if len(result) < 4:
        raise ValidationError({"result": _("请填写办理结果")})
    locked = _lock(case)
    if locked.status == Case.Status.CLOSED:
        raise ValidationError(_("该案件已办结"))
    if locked.referrals.filter(feedback_at__isnull=True).exists():
        raise ValidationError(_("已移送公安的案件，须登记公安反馈后才能办结"))
    if blocker := no_referral.close_blocker(locked):
        raise ValidationError(blocker)
    locked.status = Case.Status.CLOSED
    locked.result = result[:5000]
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked._change_reason = _("办结")
    locked.save()
    return locked


def contact_reveal(*, case: Case, actor, scope: Scope, reason: str, request=None) -> dict:
    """The reporter's contact in full, for the officer handling the case; always logged, with
    the reason the officer typed."""
    if not access.can_handle(case, scope, actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写查看完整联系方式的理由")})
    audit_log(
        kind=AuditEvent.Kind.REVEAL, actor=actor, request=request, obj=case,
        reason=_("查看投诉人联系方式：%(reason)s") % {"reason": reason[:500]},
        detail={"what": "complaint_contact"},
    )  # fmt: skip
    return contact_open(case)


def log_minor_read(*, case: Case, actor, request=None, via: str) -> None:
    """Record that the details of a suspected offence against a minor were shown to someone
    (a page, a re-rendered page, the API, an export, an attachment). Other cases: nothing."""
    if case.category != Category.MINOR_OFFENCE:
        return
    reasons = {
        "page": _("查看涉未成年人案件详情"),
        "api": _("通过接口读取涉未成年人案件详情"),
        "export": _("导出涉未成年人案件详情"),
        "attachment": _("查看涉未成年人案件附件"),
    }
    audit_log(
        kind=AuditEvent.Kind.REVEAL, actor=actor, request=request, obj=case,
        reason=reasons[via], detail={"what": "minor_case", "via": via},
    )  # fmt: skip


# -- referrals to public security ------------------------------------------------------


@transaction.atomic
def referral_create(
    *, case: Case, actor, scope: Scope, police_unit: str, materials: str,
    sent_at: dt.datetime | None = None,
) -> Referral:  # fmt: skip
    if not access.can_handle(case, scope, actor):
        raise PermissionDenied
    police_unit, materials = (police_unit or "").strip(), (materials or "").strip()
    if not police_unit:
        raise ValidationError({"police_unit": _("请填写接收移送的公安机关")})
    if not materials:
        raise ValidationError({"materials": _("请写明移送的材料")})
    now = timezone.now()
    sent_at = sent_at or now
    if sent_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"sent_at": _("移送时间不能晚于现在")})
    locked = _lock(case)
    if locked.status == Case.Status.CLOSED:
        raise ValidationError(_("该案件已办结，不能再移送"))
    rule = rule_for(locked.category, locked.county_id)
    referral = Referral(
        case=locked, police_unit=police_unit[:200], materials=materials[:5000], sent_at=sent_at,
        sent_by=actor, ack_due=sent_at + dt.timedelta(hours=rule.referral_ack_hours),
        feedback_due=sent_at + dt.timedelta(days=rule.referral_feedback_days),
    )  # fmt: skip
    referral._change_reason = _("移送公安")
    referral.save()
    locked.status = Case.Status.REFERRED
    locked._change_reason = _("移送公安")
    locked.save(update_fields=["status"])
    police = users_with_role(
        role=Role.DEPARTMENT_USER,
        region_code=(locked.county_id, locked.county_id[:4] + "00"),
        department=Department.PUBLIC_SECURITY,
    )
    notify(
        users=police,
        kind=Notification.Kind.OTHER,
        title=_("教育部门移送线索 %(number)s，请接收并反馈") % {"number": locked.number},
        body=_("回执期限：%(due)s") % {"due": _local(referral.ack_due)},
        link=f"/complaints/{locked.pk}/",
        reason=_("您是该地区公安机关的用户"),
        key=f"complaint-referral-{referral.pk}",
        urgent=locked.is_minor_offence,  # other cases: the day's digest
    )
    return referral


def _check_moment(moment: dt.datetime | None, referral: Referral, field: str) -> dt.datetime:
    now = timezone.now()
    moment = moment or now
    if moment > now + dt.timedelta(minutes=5):
        raise ValidationError({field: _("时间不能晚于现在")})
    if moment < referral.sent_at:
        raise ValidationError({field: _("时间不能早于移送时间")})
    return moment


@transaction.atomic
def referral_acknowledge(
    *, referral: Referral, actor, scope: Scope, police_case_number: str = "",
    acknowledged_at: dt.datetime | None = None,
) -> Referral:  # fmt: skip
    if not access.can_answer_referral(referral.case, scope, actor):
        raise PermissionDenied
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.acknowledged_at:
        raise ValidationError(_("该移送已登记接收，不能重复登记"))
    locked.acknowledged_at = _check_moment(acknowledged_at, locked, "acknowledged_at")
    locked.acknowledged_by = actor
    locked.police_case_number = (police_case_number or "").strip()[:64]
    locked._change_reason = _("公安接收")
    locked.save()
    return locked


@transaction.atomic
def referral_feedback(
    *, referral: Referral, actor, scope: Scope, outcome: str, feedback: str,
    feedback_at: dt.datetime | None = None,
) -> Referral:  # fmt: skip
    if not access.can_answer_referral(referral.case, scope, actor):
        raise PermissionDenied
    if outcome not in Referral.Outcome.values:
        raise ValidationError({"outcome": _("请选择处理结果")})
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": _("请填写反馈内容")})
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.feedback_at:
        raise ValidationError(_("该移送已登记反馈，不能重复登记"))
    moment = _check_moment(feedback_at, locked, "feedback_at")
    if locked.acknowledged_at is None:
        # A reply is also a receipt.
        locked.acknowledged_at, locked.acknowledged_by = moment, actor
    elif moment < locked.acknowledged_at:
        raise ValidationError({"feedback_at": _("反馈时间不能早于接收时间")})
    locked.feedback_at = moment
    locked.feedback_by = actor
    locked.outcome = outcome
    locked.feedback = feedback[:5000]
    locked._change_reason = _("公安反馈")
    locked.save()
    return locked


def overdue_referrals(now: dt.datetime | None = None):
    """Referrals whose receipt or feedback is late, for the clock to escalate."""
    now = now or timezone.now()
    return Referral.objects.filter(
        Q(feedback_at__isnull=True)
        & (Q(acknowledged_at__isnull=True, ack_due__lt=now) | Q(feedback_due__lt=now))
    ).select_related("case")


def overdue_cases(now: dt.datetime | None = None):
    """Cases past their response deadline and not yet referred or closed."""
    now = now or timezone.now()
    return Case.objects.filter(status__in=[Case.Status.NEW, Case.Status.ASSIGNED], deadline__lt=now)
