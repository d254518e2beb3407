"""The forms of a user's own account pages (views_account.py): the services validate."""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.translation import gettext_lazy as _

_INPUT = {"class": "form-control form-control-lg"}


def _password(label, autocomplete):
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={**_INPUT, "autocomplete": autocomplete}),
    )


class PasswordChangeForm(forms.Form):
    old_password = _password(_("原密码"), "current-password")
    new_password = _password(_("新密码"), "new-password")
    new_password_again = _password(_("再次输入新密码"), "new-password")

    def clean(self):
        data = super().clean()
        new, again = data.get("new_password"), data.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("两次输入的新密码不一致。"))
        return data

    @staticmethod
    def policy() -> list[str]:
        return password_validators_help_texts()


class ProfileForm(forms.Form):
    # No max_length or format here: accounts.services_profile says what is wrong, once.
    email = forms.CharField(
        label=_("邮件地址"),
        required=False,
        widget=forms.EmailInput(attrs={**_INPUT, "autocomplete": "email"}),
    )
    notify_by_email = forms.TypedChoiceField(
        label=_("通知方式"),
        choices=[("1", _("同时发送邮件")), ("0", _("仅站内通知"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
