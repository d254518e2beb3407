from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect


class ChineseFirstMiddleware(MiddlewareMixin):
    """Simplified Chinese unless the user chose English with the switch (a cookie).

    The browser's Accept-Language is ignored: intranet PCs often run English-language
    browsers, and officials should not land on an English page because of that.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)


class PasswordChangeRequiredMiddleware:
    """A user whose password someone else chose (a new account, an admin's reset) changes it
    before anything else: every page sends them to the change page, the session API says
    403. Logging out, switching the language, static files and the health check stay open.

    Only the session is looked at: an API call with a token is authenticated by DRF after
    this runs and is left alone. A flagged user cannot make a token (the tokens page is
    closed to them too), but one made before an admin's reset still acts: revoking those is
    the reset's business.
    """

    OPEN_URLS = ("password_change", "logout", "set_language", "healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not self._is_open(request.path)
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _is_open(self, path: str) -> bool:
        if settings.STATIC_URL and path.startswith(settings.STATIC_URL):
            return True
        return path in {reverse(name) for name in self.OPEN_URLS}

    @staticmethod
    def _refuse(request):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("请先修改密码：初始密码或管理员重置的密码须修改后才能使用系统。")},
                status=403,
                json_dumps_params={"ensure_ascii": False},
            )
        if getattr(request, "htmx", False):
            # A partial page would land inside the old one: have htmx load the change page.
            return HttpResponseClientRedirect(reverse("password_change"))
        return redirect("password_change")
