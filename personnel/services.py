"""Writes for staff vetting: staff records, reveals, check batches, results, dismissals.

Keyword-only, atomic, taking the acting user and their scope; a write never puts a row
where its author could not see it. No clear ID number is ever logged or put in a message.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification
from accounts.notifications import notify, users_with_role
from accounts.roles import Role
from accounts.scope import Scope
from campaign.models import DISMISSAL_DAYS_DEFAULT
from campaign.selectors import campaign_in_force
from core import crypto
from core.models import Region, province_of
from institutions.models import Institution

from . import selectors
from .models import BackgroundCheck, Category, CheckBatch, Dismissal, Post, StaffMember

STAFF_FIELDS = [
    "institution", "name", "post", "employed_from", "employed_until", "teacher_certificate",
    "platform_complete",
]  # fmt: skip


def _neutral_reason() -> str:
    return _("修改人员信息")


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_institution(scope: Scope, permission: str, institution: Institution) -> None:
    if not scope.covers_institution(
        permission, county_code=institution.county_id, sector=institution.sector
    ):
        raise PermissionDenied


def _require_own_or_institution(scope: Scope, institution: Institution) -> None:
    """Who keeps a staff record: the officials covering the institution, or the institution's
    own account for its own list (Scope.acts_for)."""
    if not scope.acts_for("staff.change", institution.pk):
        _require_institution(scope, "staff.change", institution)


def _institutions_own_edit(scope: Scope, values: dict, staff: StaffMember | None = None) -> None:
    """What an institution's own account may not decide of a staff record: whether the
    national platform's record is complete (the officials confirm it), and anything of a
    person whose criminal-record check or dismissal the officials hold (renamed or renumbered,
    the check would no longer name who it was about)."""
    if scope.own_institution() is None:
        return
    values["platform_complete"] = staff.platform_complete if staff is not None else None
    if staff is not None and (staff.checks.exists() or staff.dismissals.exists()):
        raise ValidationError(
            _("该人员已有犯罪记录查询或清退记录，信息如需更正，请联系县级教育部门")
        )


def _check_staff_values(values: dict, *, existing: StaffMember | None = None) -> None:
    errors = {}
    start, end = values.get("employed_from"), values.get("employed_until")
    if start and end and end < start:
        errors["employed_until"] = _("离职日期不能早于入职日期")
    institution = values["institution"]
    certificate = values.get("teacher_certificate") or ""
    if (
        values.get("post") == Post.TEACHER
        and institution.category == Institution.Category.SUBJECT
        and not certificate
    ):
        errors["teacher_certificate"] = _("学科类培训机构的教师必须填写教师资格证号")
    if errors:
        raise ValidationError(errors)


def _id_taken(id_hash: str, *, institution: Institution, exclude_pk=None) -> bool:
    # At this institution only: whether the person works elsewhere is not the author's to
    # learn (a person may work at two institutions; each has its own record).
    qs = StaffMember.objects.filter(institution=institution, id_hash=id_hash)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _registered_twice() -> ValidationError:
    return ValidationError(
        {"id_number": _("该身份证号已在该机构登记，请在人员名录中查找并修改原记录")}
    )


def _save_once_per_institution(staff: StaffMember) -> None:
    """Save; a concurrent save of the same person at the same institution is refused in
    Chinese rather than answered with a database error."""
    try:
        with transaction.atomic():
            staff.save()
    except IntegrityError:
        raise _registered_twice() from None


@transaction.atomic
def staff_create(*, actor, scope: Scope, id_number: str, **values) -> StaffMember:
    _require_own_or_institution(scope, values["institution"])
    _institutions_own_edit(scope, values)
    try:
        number = crypto.validate_id(id_number)
    except crypto.IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    if _id_taken(crypto.hash_id(number), institution=values["institution"]):
        raise _registered_twice()
    _check_staff_values(values)
    staff = StaffMember(**{k: values.get(k) for k in STAFF_FIELDS})
    staff.teacher_certificate = staff.teacher_certificate or ""
    staff.post = staff.post or ""
    staff.set_id_number(number)
    staff._change_reason = _("新增人员")
    _save_once_per_institution(staff)
    return staff


@transaction.atomic
def staff_update(
    *, staff: StaffMember, actor, scope: Scope, id_number: str = "", **values
) -> StaffMember:
    """Change a record; a blank ID number keeps the stored one. Moving to another
    institution needs the right to change both."""
    _require_own_or_institution(scope, staff.institution)
    _require_own_or_institution(scope, values["institution"])
    _institutions_own_edit(scope, values, staff)
    if id_number:
        try:
            number = crypto.validate_id(id_number)
        except crypto.IdNumberError as exc:
            raise ValidationError({"id_number": str(exc)}) from None
    # A new number, or a move: the person must not already be registered at that institution.
    if (id_number or values["institution"] != staff.institution) and _id_taken(
        crypto.hash_id(number) if id_number else staff.id_hash,
        institution=values["institution"],
        exclude_pk=staff.pk,
    ):
        raise _registered_twice()
    _check_staff_values(values, existing=staff)
    for name in STAFF_FIELDS:
        value = values.get(name)
        setattr(
            staff, name, "" if value is None and name in ("post", "teacher_certificate") else value
        )
    if id_number:
        staff.set_id_number(number)
        staff.__dict__.pop("id_masked", None)
    staff._change_reason = _neutral_reason()
    _save_once_per_institution(staff)
    return staff


@transaction.atomic
def staff_reveal(*, staff: StaffMember, actor, scope: Scope, reason: str, request=None) -> str:
    """The whole ID number of one person, for a stated reason; every reveal is audited."""
    if not scope.covers_institution(
        "staff.reveal", county_code=staff.institution.county_id, sector=staff.institution.sector
    ):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(_("请写明查看完整身份证号的事由（至少 4 个字）"))
    audit_log(
        kind=AuditEvent.Kind.REVEAL,
        actor=actor,
        request=request,
        obj=staff,
        reason=reason,
        detail={"what": "id_number", "masked": staff.id_masked, "name": staff.name},
    )
    return staff.reveal_id_number()


# -- check batches ----------------------------------------------------------------------


@transaction.atomic
def batch_create(
    *,
    actor,
    scope: Scope,
    basis: str,
    region: Region | None = None,
    institution: Institution | None = None,
    stale_months: int | None = None,
    note: str = "",
) -> CheckBatch:
    """A batch of check requests for current staff without a pending request.

    By institution, by region (county or city), or everyone in a region never checked or
    last checked more than `stale_months` ago.
    """
    scope.require("staff.change")
    staff = StaffMember.objects.current()
    if basis == CheckBatch.Basis.INSTITUTION:
        if institution is None:
            raise ValidationError({"institution": _("请选择机构")})
        _require_institution(scope, "staff.change", institution)
        region = institution.county
        staff = staff.filter(institution=institution)
    else:
        if region is None:
            raise ValidationError({"region": _("请选择地区")})
        if not scope.covers_region("staff.change", region.code):
            raise PermissionDenied
        staff = staff.filter(institution__county__code__startswith=region.prefix)
    staff = scope.institutions(staff, "staff.change", path="institution")
    if basis == CheckBatch.Basis.STALE:
        if not stale_months or stale_months < 1:
            raise ValidationError({"stale_months": _("请填写超过几个月视为超期（至少 1 个月）")})
        since = months_before(timezone.localdate(), stale_months)
        recent = BackgroundCheck.objects.filter(
            staff=OuterRef("pk"), status="done", checked_on__gte=since
        )
        staff = staff.exclude(Exists(recent))
    pending = BackgroundCheck.objects.filter(staff=OuterRef("pk"), status="pending")
    staff = list(staff.exclude(Exists(pending)).order_by("institution_id", "name", "id"))
    if not staff:
        raise ValidationError(_("没有需要查询的在职人员（已在查询中的人员不会重复列入）"))
    batch = CheckBatch.objects.create(
        region=region,
        institution=institution if basis == CheckBatch.Basis.INSTITUTION else None,
        basis=basis,
        stale_months=stale_months if basis == CheckBatch.Basis.STALE else None,
        note=note,
        created_by=actor,
    )
    BackgroundCheck.objects.bulk_create([BackgroundCheck(batch=batch, staff=s) for s in staff])
    return batch


def parse_result(
    *, outcome: str, category: str, checked_on: dt.date | None, reference: str, checked_by: str
) -> dict:
    """The result fields, checked together; raises ValidationError keyed by field."""
    errors = {}
    if outcome not in BackgroundCheck.Outcome.values:
        errors["outcome"] = _("请选择查询结果")
    if outcome == BackgroundCheck.Outcome.RECORD and category not in Category.values:
        errors["category"] = _("有犯罪记录时请选择属于哪一类不得从业情形")
    if outcome == BackgroundCheck.Outcome.CLEAR and category:
        errors["category"] = _("无犯罪记录时不填不得从业情形")
    if checked_on is None:
        errors["checked_on"] = _("请填写查询日期")
    elif checked_on > timezone.localdate():
        errors["checked_on"] = _("查询日期不能晚于今天")
    if not (reference or "").strip():
        errors["reference"] = _("请填写查询编号（公安机关出具的文号或编号）")
    if errors:
        raise ValidationError(errors)
    return {
        "outcome": outcome,
        "category": category if outcome == BackgroundCheck.Outcome.RECORD else "",
        "checked_on": checked_on,
        "reference": reference.strip(),
        "checked_by": (checked_by or "").strip(),
    }


def apply_result(check: BackgroundCheck, result: dict, *, actor, now=None) -> Dismissal | None:
    """Store a result on a locked, pending check; open a dismissal when it disqualifies.

    Shared by the form and the import; the caller holds the transaction and the scope check.
    """
    for name, value in result.items():
        setattr(check, name, value)
    check.status = BackgroundCheck.Status.DONE
    check.recorded_by = actor
    check.recorded_at = now or timezone.now()
    check._change_reason = _("录入查询结果")
    check.save()
    if not check.disqualifying:
        return None
    return _open_dismissal(check)


def dismissal_days(county_code: str) -> int:
    """Days an institution has to dismiss a disqualified staff member: the setting of the
    campaign in force in its province (15 in 2023), the default when there is none."""
    campaign = campaign_in_force(province_of(county_code))
    return campaign.dismissal_days if campaign else DISMISSAL_DAYS_DEFAULT


def _open_dismissal(check: BackgroundCheck) -> Dismissal:
    staff = check.staff
    days = dismissal_days(staff.institution.county_id)
    dismissal = Dismissal.objects.create(
        check_result=check,
        staff=staff,
        institution=staff.institution,
        deadline=timezone.localdate() + dt.timedelta(days=days),
    )
    # The county's education officers act on it; the notice names no one and no offence.
    notify(
        users=users_with_role(
            role=Role.COUNTY_OFFICER,
            region_code=staff.institution.county_id,
            department="education",
        ),
        kind=Notification.Kind.OTHER,
        title=_("有从业人员需清退：%(institution)s") % {"institution": staff.institution.name},
        body=_("犯罪记录查询发现不得从业情形，请在 %(deadline)s 前督促机构清退。")
        % {"deadline": dismissal.deadline.isoformat()},
        link=reverse("personnel:dismissal", args=[dismissal.pk]),
        reason=_("您是该机构所在县区的检查人员"),
        key=f"dismissal:{dismissal.pk}",
        # One by one: someone barred from work with minors is still at the institution.
        urgent=True,
    )
    return dismissal


@transaction.atomic
def check_record_result(
    *, check: BackgroundCheck, actor, scope: Scope, result: dict
) -> Dismissal | None:
    if not selectors.recordable_checks(scope=scope).filter(pk=check.pk).exists():
        raise PermissionDenied
    locked = BackgroundCheck.objects.select_for_update().get(pk=check.pk)
    if locked.status != BackgroundCheck.Status.PENDING:
        raise ValidationError(_("该查询已录入结果，不能重复录入"))
    return apply_result(locked, parse_result(**result), actor=actor)


# -- dismissals -------------------------------------------------------------------------

_EVIDENCE_TYPES = {b"%PDF": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG": "png"}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def _evidence_kind(data: bytes) -> str:
    for magic, kind in _EVIDENCE_TYPES.items():
        if data.startswith(magic):
            return kind
    raise ValidationError({"evidence": _("清退证明请上传 PDF、JPG 或 PNG 文件")})


def clean_evidence(data: bytes, *, filename: str = "") -> tuple[bytes, str]:
    """The evidence as it will be stored, and its extension.

    Photos are re-encoded without metadata (no EXIF/GPS) like inspection photos; a PDF
    goes through the shared check (no scripts, actions, embedded files or encryption).
    """
    kind = _evidence_kind(data)
    if kind == "pdf":
        from tabular.pdf_check import check_pdf

        try:
            check_pdf(data)
        except ValidationError as refused:
            raise ValidationError({"evidence": refused.messages}) from None
        return data, "pdf"
    from core.photos import photo_clean

    try:
        cleaned, _width, _height = photo_clean(data, filename=filename)
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from None
    return cleaned, "jpg"


@transaction.atomic
def dismissal_close(
    *,
    dismissal: Dismissal,
    actor,
    scope: Scope,
    employment_end: dt.date | None,
    evidence_name: str,
    evidence: bytes,
    note: str = "",
) -> Dismissal:
    """Close with the date the employment ended and the evidence; the staff member leaves."""
    if (
        not selectors.dismissal_list(scope=scope, permission="staff.change")
        .filter(pk=dismissal.pk)
        .exists()
    ):
        raise PermissionDenied
    locked = Dismissal.objects.select_for_update().get(pk=dismissal.pk)
    if locked.status != Dismissal.Status.OPEN:
        raise ValidationError(_("该清退任务已办结"))
    errors = {}
    if employment_end is None:
        errors["employment_end"] = _("请填写解除聘用日期")
    elif employment_end > timezone.localdate():
        errors["employment_end"] = _("解除聘用日期不能晚于今天")
    if not evidence:
        errors["evidence"] = _("请上传清退证明（解除劳动合同通知等）")
    elif len(evidence) > MAX_EVIDENCE_BYTES:
        errors["evidence"] = _("清退证明文件过大，上限为 10 MB")
    if errors:
        raise ValidationError(errors)
    evidence, kind = clean_evidence(evidence, filename=evidence_name)
    from django.core.files.base import ContentFile

    locked.evidence.save(f"dismissal-{locked.pk}.{kind}", ContentFile(evidence), save=False)
    if kind == "jpg" and not evidence_name.lower().endswith((".jpg", ".jpeg")):
        # Re-encoded as JPEG: the download's name says so.
        evidence_name = evidence_name.rsplit(".", 1)[0][:250] + ".jpg"
    locked.evidence_name = evidence_name[:255]
    locked.employment_end = employment_end
    locked.note = note
    locked.status = Dismissal.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked._change_reason = _("清退办结")
    locked.save()
    staff = locked.staff
    if staff.employed_until is None or staff.employed_until > employment_end:
        staff.employed_until = employment_end
        # The same words as any edit: the staff record's history is read by everyone with
        # staff.view, and a dismissal would tell them there was a disqualifying record.
        staff._change_reason = _neutral_reason()
        staff.save(update_fields=["employed_until", "updated_at"])
    return locked


def overdue_dismissals(today=None):
    """Open dismissals past their deadline, for the escalation job ([clock])."""
    today = today or timezone.localdate()
    return Dismissal.objects.filter(Q(status=Dismissal.Status.OPEN) & Q(deadline__lt=today))
