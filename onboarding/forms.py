"""账号管理 forms. Region choices come from the admin's scope (their region and those below);
roles and departments are every one there is: what an admin may give is the service's
decision, which names its reason (accounts/delegation.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.roles import Department, Role
from accounts.scope import Scope
from accounts.selectors_manage import manageable_regions

_INPUT = {"class": "form-control"}
_SELECT = {"class": "form-select"}

_PHONE = RegexValidator(
    r"^[0-9+\- ]*$", _("手机号只能包含数字、空格、加号和连字符"), code="invalid_phone"
)

# An institution's account is opened on its institution's page (institutions/accounts.py),
# never as a bare grant: the choice is not offered here.
GRANTABLE_ROLES = [(value, label) for value, label in Role.choices if value != Role.INSTITUTION]


def region_choices(scope: Scope, *, blank: str | None = None) -> list[tuple[str, str]]:
    indent = {"province": "", "city": "　", "county": "　　"}
    choices = [
        (r.code, f"{indent.get(r.level, '')}{r.name}（{r.code}）")
        for r in manageable_regions(scope=scope)
    ]
    return ([("", blank)] if blank is not None else []) + choices


class RegionField(forms.ChoiceField):
    """Offers the admin's regions; takes any six-digit code, so a region outside theirs is
    refused by the service with its reason rather than as a bare invalid choice."""

    def valid_value(self, value) -> bool:
        return len(value) == 6 and value.isascii() and value.isdigit()


def _required(message):
    return {"required": message}


class _RegionForm(forms.Form):
    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(scope, blank="")


def _clean_department(data: dict) -> dict:
    """No department is preselected: left blank it is education, except for a department
    user, who must name their own (the service refuses education for them too)."""
    if not data.get("department") and "department" in data:
        if data.get("role") == Role.DEPARTMENT_USER:
            raise forms.ValidationError(
                {"department": _("部门用户须选择教育以外的部门（消防、公安、体育、文旅、科技）")}
            )
        data["department"] = Department.EDUCATION
    return data


class AccountFilterForm(forms.Form):
    """The list's search and filters; a value that does not validate is simply not applied."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={**_INPUT, "placeholder": _("用户名、姓名或手机号"), "type": "search"}
        ),
    )
    region = forms.ChoiceField(label=_("地区"), required=False, widget=forms.Select(attrs=_SELECT))
    role = forms.ChoiceField(
        label=_("角色"),
        required=False,
        choices=[("", _("全部角色")), *Role.choices],
        widget=forms.Select(attrs=_SELECT),
    )
    department = forms.ChoiceField(
        label=_("部门"),
        required=False,
        choices=[("", _("全部部门")), *Department.choices],
        widget=forms.Select(attrs=_SELECT),
    )
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("1", _("启用")), ("0", _("已停用"))],
        widget=forms.Select(attrs=_SELECT),
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(scope, blank=_("全部地区"))

    def filters(self) -> dict:
        """The selector's keyword arguments for the fields that validated."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        active = data.get("active")
        return {
            "search": (data.get("q") or "").strip(),
            "region_code": data.get("region") or "",
            "role": data.get("role") or "",
            "department": data.get("department") or "",
            "active": None if not active else active == "1",
        }


class AccountForm(_RegionForm):
    """What an admin changes on an account; the username stays as it was made."""

    full_name = forms.CharField(
        label=_("姓名"),
        max_length=64,
        widget=forms.TextInput(attrs=_INPUT),
        error_messages=_required(_("请填写姓名")),
    )
    phone = forms.CharField(
        label=_("手机号"),
        max_length=32,
        required=False,
        validators=[_PHONE],
        widget=forms.TextInput(attrs={**_INPUT, "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("邮箱"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs=_INPUT),
        error_messages={"invalid": _("邮箱格式不正确")},
    )
    region = RegionField(
        label=_("所属地区"),
        widget=forms.Select(attrs=_SELECT),
        error_messages={
            "required": _("请选择所属地区"),
            "invalid_choice": _("请选择有效的地区"),
        },
    )


class AccountCreateForm(AccountForm):
    """A new account with its first grant; the account belongs to the grant's region."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator(message=_("用户名只能包含字母、数字和 @ . + - _"))],
        widget=forms.TextInput(attrs={**_INPUT, "autocomplete": "off"}),
        error_messages=_required(_("请填写用户名")),
    )
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[("", ""), *GRANTABLE_ROLES],
        widget=forms.Select(attrs=_SELECT),
        error_messages={"required": _("请选择角色"), "invalid_choice": _("请选择有效的角色")},
    )
    department = forms.ChoiceField(
        label=_("部门"),
        choices=[("", ""), *Department.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
        error_messages={"invalid_choice": _("请选择有效的部门")},
    )

    def clean(self):
        return _clean_department(super().clean())

    field_order = ["username", "full_name", "phone", "email", "region", "role", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].label = _("地区")


class GrantForm(_RegionForm):
    """One more grant: a role on a region, for a department."""

    role = forms.ChoiceField(
        label=_("角色"),
        choices=[("", ""), *GRANTABLE_ROLES],
        widget=forms.Select(attrs=_SELECT),
        error_messages={"required": _("请选择角色"), "invalid_choice": _("请选择有效的角色")},
    )
    region = RegionField(
        label=_("地区"),
        widget=forms.Select(attrs=_SELECT),
        error_messages={
            "required": _("请选择地区"),
            "invalid_choice": _("请选择有效的地区"),
        },
    )
    department = forms.ChoiceField(
        label=_("部门"),
        choices=[("", ""), *Department.choices],
        required=False,
        widget=forms.Select(attrs=_SELECT),
        error_messages={"invalid_choice": _("请选择有效的部门")},
    )

    def clean(self):
        return _clean_department(super().clean())

    prefix = "grant"
