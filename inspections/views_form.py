"""The on-site inspection: start, the phone form with autosave and photos, submit, amend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import JsonResponse, RawPostDataException
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import ScopedViewMixin
from accounts.roles import Section
from accounts.scope import get_in_scope_or_404
from core.photos import MAX_UPLOAD_BYTES, jpeg_response
from core.text import JsonRefused, parse_json, small_int
from institutions.selectors import institution_list
from selfcheck.selectors import submitted_answers

from . import amendments, evidence, selectors, services
from .models import Answer, Evidence, Inspection


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _json_error(message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


class InspectionAccessMixin(ScopedViewMixin):
    """Fetch the inspection through the scope: out of scope is the same 404 as missing."""

    def get_inspection(self, permission: str | None = None) -> Inspection:
        return get_in_scope_or_404(
            selectors.inspection_list(
                scope=self.scope, permission=permission or self.permission
            ).select_related("checklist", "institution__county__parent", "updated_by"),
            pk=self.kwargs["pk"],
        )

    def can_change(self, inspection: Inspection) -> bool:
        return self.scope.covers_institution(
            "inspections.change",
            county_code=inspection.institution.county_id,
            sector=inspection.institution.sector,
            institution_id=inspection.institution_id,
            round_id=inspection.round_id,
        )


class StartView(ScopedViewMixin, View):
    permission = "inspections.change"

    def post(self, request, pk):
        institution = get_in_scope_or_404(
            institution_list(scope=self.scope, permission=self.permission), pk=pk
        )
        # A second tap on 开始检查 continues the officer's open draft instead of a new one.
        draft = (
            Inspection.objects.filter(
                institution=institution, created_by=request.user, status=Inspection.Status.DRAFT
            )
            .order_by("-started_at")
            .first()
        )
        if draft is not None:
            return redirect("inspections:detail", pk=draft.pk)
        try:
            inspection = services.inspection_start(
                institution=institution,
                actor=request.user,
                scope=self.scope,
                has_kitchen=request.POST.get("has_kitchen") == "on",
                has_dormitory=request.POST.get("has_dormitory") == "on",
            )
        except ValidationError as exc:
            for message in _messages(exc):
                messages.error(request, message)
            return redirect("institutions:detail", pk=institution.pk)
        return redirect("inspections:detail", pk=inspection.pk)


def _answered(item, answer: Answer | None) -> bool:
    if answer is None:
        return False
    if item.answer_type == item.AnswerType.NUMBER:
        return answer.number is not None
    if item.answer_type == item.AnswerType.TEXT:
        return bool(answer.text.strip())
    return bool(answer.value)


def form_sections(
    items, answers: dict, *, upload_url=None, photo_url=None, beside: dict | None = None
) -> list[dict]:
    """Items grouped by section (一…六) with each one's answer and the section's progress.

    The phone form serves the officers' inspection and the institution's self-inspection
    (portal): `upload_url(item)` and `photo_url(photo)` give each one's own URLs. `beside`
    holds answers to show under each item by its code: on the county's screening form, what
    the institution said of it in its self-inspection."""
    labels = dict(Section.choices)
    groups: dict[str, dict] = {}
    beside = beside or {}
    for item in items:
        group = groups.setdefault(
            item.section,
            {"code": item.section, "label": labels.get(item.section, item.section), "rows": []},
        )
        answer = answers.get(item.pk)
        photos = list(answer.photos.all()) if answer else []
        group["rows"].append(
            {
                "item": item,
                "answer": answer,
                "photos": photos,
                "photo_urls": [photo_url(photo) for photo in photos] if photo_url else [],
                "upload_url": upload_url(item) if upload_url else "",
                "answered": _answered(item, answer),
                "beside": beside.get(item.code),
            }
        )
    order = list(Section.values)
    result = sorted(groups.values(), key=lambda g: order.index(g["code"]))
    for group in result:
        group["done"] = sum(row["answered"] for row in group["rows"])
        group["total"] = len(group["rows"])
    return result


def self_answers_beside(inspection: Inspection) -> dict:
    """What the institution said of each item in its submitted self-inspection of the same
    campaign (自查自评), to show beside the item: the officer checks it on site."""
    return submitted_answers(institution=inspection.institution, campaign=inspection.round.campaign)


def render_form(request, scope, inspection, *, errors=(), values=None, status=200):
    """The phone form for a draft, with the submit step's errors and values when it failed."""
    items = list(services.applicable_items(inspection=inspection, scope=scope))
    answers = {
        a.item_id: a
        for a in inspection.answers.prefetch_related(
            Prefetch("photos", queryset=Evidence.objects.order_by("uploaded_at", "id"))
        )
    }
    sections = form_sections(
        items,
        answers,
        upload_url=lambda item: reverse(
            "inspections:photo_upload", args=[inspection.pk, item.code]
        ),
        photo_url=lambda photo: reverse("inspections:photo", args=[photo.pk]),
        beside=self_answers_beside(inspection),
    )
    return render(
        request,
        "inspections/form.html",
        {
            "inspection": inspection,
            "institution": inspection.institution,
            "sections": sections,
            "done": sum(g["done"] for g in sections),
            "total": sum(g["total"] for g in sections),
            "results": Inspection.Result.choices,
            # A department joining education's inspection fills its sections; education
            # concludes and submits the record (Scope.may_conclude, as for amendments).
            "can_conclude": scope.may_conclude(inspection),
            "submit_errors": errors,
            "values": values
            or {"result": "", "rectify_deadline": "", "summary": "", "deadline_reason": ""},
            "min_deadline": timezone.localdate().isoformat(),
            # A county screening's deadline after the county phase's end needs a reason: the
            # form warns at once (static/js/deadline_reason.js), the service decides.
            "phase_deadline": services.reason_phase_deadline(
                inspection.round.campaign, inspection.round.level
            ),
        },
        status=status,
    )


class InspectionView(InspectionAccessMixin, View):
    """A draft the user may change opens as the phone form; anything else reads only."""

    permission = "inspections.view"

    def get(self, request, pk):
        inspection = self.get_inspection()
        if inspection.status == Inspection.Status.DRAFT and self.can_change(inspection):
            return render_form(request, self.scope, inspection)
        return self.render_detail(request, inspection)

    def render_detail(self, request, inspection):
        # Only the sections the user's departments own, as everywhere else.
        answers = (
            inspection.answers.filter(item__section__in=self.scope.sections("inspections.view"))
            .select_related("item")
            .prefetch_related(
                Prefetch("photos", queryset=Evidence.objects.order_by("uploaded_at", "id"))
            )
        )
        by_item = {a.item_id: a for a in answers}
        items = [a.item for a in sorted(answers, key=lambda a: (a.item.order, a.item.pk))]
        can_amend = inspection.status == Inspection.Status.SUBMITTED and self.can_change(inspection)
        # The items this user may correct: the yes/no ones of their own sections, and the
        # measured ones with a limit (corrected by their number, which the limit judges).
        own = self.scope.sections("inspections.change") if can_amend else []
        amendable = [
            by_item[item.pk]
            for item in items
            if item.section in own
            and (item.answer_type == item.AnswerType.COMPLIANCE or item.has_limit)
        ]
        # The conclusion and summary only for the department that leads the inspection.
        can_conclude = can_amend and self.scope.may_conclude(inspection)
        # A problem a correction makes due after the county phase's end needs a reason, as at
        # submit. When a task of this record is already due after it, a problem joining that
        # task may need one with no date typed: the box then shows without the date hook.
        phase_deadline = (
            services.reason_phase_deadline(inspection.round.campaign, inspection.round.level)
            if amendable
            else None
        )
        late_task = phase_deadline is not None and any(
            t.deadline and t.deadline > phase_deadline for t in inspection.tasks.all()
        )
        return render(
            request,
            "inspections/inspection_detail.html",
            {
                "inspection": inspection,
                "institution": inspection.institution,
                "sections": form_sections(items, by_item),
                "amendments": _amendments(inspection),
                "inspectors": inspection.inspectors.all(),
                "can_amend": can_amend,
                "can_conclude": can_conclude,
                "amendable": amendable,
                "has_measured": any(a.item.has_limit for a in amendable),
                "answer_values": Answer.Value.choices,
                "results": Inspection.Result.choices,
                "min_deadline": timezone.localdate().isoformat(),
                "phase_deadline": phase_deadline,
                "late_task": late_task,
            },
        )


def _change_row(change: dict) -> dict:
    """One change labelled for people ("1.01 检查结果：合规 → 不合规", not "1.01.value")."""
    field, old, new = change.get("field", ""), change.get("old", ""), change.get("new", "")
    if field == "summary":
        return {"label": _("检查意见"), "old": old, "new": new}
    if field == "result":
        results = dict(Inspection.Result.choices)
        return {"label": _("检查结论"), "old": results.get(old, old), "new": results.get(new, new)}
    if field == "rectify_deadline":
        return {"label": _("整改期限"), "old": old, "new": new}
    code, _dot, part = field.rpartition(".")
    if part == "number":
        return {"label": f"{code} {_('数值')}", "old": old, "new": new}
    if part == "value":
        values = dict(Answer.Value.choices)
        return {
            "label": f"{code} {_('检查结果')}",
            "old": values.get(old, old),
            "new": values.get(new, new),
        }
    return {"label": f"{code} {_('问题描述')}", "old": old, "new": new}


def _amendments(inspection: Inspection) -> list:
    rows = list(inspection.amendments.select_related("made_by"))
    for amendment in rows:
        amendment.rows = [_change_row(change) for change in amendment.changes]
    return rows


def _decimal_or_none(raw, low: int, high: int) -> Decimal | None:
    """A coordinate: None when absent or out of range; ValueError when not a number at all
    ("NaN" compared with a bound raised InvalidOperation, a 500)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return value.quantize(Decimal("0.000001")) if low <= value <= high else None


def _number_ok(raw) -> bool:
    """A number the database column can hold (no NaN, no infinity, under ten digits)."""
    if raw in (None, ""):
        return True
    if isinstance(raw, bool):
        return False
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return True  # the service explains what is wrong with it
    return number.is_finite() and abs(number) < 10**10


def save_payload(request) -> dict | JsonResponse:
    """An autosave's JSON read and checked in shape — {version, answers, and the kitchen and
    dormitory flags} — or the 400 to answer. The phone form sends it for the officers'
    inspection and the institution's self-inspection (portal) alike."""
    try:
        # Every string here is stored as free text: depth, NaN / Infinity, NUL, lone
        # surrogates and control characters are refused before anything is saved.
        payload = parse_json(request.body, text="multiline")
    except JsonRefused as exc:
        return _json_error(str(exc))
    except RawPostDataException:  # a multipart form, its stream already read: not JSON
        return _json_error(_("提交的内容格式不正确"))
    if not isinstance(payload, dict):
        return _json_error(_("提交的内容格式不正确"))
    version, answers = payload.get("version"), payload.get("answers", {})
    if not isinstance(version, int) or isinstance(version, bool):
        return _json_error(_("缺少记录版本号，请刷新页面"))
    if not isinstance(answers, dict) or not all(
        isinstance(code, str) and isinstance(raw, dict) for code, raw in answers.items()
    ):
        return _json_error(_("提交的内容格式不正确"))
    for code, raw in answers.items():
        if not _number_ok(raw.get("number")):
            return _json_error(_("检查项 %(code)s 的数值不正确") % {"code": code[:16]})
    flags = {}
    for name in ("has_kitchen", "has_dormitory"):
        if isinstance(payload.get(name), bool):
            flags[name] = payload[name]
    return {"version": version, "answers": answers, "flags": flags, "raw": payload}


class SaveView(InspectionAccessMixin, View):
    """Autosave: JSON in, the new version out; a stale version is refused with 409."""

    permission = "inspections.change"

    def post(self, request, pk):
        inspection = self.get_inspection()
        payload = save_payload(request)
        if isinstance(payload, JsonResponse):
            return payload
        version, answers, flags = payload["version"], payload["answers"], payload["flags"]
        try:
            latitude = _decimal_or_none(payload["raw"].get("latitude"), -90, 90)
            longitude = _decimal_or_none(payload["raw"].get("longitude"), -180, 180)
        except ValueError:
            return _json_error(_("位置坐标不正确，请重新定位后再保存"))
        try:
            inspection = services.inspection_save_draft(
                inspection=inspection,
                actor=request.user,
                scope=self.scope,
                version=version,
                answers=answers,
                latitude=latitude,
                longitude=longitude,
                **flags,
            )
        except services.EditConflict as exc:
            return _json_error(" ".join(_messages(exc)), status=409, conflict=True)
        except ValidationError as exc:
            return _json_error(" ".join(_messages(exc)))
        return JsonResponse(
            {
                "version": inspection.version,
                "saved_at": timezone.localtime(inspection.updated_at).strftime("%H:%M:%S"),
            }
        )


def _taken_at(value: str) -> dt.datetime | None:
    """When the phone says the photo was taken, or None. The time is a hint, never a reason
    to lose the photo: one malformed, impossible ("2023-02-30") or from before phones had
    clocks (year 1 at +14:00 is a year PostgreSQL stores but Python cannot read back) is
    dropped, as evidence_add drops one far in the future."""
    try:
        taken_at = parse_datetime(value or "")
    except ValueError:
        return None
    if taken_at is None or taken_at.year < 1970:
        return None
    return taken_at


class PhotoUploadView(InspectionAccessMixin, View):
    permission = "inspections.change"

    def post(self, request, pk, code):
        inspection = self.get_inspection()
        upload = request.FILES.get("photo")
        if upload is None:
            return _json_error(_("请选择要上传的照片"))
        if upload.size > MAX_UPLOAD_BYTES:
            return _json_error(_("“%(name)s”超过 15 MB，请压缩后再上传") % {"name": upload.name})
        taken_at = _taken_at(request.POST.get("taken_at", ""))
        try:
            answer = evidence.answer_for_photos(
                inspection=inspection, code=code, actor=request.user, scope=self.scope
            )
            photo, created = evidence.evidence_add(
                answer=answer,
                actor=request.user,
                scope=self.scope,
                data=upload.read(),
                filename=upload.name,
                taken_at=taken_at,
            )
        except ValidationError as exc:
            return _json_error(" ".join(_messages(exc)))
        return JsonResponse(
            {"id": photo.pk, "url": reverse("inspections:photo", args=[photo.pk])},
            status=201 if created else 200,
        )


class PhotoView(ScopedViewMixin, View):
    """A photo, only to those who may see its inspection and its section."""

    permission = "inspections.view"

    def get(self, request, pk):
        photos = self.scope.institutions(
            Evidence.objects.all(),
            self.permission,
            path="answer__inspection__institution",
            round_path="answer__inspection__round",
        ).filter(answer__item__section__in=self.scope.sections(self.permission))
        return jpeg_response(get_in_scope_or_404(photos, pk=pk).image)


class SubmitView(InspectionAccessMixin, View):
    permission = "inspections.change"

    def post(self, request, pk):
        inspection = self.get_inspection()
        if inspection.status == Inspection.Status.SUBMITTED:
            # A second tap on 提交 (or a second tab): the record is already locked.
            return redirect("inspections:detail", pk=inspection.pk)
        values = {
            "result": request.POST.get("result", ""),
            "rectify_deadline": request.POST.get("rectify_deadline", "").strip(),
            "summary": request.POST.get("summary", "").strip(),
            "deadline_reason": request.POST.get("deadline_reason", "").strip(),
        }
        errors = []
        deadline: dt.date | None = None
        if values["rectify_deadline"]:
            try:
                deadline = parse_date(values["rectify_deadline"])
            except ValueError:
                deadline = None
            if deadline is None:
                errors.append(_("整改期限格式不正确"))
        version = small_int(request.POST.get("version", ""))
        if version is None:
            errors.append(_("缺少记录版本号，请刷新页面"))
        if not errors:
            try:
                services.inspection_submit(
                    inspection=inspection,
                    actor=request.user,
                    scope=self.scope,
                    version=version,
                    result=values["result"],
                    rectify_deadline=deadline,
                    summary=values["summary"],
                    deadline_reason=values["deadline_reason"],
                )
            except ValidationError as exc:
                errors = _messages(exc)
        if errors:
            inspection.refresh_from_db()
            return render_form(
                request, self.scope, inspection, errors=errors, values=values, status=400
            )
        messages.success(request, _("检查记录已提交"))
        return redirect("inspections:detail", pk=inspection.pk)


class AmendView(InspectionAccessMixin, View):
    """A correction: the summary, or one item's answer and note, always with a reason."""

    permission = "inspections.change"

    def post(self, request, pk):
        inspection = self.get_inspection()
        post = request.POST
        code = post.get("item", "").strip()
        # Only what was sent is amended: a missing or blank field means "unchanged".
        values = {code: post["value"]} if code and post.get("value") else {}
        notes = {code: post["note"].strip()} if code and post.get("note", "").strip() else {}
        numbers = {code: post["number"]} if code and post.get("number", "").strip() else {}
        raw_deadline = post.get("rectify_deadline", "").strip()
        try:
            deadline = parse_date(raw_deadline) if raw_deadline else None
        except ValueError:
            deadline = None
        if raw_deadline and deadline is None:
            messages.error(request, _("整改期限格式不正确"))
            return redirect("inspections:detail", pk=inspection.pk)
        try:
            amendments.inspection_amend(
                inspection=inspection,
                actor=request.user,
                scope=self.scope,
                reason=post.get("reason", ""),
                summary=post["summary"].strip() if "summary" in post else None,
                notes=notes,
                values=values,
                numbers=numbers,
                result=post.get("result") or None,
                rectify_deadline=deadline,
                deadline_reason=post.get("deadline_reason", ""),
            )
        except ValidationError as exc:
            for message in _messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("更正已记录"))
        return redirect("inspections:detail", pk=inspection.pk)


urlpatterns = [
    path("start/<int:pk>/", StartView.as_view(), name="start"),
    path("<int:pk>/", InspectionView.as_view(), name="detail"),
    path("<int:pk>/save/", SaveView.as_view(), name="save"),
    path("<int:pk>/answers/<str:code>/photos/", PhotoUploadView.as_view(), name="photo_upload"),
    path("<int:pk>/submit/", SubmitView.as_view(), name="submit"),
    path("<int:pk>/amend/", AmendView.as_view(), name="amend"),
    path("photos/<int:pk>/", PhotoView.as_view(), name="photo"),
]
