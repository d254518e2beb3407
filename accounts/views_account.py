"""A user's own account: 我的账号 and the password change page (forced or at will)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from .forms_account import PasswordChangeForm, ProfileForm
from .passwords import password_change
from .roles import Role
from .scope import scope_for
from .services_profile import profile_update


class PasswordChangeView(LoginRequiredMixin, FormView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        try:
            password_change(
                user=self.request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                request=self.request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("密码已修改。"))
        return redirect("home")


def _region_path(region) -> str:
    """ "山西省 太原市 小店区": the region with the ones above it."""
    names = []
    while region is not None:
        names.append(region.name)
        region = region.parent
    return " ".join(reversed(names))


class MyAccountView(LoginRequiredMixin, FormView):
    form_class = ProfileForm
    template_name = "accounts/my_account.html"

    def get_initial(self):
        user = self.request.user
        return {"email": user.email, "notify_by_email": "1" if user.notify_by_email else "0"}

    def get_context_data(self, **kwargs):
        held = scope_for(self.request.user).roles
        return super().get_context_data(
            region=_region_path(self.request.user.region),
            roles=[role.label for role in Role if role in held],
            **kwargs,
        )

    def form_valid(self, form):
        try:
            changed = profile_update(
                user=self.request.user,
                email=form.cleaned_data["email"],
                notify_by_email=form.cleaned_data["notify_by_email"],
                request=self.request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存。") if changed else _("没有需要保存的修改。"))
        return redirect("my_account")
