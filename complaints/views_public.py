"""The public's door: file a complaint without an account, and look up its status.

Rate-limited per IP; a captcha on the form; the tracking code is shown once, on the page
after filing (it is kept only as a keyed hash); a lookup answers with the status and nothing else.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from . import attachments, captcha, ratelimit, selectors, services
from .forms import LookupForm, PublicComplaintForm

_SUBMITTED = "complaints_submitted_code"


def _too_many(request) -> HttpResponse:
    return render(request, "complaints/public_limited.html", status=429)


@method_decorator(never_cache, name="dispatch")
class PublicComplaintView(View):
    template_name = "complaints/public_form.html"

    def _render(self, request, form, status=200):
        challenge = captcha.current(request.session)
        text_mode = request.GET.get("text") == "1" or request.POST.get("text_mode") == "1"
        return render(
            request,
            self.template_name,
            {"form": form, "captcha_words": challenge["words"] if text_mode else "",
             "text_mode": text_mode, "captcha_version": challenge["seed"]},
            status=status,
        )  # fmt: skip

    def get(self, request):
        captcha.new(request.session)
        return self._render(request, PublicComplaintForm())

    def post(self, request):
        if not ratelimit.hit(request, "submit"):
            return _too_many(request)
        form = PublicComplaintForm(request.POST, request.FILES)
        # A double click sends the same question's answer twice, both read from the same
        # session before either saves it: the first to claim the question files the complaint,
        # the other is told so and leaves the session (and its tracking code) alone.
        if form.is_valid() and not captcha.claim(request.session):
            return render(request, "complaints/public_duplicate.html", status=409)
        solved = captcha.check(request.session, request.POST.get("captcha", ""))
        if not form.is_valid() or not solved:
            if not solved and "captcha" not in form.errors:
                form.add_error("captcha", _("验证码不正确，请重新计算新的题目"))
            return self._render(request, form, status=400)
        data = form.cleaned_data
        try:
            _case, code = services.case_submit_public(
                category=data["category"], county_code=data["county"],
                institution_name=data["institution_name"], description=data["description"],
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                files=[attachments.read_upload(f) for f in data["files"]],
            )  # fmt: skip
        except ValidationError as exc:
            _add_errors(form, exc)
            return self._render(request, form, status=400)
        request.session[_SUBMITTED] = code
        return redirect("complaints_public:submitted")


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else ("files" if field == "__all__" else None)
            for error in errors:
                form.add_error(target, error.messages[0])
    else:
        form.add_error("files" if "files" in form.fields else None, "；".join(exc.messages))


@method_decorator(never_cache, name="dispatch")
class SubmittedView(View):
    """The tracking code, once: reloading or coming back later shows it no more."""

    def get(self, request):
        code = request.session.pop(_SUBMITTED, None)
        if code is None:
            return redirect("complaints_public:form")
        return render(request, "complaints/public_submitted.html", {"code": code})


@method_decorator(never_cache, name="dispatch")
class CaptchaImageView(View):
    def get(self, request):
        response = HttpResponse(captcha.image(request.session), content_type="image/png")
        response["X-Content-Type-Options"] = "nosniff"
        return response


@method_decorator(never_cache, name="dispatch")
class StatusLookupView(View):
    template_name = "complaints/public_status.html"

    def get(self, request):
        return render(request, self.template_name, {"form": LookupForm()})

    def post(self, request):
        if not ratelimit.hit(request, "lookup"):
            return _too_many(request)
        form = LookupForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        status = selectors.status_for_code(form.cleaned_data["code"])
        return render(
            request,
            self.template_name,
            {"form": LookupForm(), "looked_up": True, "status": status},
            status=200 if status else 404,
        )


app_name = "complaints_public"
urlpatterns = [
    path("", PublicComplaintView.as_view(), name="form"),
    path("submitted/", SubmittedView.as_view(), name="submitted"),
    path("captcha.png", CaptchaImageView.as_view(), name="captcha"),
    path("status/", StatusLookupView.as_view(), name="status"),
]
