"""Writes for the city work summaries: save the narrative, submit, return, accept.

Each is one transaction on the summary's row (locked), checks the actor's scope for the
city, writes a `SummaryEvent` and an audit event, and tells the other side: province
reviewers on a submission, the city's summary writers on a return or an acceptance. A step
that does not fit the status is refused with a Chinese message and writes nothing.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification
from accounts.notifications import notify, users_with_role
from accounts.roles import (
    SUMMARY_RECEIVING_DEPARTMENT,
    SUMMARY_SECTION_DEPARTMENTS,
    SUMMARY_WRITING_DEPARTMENT,
    Role,
)
from accounts.scope import Scope
from campaign.models import Campaign
from core.models import Region
from core.text import control_character_message

from .models import CitySummary, SummaryEvent, SummarySection, SummarySubmission
from .selectors_sections import department_name, frozen_sections
from .selectors_summary import CHANGE, REVIEW, VIEW, city_figures, summary_deadline

MAX_TEXT = 20000
MAX_COMMENT = 2000

# Text pasted from Word carries control characters (a soft line break is U+000B, a page
# break U+000C) that XML, hence the .docx, cannot hold: line breaks become "\n", the
# rest goes, so a saved (and then frozen) summary can always be written as a document.
_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_NOT_XML = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _plain(text: str | None) -> str:
    return _NOT_XML.sub("", _BREAKS.sub("\n", text or "")).strip()


def _require(scope: Scope, permission: str, city: Region) -> None:
    scope.require(permission)
    if city.level != Region.Level.CITY or not scope.covers_region(permission, city.code):
        raise PermissionDenied


def _require_writer(scope: Scope, city: Region) -> None:
    """The narrative and the submission are the city education bureau's: city staff of the
    other departments hold `summary.change` for their own part only (`section_save`)."""
    _require(scope, CHANGE, city)
    if not scope.writes_summary(city.code):
        raise PermissionDenied


def _clean_narratives(narratives: dict) -> dict[str, str]:
    cleaned = {}
    for name, label in CitySummary.SECTIONS:
        text = _plain(narratives.get(name))
        if len(text) > MAX_TEXT:
            raise ValidationError(
                _("“%(section)s”不能超过 %(n)d 字") % {"section": label, "n": MAX_TEXT}
            )
        cleaned[name] = text
    return cleaned


def _link(summary: CitySummary) -> str:
    return reverse("summaries:detail", args=[summary.campaign_id, summary.city_id])


def _event(summary: CitySummary, kind: str, actor, comment: str = "") -> SummaryEvent:
    return SummaryEvent.objects.create(
        summary=summary, kind=kind, actor=actor, at=timezone.now(), revision=summary.revision,
        comment=comment,
    )  # fmt: skip


def _audit(summary: CitySummary, event: str, actor, request, reason: str = "", **extra) -> None:
    audit_log(
        kind=AuditEvent.Kind.SUMMARY, actor=actor, request=request, obj=summary, reason=reason,
        detail={
            "event": event, "campaign": summary.campaign_id, "city": summary.city_id,
            "revision": summary.revision, "status": summary.status, **extra,
        },
    )  # fmt: skip


def _locked(campaign: Campaign, city: Region) -> CitySummary | None:
    return CitySummary.objects.select_for_update().filter(campaign=campaign, city=city).first()


def default_issuer(city: Region) -> str:
    return _("%(city)s教育局") % {"city": city.name}


@transaction.atomic
def summary_save(
    *, campaign: Campaign, city: Region, actor, scope: Scope, narratives: dict,
    version: int, issuer: str = "", request=None,
) -> CitySummary:  # fmt: skip
    """Save the narrative of a draft (or returned) summary; the first save creates it.

    `version` is the one the writer's form was loaded with (0 before the summary existed):
    if someone saved in between, nothing is written and the message says who and when, so
    the writer can copy their text before reloading."""
    _require_writer(scope, city)
    texts = _clean_narratives(narratives)
    issuer = _plain(issuer).replace("\n", " ")[:100]
    summary = _locked(campaign, city)
    if summary is None:
        if version:
            raise ValidationError(_("该工作总结不存在，请刷新页面"))
        try:
            with transaction.atomic():
                summary = CitySummary(
                    campaign=campaign, city=city, updated_by=actor,
                    issuer=issuer or default_issuer(city), **texts,
                )  # fmt: skip
                summary._history_user = actor
                summary.save(force_insert=True)
        except IntegrityError:
            raise ValidationError(
                _("该工作总结刚刚已由他人创建，您的内容未保存，请复制后刷新页面")
            ) from None
        _event(summary, SummaryEvent.Kind.CREATED, actor)
        _audit(summary, "created", actor, request)
        return summary
    if not summary.is_editable:
        raise ValidationError(
            _("工作总结%(status)s，不能修改") % {"status": summary.get_status_display()}
        )
    if summary.version != version:
        raise ValidationError(
            _(
                "该工作总结已由%(user)s于%(at)s修改，您的内容未保存。"
                "请先复制您的内容，刷新页面后再修改"
            )
            % {
                "user": summary.updated_by,
                "at": timezone.localtime(summary.updated_at).strftime("%m-%d %H:%M"),
            }
        )
    changed = texts != summary.narratives() or (issuer and issuer != summary.issuer)
    if not changed:
        return summary
    # A save(), not a bare UPDATE: the row is locked and its version checked above, and the
    # history keeps every wording (the events say only who saved when).
    for name, text in texts.items():
        setattr(summary, name, text)
    summary.issuer = issuer or summary.issuer
    summary.version += 1
    summary.updated_by = actor
    summary._history_user = actor
    summary.save()
    _event(summary, SummaryEvent.Kind.SAVED, actor)
    return summary


@transaction.atomic
def summary_submit(
    *, campaign: Campaign, city: Region, actor, scope: Scope, narratives: dict | None = None,
    version: int | None = None, issuer: str = "", request=None,
) -> CitySummary:  # fmt: skip
    """Submit to the province: the text as it stands (saved first when given) and the
    figures computed now, frozen together as the next `SummarySubmission`."""
    _require_writer(scope, city)
    if narratives is not None:
        summary_save(
            campaign=campaign, city=city, actor=actor, scope=scope, narratives=narratives,
            version=version or 0, issuer=issuer, request=request,
        )  # fmt: skip
    summary = _locked(campaign, city)
    if summary is None:
        raise ValidationError(_("请先填写工作总结再报送"))
    if not summary.is_editable:
        raise ValidationError(
            _("工作总结%(status)s，不能再次报送") % {"status": summary.get_status_display()}
        )
    for name, label in CitySummary.SECTIONS:
        if not getattr(summary, name).strip():
            raise ValidationError(_("请填写“%(section)s”后再报送") % {"section": label})
    now = timezone.now()
    deadline = summary_deadline(campaign)
    number = summary.revision + 1
    SummarySubmission.objects.create(
        summary=summary, number=number, figures=city_figures(campaign=campaign, city=city),
        narratives=summary.narratives(), issuer=summary.issuer, submitted_at=now,
        submitted_by=actor, sections=frozen_sections(summary),
        late=deadline is not None and timezone.localdate(now) > deadline,
    )  # fmt: skip
    summary.revision = number
    summary.status = CitySummary.Status.SUBMITTED
    summary.submitted_at = summary.submitted_at or now
    summary.version += 1
    summary.updated_by = actor
    summary._history_user = actor
    summary._change_reason = _("第 %(n)d 次报送") % {"n": number}
    summary.save()
    _event(summary, SummaryEvent.Kind.SUBMITTED, actor)
    _audit(summary, "submitted", actor, request)
    title = (_("%(city)s报送了工作总结") if number == 1 else _("%(city)s重新报送了工作总结")) % {
        "city": city.name
    }
    # Told: those who receive it (Scope.receives_summary), the province's education staff.
    notify(
        users=users_with_role(
            role=Role.PROVINCE_STAFF, region_code=campaign.province_id,
            department=SUMMARY_RECEIVING_DEPARTMENT,
        ),
        kind=Notification.Kind.SUMMARY, title=title,
        body=_("%(campaign)s：%(city)s第 %(n)d 次报送，请审核。")
        % {"campaign": campaign.name, "city": city.name, "n": number},
        link=_link(summary),
        reason=_("您负责审核各市报送的工作总结"),
        key=f"summary:submitted:{summary.pk}:{number}",
    )  # fmt: skip
    return summary


def _review_target(
    campaign: Campaign, city: Region, scope: Scope, revision: int | None
) -> CitySummary:
    """The submitted summary, locked. `revision` is the submission the reviewer read (the
    page sends it): if it was returned and resubmitted meanwhile, the decision is refused
    rather than applied to a version nobody at the province has read."""
    _require(scope, REVIEW, city)
    if not scope.receives_summary(city.code):
        raise PermissionDenied
    summary = _locked(campaign, city)
    if summary is None or summary.status != CitySummary.Status.SUBMITTED:
        status = summary.get_status_display() if summary else _("尚未报送")
        raise ValidationError(
            _("只能审核已报送的工作总结（当前：%(status)s）") % {"status": status}
        )
    if revision is not None and revision != summary.revision:
        raise ValidationError(
            _("该市已重新报送（第 %(n)d 次），您的审核未保存，请阅读新报送的内容后再审核")
            % {"n": summary.revision}
        )
    return summary


def _comment(comment: str | None) -> str:
    comment = _plain(comment)
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("审核意见不能超过 %(n)d 字") % {"n": MAX_COMMENT})
    return comment


def _tell_city(summary: CitySummary, title: str, body: str, key: str) -> None:
    """Tell the summary's writers (Scope.writes_summary): the city's education staff."""
    notify(
        users=users_with_role(
            role=Role.CITY_STAFF, region_code=summary.city_id,
            department=SUMMARY_WRITING_DEPARTMENT,
        ),
        kind=Notification.Kind.SUMMARY, title=title, body=body, link=_link(summary),
        reason=_("您负责编写、报送%(city)s的工作总结") % {"city": summary.city.name}, key=key,
    )  # fmt: skip


def _section_writers(city: Region) -> list:
    """The city's users who write a department's part (Scope.summary_section_departments):
    its department users and its city staff of the section departments."""
    return users_with_role(
        role=(Role.DEPARTMENT_USER, Role.CITY_STAFF), region_code=city.code,
        department=tuple(SUMMARY_SECTION_DEPARTMENTS),
    )  # fmt: skip


def _tell_sections_reopened(summary: CitySummary, comment: str) -> None:
    """A returned summary takes the departments' parts again: their writers are told so."""
    city = summary.city
    notify(
        users=_section_writers(city),
        kind=Notification.Kind.SUMMARY,
        title=_("%(city)s工作总结被退回，可修改本部门内容") % {"city": city.name},
        body=_("审核意见：%(comment)s") % {"comment": comment},
        link=_link(summary),
        reason=_("您负责编写%(city)s工作总结中的本部门内容") % {"city": city.name},
        key=f"summary:returned:sections:{summary.pk}:{summary.revision}",
    )


@transaction.atomic
def summary_return(
    *, campaign: Campaign, city: Region, actor, scope: Scope, comment: str,
    revision: int | None = None, request=None,
) -> CitySummary:  # fmt: skip
    """Send a submitted summary back for revision, with the province's comment."""
    comment = _comment(comment)
    summary = _review_target(campaign, city, scope, revision)
    if not comment:
        raise ValidationError(_("退回修改须填写审核意见"))
    summary.status = CitySummary.Status.RETURNED
    summary.reviewed_at, summary.reviewed_by, summary.review_comment = (
        timezone.now(),
        actor,
        comment,
    )
    summary.version += 1
    summary._history_user = actor
    # The history's reason column holds 100 characters; the comment itself is a field.
    summary._change_reason = _("退回修改")
    summary.save()
    _event(summary, SummaryEvent.Kind.RETURNED, actor, comment)
    _audit(summary, "returned", actor, request, reason=comment)
    _tell_city(
        summary,
        _("%(city)s工作总结被退回修改") % {"city": city.name},
        _("审核意见：%(comment)s") % {"comment": comment},
        f"summary:returned:{summary.pk}:{summary.revision}",
    )
    _tell_sections_reopened(summary, comment)
    return summary


@transaction.atomic
def summary_accept(
    *, campaign: Campaign, city: Region, actor, scope: Scope, comment: str = "",
    revision: int | None = None, request=None,
) -> CitySummary:  # fmt: skip
    """Accept the submitted summary: final, its last snapshot is the city's report."""
    comment = _comment(comment)
    summary = _review_target(campaign, city, scope, revision)
    summary.status = CitySummary.Status.ACCEPTED
    summary.reviewed_at, summary.reviewed_by, summary.review_comment = (
        timezone.now(),
        actor,
        comment,
    )
    summary.version += 1
    summary._history_user = actor
    summary._change_reason = _("审核通过")
    summary.save()
    _event(summary, SummaryEvent.Kind.ACCEPTED, actor, comment)
    _audit(summary, "accepted", actor, request, reason=comment)
    _tell_city(
        summary,
        _("%(city)s工作总结已审核通过") % {"city": city.name},
        comment,
        f"summary:accepted:{summary.pk}:{summary.revision}",
    )
    return summary


# -- the other departments' parts ---------------------------------------------------------------


def _section_text(text: str | None) -> str:
    """A department's part, checked: line breaks as the narrative's, any other control
    character (NUL included) refused with where it is, at most MAX_TEXT characters."""
    text = text or ""
    if len(text) > 2 * MAX_TEXT:  # refused before scanning a pasted book
        raise ValidationError(_("本部门内容不能超过 %(n)d 字") % {"n": MAX_TEXT})
    text = _BREAKS.sub("\n", text).strip()
    message = control_character_message(text, multiline=True)
    if message:
        raise ValidationError(message)
    if len(text) > MAX_TEXT:
        raise ValidationError(_("本部门内容不能超过 %(n)d 字") % {"n": MAX_TEXT})
    return text


@transaction.atomic
def section_save(
    *, campaign: Campaign, city: Region, department: str, actor, scope: Scope, text: str,
    version: int, request=None,
) -> SummarySection:  # fmt: skip
    """Save one department's part of the city's summary (a draft or returned one).

    `version` is the part's as the writer's form was loaded (0 before it existed). The
    summary's row is locked first, as `summary_submit` locks it: a part is saved before a
    submission freezes the parts, or refused after it, never lost in between."""
    if not scope.writes_summary_sections():
        raise PermissionDenied  # a role that writes no department's part anywhere
    if not scope.covers_region(VIEW, city.code) or city.level != Region.Level.CITY:
        raise Http404  # another city's summary is one that does not exist
    if department not in scope.summary_section_departments(city.code):
        raise PermissionDenied
    text = _section_text(text)
    summary = _locked(campaign, city)
    if summary is None:
        raise ValidationError(_("市教育局尚未开始编写工作总结，暂不能填写本部门内容"))
    if not summary.is_editable:
        raise ValidationError(
            _("工作总结%(status)s，不能修改本部门内容") % {"status": summary.get_status_display()}
        )
    section = SummarySection.objects.filter(summary=summary, department=department).first()
    if (section.version if section else 0) != version:
        if section is None:
            raise ValidationError(_("本部门内容不存在，请刷新页面"))
        raise ValidationError(
            _(
                "本部门内容已由%(user)s于%(at)s修改，您的内容未保存。"
                "请先复制您的内容，刷新页面后再修改"
            )
            % {
                "user": section.updated_by,
                "at": timezone.localtime(section.updated_at).strftime("%m-%d %H:%M"),
            }
        )
    if section is not None and section.text == text:
        return section
    if section is None and not text:
        raise ValidationError(_("请填写本部门工作情况后再保存"))
    if section is None:
        # No race for the unique (summary, department): every writer holds the summary's lock.
        section = SummarySection(summary=summary, department=department, text=text,
                                 updated_by=actor)  # fmt: skip
    else:
        section.text, section.version, section.updated_by = text, section.version + 1, actor
    section._history_user = actor
    section.save()
    name = department_name(department)
    _event(summary, SummaryEvent.Kind.SECTION, actor, name)
    _audit(summary, "section_saved", actor, request, department=department,
           section_version=section.version)  # fmt: skip
    return section
