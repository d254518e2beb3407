"""机构端 · 自查自评: the institution fills the campaign's checklist on its phone (the officers'
form and script, at its own URLs: autosave, kept in the browser while offline, photos),
submits it once, then keeps its own rectification list and corrects answers with a reason.

Every view reads the institution's own record through `Scope.own_institution`; the writes are
`selfcheck.services`, which refuse any other institution's row."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views import View

from accounts.scope import get_in_scope_or_404
from core.photos import MAX_UPLOAD_BYTES, jpeg_response
from inspections.views_form import form_sections, save_payload
from selfcheck import selectors, services
from selfcheck.models import SelfAnswer, SelfInspection, SelfPhoto

from .views import PortalMixin


def _error(message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _date(raw: str):
    """A date typed in a form, or None; a malformed one is a Chinese refusal."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("日期格式不正确"))
    return value


class SelfCheckMixin(PortalMixin):
    def record(self) -> SelfInspection | None:
        self.own()
        return selectors.own_self_inspection(scope=self.scope)

    def record_or_404(self) -> SelfInspection:
        record = self.record()
        if record is None:
            raise Http404
        return record


def _form_page(request, record: SelfInspection, *, errors=(), values=None, status=200):
    items = list(services.applicable_items(record))
    answers = {
        a.item_id: a
        for a in record.answers.prefetch_related(
            Prefetch("photos", queryset=SelfPhoto.objects.order_by("pk"))
        )
    }
    sections = form_sections(
        items,
        answers,
        upload_url=lambda item: reverse("portal:selfcheck_photo_upload", args=[item.code]),
        photo_url=lambda photo: reverse("portal:selfcheck_photo", args=[photo.pk]),
    )
    return render(
        request,
        "portal/selfcheck_form.html",
        {
            "record": record,
            "institution": record.institution,
            "sections": sections,
            "done": sum(g["done"] for g in sections),
            "total": sum(g["total"] for g in sections),
            "submit_errors": errors,
            "values": values or {"fix_by": "", "summary": ""},
            "min_date": timezone.localdate().isoformat(),
        },
        status=status,
    )


def _submitted_page(request, record: SelfInspection, *, errors=(), status=200):
    answers = list(
        record.answers.select_related("item")
        .prefetch_related(Prefetch("photos", queryset=SelfPhoto.objects.order_by("pk")))
        .order_by("item__order", "item__code")
    )
    items = list(services.applicable_items(record))
    return render(
        request,
        "portal/selfcheck_done.html",
        {
            "record": record,
            "institution": record.institution,
            "to_fix": [a for a in answers if a.value == SelfAnswer.Value.NON_COMPLIANT],
            "answers": answers,
            "amendable": [i for i in items if i.answer_type != i.AnswerType.TEXT],
            "values": SelfAnswer.Value.choices,
            "amendments": selectors.amendment_rows(record),
            "errors": errors,
            "today": timezone.localdate(),
            "min_date": timezone.localdate().isoformat(),
        },
        status=status,
    )


class SelfCheckView(SelfCheckMixin, View):
    """自查自评: not begun → a start button; a draft → the phone form; submitted → the
    answers, the institution's own rectification list and corrections."""

    def get(self, request):
        record = self.record()
        if record is None:
            return render(
                request,
                "portal/selfcheck_start.html",
                {
                    "institution": self.own(),
                    "campaign": services.campaign_for(self.own()),
                },
            )
        if record.status == SelfInspection.Status.DRAFT:
            return _form_page(request, record)
        return _submitted_page(request, record)

    def post(self, request):
        try:
            services.self_inspection_start(scope=self.scope, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("portal:selfcheck")


class SaveView(SelfCheckMixin, View):
    """Autosave: the officers' form's JSON in, the new version out; 409 on a stale version."""

    def post(self, request):
        record = self.record_or_404()
        payload = save_payload(request)
        if isinstance(payload, JsonResponse):
            return payload
        try:
            record = services.self_save_draft(
                self_inspection=record,
                actor=request.user,
                scope=self.scope,
                version=payload["version"],
                answers=payload["answers"],
                **payload["flags"],
            )
        except services.EditConflict as exc:
            return _error(" ".join(exc.messages), status=409, conflict=True)
        except ValidationError as exc:
            return _error(" ".join(exc.messages))
        return JsonResponse(
            {
                "version": record.version,
                "saved_at": timezone.localtime(record.updated_at).strftime("%H:%M:%S"),
            }
        )


class PhotoUploadView(SelfCheckMixin, View):
    def post(self, request, code):
        record = self.record_or_404()
        upload = request.FILES.get("photo")
        if upload is None:
            return _error(_("请选择要上传的照片"))
        if upload.size > MAX_UPLOAD_BYTES:
            return _error(_("“%(name)s”超过 15 MB，请压缩后再上传") % {"name": upload.name})
        try:
            photo, created = services.self_photo_add(
                self_inspection=record,
                code=code,
                actor=request.user,
                scope=self.scope,
                data=upload.read(),
                filename=upload.name,
            )
        except ValidationError as exc:
            return _error(" ".join(exc.messages))
        return JsonResponse(
            {"id": photo.pk, "url": reverse("portal:selfcheck_photo", args=[photo.pk])},
            status=201 if created else 200,
        )


class SubmitView(SelfCheckMixin, View):
    def post(self, request):
        record = self.record_or_404()
        if record.status == SelfInspection.Status.SUBMITTED:
            return redirect("portal:selfcheck")  # a second tap
        values = {
            "fix_by": request.POST.get("fix_by", "").strip()[:20],
            "summary": request.POST.get("summary", ""),
        }
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            return _form_page(request, record, errors=[_("缺少记录版本号，请刷新页面")], status=400)
        try:
            services.self_submit(
                self_inspection=record,
                actor=request.user,
                scope=self.scope,
                version=version,
                fix_by=_date(values["fix_by"]),
                summary=values["summary"],
            )
        except ValidationError as exc:
            record.refresh_from_db()
            return _form_page(request, record, errors=exc.messages, values=values, status=400)
        messages.success(request, _("自查表已提交。不合规项已列入自查整改清单，请按计划完成整改。"))
        return redirect("portal:selfcheck")


class AmendView(SelfCheckMixin, View):
    def post(self, request):
        record = self.record_or_404()
        try:
            services.self_amend(
                self_inspection=record,
                actor=request.user,
                scope=self.scope,
                code=request.POST.get("code", "")[:16],
                value=request.POST.get("value", ""),
                number=request.POST.get("number", "").strip()[:40] or None,
                note=request.POST.get("note", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            return _submitted_page(request, record, errors=exc.messages, status=400)
        messages.success(request, _("更正已保存"))
        return redirect("portal:selfcheck")


class FixView(SelfCheckMixin, View):
    """One item of the institution's rectification list: its planned date, or done."""

    def post(self, request, pk):
        record = self.record_or_404()
        answer = get_in_scope_or_404(
            selectors.own_answers(scope=self.scope).select_related("self_inspection"), pk=pk
        )
        try:
            if request.POST.get("action") == "done":
                services.self_fix_done(
                    answer=answer,
                    actor=request.user,
                    scope=self.scope,
                    note=request.POST.get("fix_note", ""),
                )
                messages.success(request, _("已标记为整改完成"))
            else:
                services.self_fix_plan(
                    answer=answer,
                    actor=request.user,
                    scope=self.scope,
                    fix_by=_date(request.POST.get("fix_by", "")[:20]),
                )
                messages.success(request, _("计划整改完成日期已保存"))
        except ValidationError as exc:
            return _submitted_page(request, record, errors=exc.messages, status=400)
        return redirect("portal:selfcheck")


class PhotoView(SelfCheckMixin, View):
    def get(self, request, pk):
        self.own()
        photos = selectors.self_photos_for_institution(scope=self.scope)
        return jpeg_response(get_in_scope_or_404(photos, pk=pk).image)


urlpatterns = [
    path("self-check/", SelfCheckView.as_view(), name="selfcheck"),
    path("self-check/save/", SaveView.as_view(), name="selfcheck_save"),
    path(
        "self-check/items/<str:code>/photos/",
        PhotoUploadView.as_view(),
        name="selfcheck_photo_upload",
    ),
    path("self-check/submit/", SubmitView.as_view(), name="selfcheck_submit"),
    path("self-check/amend/", AmendView.as_view(), name="selfcheck_amend"),
    path("self-check/items/<int:pk>/fix/", FixView.as_view(), name="selfcheck_fix"),
    path("self-check/photos/<int:pk>/", PhotoView.as_view(), name="selfcheck_photo"),
]
