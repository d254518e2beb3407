"""The API's pages: the schema, its documentation page and the user's API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from accounts.api_permissions import ScopePermission
from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404, scope_for

from . import services
from .models import ApiToken


class SchemaView(SpectacularAPIView):
    # The API's shape is for the people who use it: anyone with a working role.
    permission = "dashboard.view"
    permission_classes = [ScopePermission]


class DocsView(ScopedViewMixin, TemplateView):
    """Swagger UI from drf-spectacular-sidecar's files; its start script is static too."""

    permission = "dashboard.view"
    template_name = "api/docs.html"


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        help_text=gettext_lazy("写明用途，如“县局数据同步”"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": gettext_lazy("请填写令牌名称")},
    )
    expires_on = forms.DateField(
        label=gettext_lazy("到期日期"),
        required=False,
        help_text=gettext_lazy("留空则长期有效，直至吊销。"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": gettext_lazy("日期格式不正确")},
    )


class _TokenViewMixin(LoginRequiredMixin):
    """Anyone with an official's role may hold tokens; a token can do only what its user can."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_hold_tokens(scope_for(request.user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def tokens(self):
        return ApiToken.objects.filter(user=self.request.user)


class TokenListView(_TokenViewMixin, View):
    template_name = "api/tokens.html"

    def render_page(self, form, *, created=None, secret="", status=200):
        context = {"form": form, "tokens": self.tokens(), "created": created, "secret": secret}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(TokenForm())

    def post(self, request):
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = services.token_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    expires_on=form.cleaned_data["expires_on"],
                    request=request,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                # Rendered, not redirected: the secret is never stored, not even in a session.
                response = self.render_page(TokenForm(), created=token, secret=secret)
                response["Cache-Control"] = "no-store"
                return response
        return self.render_page(form, status=400)


class TokenRevokeView(_TokenViewMixin, View):
    def post(self, request, pk):
        token = get_in_scope_or_404(self.tokens(), pk=pk)
        services.token_revoke(token=token, actor=request.user, request=request)
        messages.success(request, _("令牌“%(name)s”已吊销") % {"name": token.name})
        return redirect("api_tokens")
