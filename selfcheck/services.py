"""The writes of 自查自评. Only the institution's own account writes (`Scope.own_institution`);
every function takes it and refuses any other institution's record as if it did not exist.

The draft is saved as the officers' form saves (the same JSON, the same optimistic
version, the same judging of numbers: `campaign.judging`), so the phone form's script serves
both. Submitting locks it once per campaign; a later change is a `SelfAmendment` with a
reason. The 不合规 answers are the institution's own rectification list: a planned date it
sets (at submit, for all; later one by one) and its word that each is done.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent
from accounts.scope import Scope
from campaign.judging import judged, judged_value, parse_number
from campaign.models import Campaign
from campaign.selectors import campaign_in_force, checklist_items_for
from core.photos import photo_clean
from core.text import control_character_message
from institutions.models import Institution

from .models import SelfAmendment, SelfAnswer, SelfInspection, SelfPhoto

NOTE_MAX = 2000
SUMMARY_MAX = 2000
REASON_MAX = 500
PHOTOS_PER_ANSWER = 6
# A plan further out than this is no plan: the campaign runs for months, not years.
FIX_BY_MAX_DAYS = 366


class EditConflict(ValidationError):
    """Another phone of the same institution saved the record since this one loaded it."""


def _own(scope: Scope, self_inspection: SelfInspection) -> None:
    """An institution acts on its own record only; anyone else's is not there for it."""
    own = scope.own_institution()
    if own is None:
        raise PermissionDenied
    if self_inspection.institution_id != own:
        raise Http404


def _text(value, *, field: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(_("请填写%(field)s") % {"field": field})
    if message := control_character_message(text, multiline=True):
        raise ValidationError(message)
    if len(text) > limit:
        raise ValidationError(_("%(field)s不能超过 %(n)d 个字") % {"field": field, "n": limit})
    return text


def applicable_items(self_inspection: SelfInspection):
    """The items this institution answers: every section's items that apply to it (its
    category, risk, kitchen and dormitory), of the campaign's checklist version."""
    return checklist_items_for(
        template=self_inspection.checklist,
        institution=self_inspection.institution,
        scope=Scope([]),  # unused with all_sections: an institution answers every section
        has_dormitory=self_inspection.has_dormitory,
        has_kitchen=self_inspection.has_kitchen,
        all_sections=True,
    )


def campaign_for(institution: Institution) -> Campaign | None:
    return campaign_in_force(institution.county_id[:2] + "0000")


@transaction.atomic
def self_inspection_start(*, scope: Scope, actor) -> SelfInspection:
    """The institution's self-inspection of the campaign in force, opened on first use."""
    own = scope.own_institution()
    if own is None:
        raise PermissionDenied
    institution = Institution.objects.get(pk=own)
    campaign = campaign_for(institution)
    if campaign is None:
        raise ValidationError(_("本省尚未设立进行中的专项行动"))
    existing = SelfInspection.objects.filter(campaign=campaign, institution=institution).first()
    if existing is not None:
        return existing
    checklist = campaign.checklists.filter(is_active=True).first()
    if checklist is None:
        raise ValidationError(_("专项行动还没有启用的检查表"))
    try:
        with transaction.atomic():
            return SelfInspection.objects.create(
                campaign=campaign,
                institution=institution,
                checklist=checklist,
                updated_by=actor,
            )
    except IntegrityError:
        # A second phone opened it a moment ago.
        return SelfInspection.objects.get(campaign=campaign, institution=institution)


def _parse_answer(item, raw: dict) -> dict:
    value = raw.get("value") or ""
    if value and value not in SelfAnswer.Value.values:
        raise ValidationError(
            {item.code: _("“%(value)s”不是有效的自查结果") % {"value": str(value)[:20]}}
        )
    number = parse_number(item, raw.get("number"))
    return {
        "value": judged_value(item, number, value),
        "number": number,
        "text": _text(raw.get("text"), field=_("文字"), limit=NOTE_MAX),
        "note": _text(raw.get("note"), field=_("问题描述"), limit=NOTE_MAX),
    }


def _claim(self_inspection: SelfInspection, *, version: int, actor) -> None:
    """Take the next version, or refuse: someone saved in between. The phone's own save whose
    reply was lost on a weak network is accepted once more, as the officers' form does."""
    claimed = SelfInspection.objects.filter(pk=self_inspection.pk, version=version).update(
        version=version + 1
    )
    if not claimed:
        current = SelfInspection.objects.get(pk=self_inspection.pk)
        if current.updated_by_id == actor.pk and current.version == version + 1:
            version = current.version
            claimed = SelfInspection.objects.filter(pk=self_inspection.pk, version=version).update(
                version=version + 1
            )
    if not claimed:
        current = SelfInspection.objects.get(pk=self_inspection.pk)
        raise EditConflict(
            _(
                "自查表已在 %(when)s 被另一台设备保存过，您的修改未保存。请刷新页面，在最新内容上继续填写。"
            )
            % {"when": timezone.localtime(current.updated_at).strftime("%H:%M:%S")}
        )
    self_inspection.version = version + 1


@transaction.atomic
def self_save_draft(
    *,
    self_inspection: SelfInspection,
    actor,
    scope: Scope,
    version: int,
    answers: dict[str, dict],
    has_dormitory: bool | None = None,
    has_kitchen: bool | None = None,
) -> SelfInspection:
    """Save what the institution has filled so far; all or nothing."""
    _own(scope, self_inspection)
    # Locked and read afresh: an autosave that waited behind a submit must find it submitted,
    # not save its stale copy over it.
    locked = SelfInspection.objects.select_for_update().get(pk=self_inspection.pk)
    if locked.status != SelfInspection.Status.DRAFT:
        raise ValidationError(_("自查表已提交，不能直接修改；如需更正，请填写更正说明"))
    _claim(locked, version=version, actor=actor)
    if has_dormitory is not None:
        locked.has_dormitory = has_dormitory
    if has_kitchen is not None:
        locked.has_kitchen = has_kitchen
    locked.updated_by = actor
    locked.save(
        update_fields=["has_dormitory", "has_kitchen", "updated_by", "updated_at", "version"]
    )
    self_inspection = locked
    items = {i.code: i for i in applicable_items(self_inspection)}
    # An item that no longer applies (the kitchen unticked) takes its answer with it.
    self_inspection.answers.exclude(item__in=items.values()).delete()
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise ValidationError(
            _("检查项 %(codes)s 不适用于本机构") % {"codes": "、".join(c[:16] for c in unknown)}
        )
    now = timezone.now()
    for code, raw in answers.items():
        fields = _parse_answer(items[code], raw)
        SelfAnswer.objects.update_or_create(
            self_inspection=self_inspection,
            item=items[code],
            defaults={**fields, "answered_at": now},
        )
    return self_inspection


@transaction.atomic
def self_photo_add(
    *, self_inspection: SelfInspection, code: str, actor, scope: Scope, data: bytes, filename: str
) -> tuple[SelfPhoto, bool]:
    """Store a clean copy of a photo for an item's answer (made empty if the institution
    photographs first); the same photo twice is kept once."""
    _own(scope, self_inspection)
    item = applicable_items(self_inspection).filter(code=code).first()
    if item is None:
        raise ValidationError(_("检查项 %(codes)s 不适用于本机构") % {"codes": code[:16]})
    clean, width, height = photo_clean(data, filename=filename)
    # Processing takes a moment; a submit may have locked the record meanwhile.
    locked = SelfInspection.objects.select_for_update().get(pk=self_inspection.pk)
    if locked.status != SelfInspection.Status.DRAFT:
        raise ValidationError(_("自查表已提交，不能再添加照片"))
    answer, _created = SelfAnswer.objects.get_or_create(self_inspection=locked, item=item)
    digest = hashlib.sha256(clean).hexdigest()
    existing = answer.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    if answer.photos.count() >= PHOTOS_PER_ANSWER:
        raise ValidationError(_("每个检查项最多 %(n)d 张照片") % {"n": PHOTOS_PER_ANSWER})
    photo = SelfPhoto(answer=answer, sha256=digest, width=width, height=height, uploaded_by=actor)
    photo.image.save(f"{digest[:16]}.jpg", ContentFile(clean), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:
        photo.image.delete(save=False)
        return answer.photos.get(sha256=digest), False
    return photo, True


def _fix_by_check(fix_by: dt.date | None, *, required: bool) -> None:
    if fix_by is None:
        if required:
            raise ValidationError(_("有不合规项，请填写计划整改完成日期"))
        return
    today = timezone.localdate()
    if fix_by < today:
        raise ValidationError(_("计划整改完成日期不能早于今天"))
    if fix_by > today + dt.timedelta(days=FIX_BY_MAX_DAYS):
        raise ValidationError(_("计划整改完成日期不能晚于一年以后"))


@transaction.atomic
def self_submit(
    *,
    self_inspection: SelfInspection,
    actor,
    scope: Scope,
    version: int,
    fix_by: dt.date | None,
    summary: str = "",
) -> SelfInspection:
    """Submit once: every applicable item answered, a photo where the item asks for one when
    it is not met, and a planned date for the institution's own fixes when anything is not."""
    _own(scope, self_inspection)
    locked = SelfInspection.objects.select_for_update().get(pk=self_inspection.pk)
    if locked.status != SelfInspection.Status.DRAFT:
        raise ValidationError(_("自查表已经提交过了"))
    summary = _text(summary, field=_("自查情况说明"), limit=SUMMARY_MAX)
    answers = {a.item_id: a for a in locked.answers.prefetch_related("photos")}
    errors: list[str] = []
    non_compliant: list[SelfAnswer] = []
    for item in applicable_items(locked):
        answer = answers.get(item.pk)
        if item.has_limit and (answer is None or answer.number is None):
            errors.append(_("%(code)s 尚未填写数值") % {"code": item.code})
            continue
        if not judged(item):
            continue
        if answer is None or not answer.value:
            errors.append(_("%(code)s 尚未填写") % {"code": item.code})
            continue
        if answer.value == SelfAnswer.Value.NON_COMPLIANT:
            if item.photo_required and not answer.photos.all():
                errors.append(_("%(code)s 不合规，须拍照") % {"code": item.code})
            non_compliant.append(answer)
    try:
        _fix_by_check(fix_by, required=bool(non_compliant))
    except ValidationError as exc:
        errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    _claim(locked, version=version, actor=actor)
    locked.status = SelfInspection.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = actor
    locked.updated_by = actor
    locked.summary = summary
    locked.save()
    for answer in non_compliant:
        answer.fix_by = fix_by
        answer.save(update_fields=["fix_by"])
    # What the institution said when it submitted stays as said: a correction made after
    # seeing the officials' findings changes `value`, never this (selectors.said_compliant).
    locked.answers.update(submitted_value=F("value"))
    audit_log(
        kind=AuditEvent.Kind.OTHER,
        actor=actor,
        obj=locked,
        detail={"change": "self_inspection_submitted", "non_compliant": len(non_compliant)},
    )
    return locked


@transaction.atomic
def self_amend(
    *,
    self_inspection: SelfInspection,
    actor,
    scope: Scope,
    code: str,
    value: str,
    number=None,
    note: str = "",
    reason: str,
) -> SelfAmendment:
    """Correct one answer of a submitted self-inspection, with the reason kept beside it. A
    correction to 不合规 puts the item on the rectification list (no date yet: the list asks
    for one); one away from 不合规 takes it off."""
    _own(scope, self_inspection)
    reason = _text(reason, field=_("更正原因"), limit=REASON_MAX, required=True)
    locked = SelfInspection.objects.select_for_update().get(pk=self_inspection.pk)
    if locked.status != SelfInspection.Status.SUBMITTED:
        raise ValidationError(_("自查表尚未提交，直接修改即可"))
    item = applicable_items(locked).filter(code=code).first()
    if item is None:
        raise ValidationError(_("检查项 %(codes)s 不适用于本机构") % {"codes": str(code)[:16]})
    fields = _parse_answer(item, {"value": value, "number": number, "note": note})
    if judged(item) and not fields["value"]:
        raise ValidationError(_("请选择更正后的自查结果"))
    answer, _created = SelfAnswer.objects.get_or_create(self_inspection=locked, item=item)
    before = {"value": answer.value, "number": _plain(answer.number), "note": answer.note}
    after = {"value": fields["value"], "number": _plain(fields["number"]), "note": fields["note"]}
    if before == after:
        raise ValidationError(_("更正内容与原答案相同"))
    for name in ("value", "number", "note"):  # a text answer is not corrected here
        setattr(answer, name, fields[name])
    answer.answered_at = timezone.now()
    if answer.value != SelfAnswer.Value.NON_COMPLIANT:
        answer.fix_by = None
        answer.fixed_at = None
        answer.fix_note = ""
    answer.save()
    locked.updated_by = actor
    locked.version += 1
    locked.save()
    return SelfAmendment.objects.create(
        self_inspection=locked,
        made_by=actor,
        reason=reason,
        changes=[{"code": item.code, "before": before, "after": after}],
    )


def _plain(number) -> str:
    return "" if number is None else format(number, "f")


def _own_open_item(scope: Scope, answer: SelfAnswer) -> SelfAnswer:
    _own(scope, answer.self_inspection)
    locked = (
        SelfAnswer.objects.select_for_update().select_related("self_inspection").get(pk=answer.pk)
    )
    if locked.self_inspection.status != SelfInspection.Status.SUBMITTED:
        raise ValidationError(_("自查表提交后才有自查整改清单"))
    if locked.value != SelfAnswer.Value.NON_COMPLIANT:
        raise Http404
    return locked


@transaction.atomic
def self_fix_plan(*, answer: SelfAnswer, actor, scope: Scope, fix_by: dt.date | None) -> SelfAnswer:
    """Set or move the planned date of one item of the rectification list."""
    locked = _own_open_item(scope, answer)
    if locked.fixed_at is not None:
        raise ValidationError(_("该项已整改完成"))
    _fix_by_check(fix_by, required=True)
    locked.fix_by = fix_by
    locked.save(update_fields=["fix_by"])
    return locked


@transaction.atomic
def self_fix_done(*, answer: SelfAnswer, actor, scope: Scope, note: str) -> SelfAnswer:
    """The institution's word that it fixed an item it found: kept with its note; the
    county's screening checks it on site."""
    locked = _own_open_item(scope, answer)
    if locked.fixed_at is not None:
        raise ValidationError(_("该项已整改完成"))
    locked.fix_note = _text(note, field=_("整改情况"), limit=NOTE_MAX, required=True)
    locked.fixed_at = timezone.now()
    locked.save(update_fields=["fix_note", "fixed_at"])
    return locked
