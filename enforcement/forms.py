"""The form an officer fills to record an action. The facts are checked in the service."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Department

from .models import EnforcementAction

_TEXT = {"class": "form-control"}


class ActionForm(forms.Form):
    # Plain text behind a <select>: a value the page did not offer still reaches the
    # service, which refuses a basis the recorder may not act on with 403, and a 处理部门
    # not owning the basis's section in words.
    basis = forms.CharField(
        label=_("处理依据"), max_length=40, widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择处理依据")},
    )  # fmt: skip
    kind = forms.ChoiceField(
        label=_("处理措施"), choices=EnforcementAction.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择处理措施"), "invalid_choice": _("请选择处理措施")},
    )  # fmt: skip
    department = forms.CharField(
        label=_("处理部门"), max_length=32, required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )  # fmt: skip
    taken_on = forms.DateField(
        label=_("处理日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
        error_messages={"required": _("请填写处理日期"), "invalid": _("日期格式不正确")},
    )
    document_number = forms.CharField(
        label=_("文书编号"), max_length=64, required=False,
        widget=forms.TextInput(attrs={**_TEXT, "placeholder": _("如 并消限字〔2023〕第0012号")}),
        help_text=_("责令整改、停业整顿、罚款须填写"),
        error_messages={"max_length": _("文书编号不能超过 64 个字符")},
    )  # fmt: skip
    amount = forms.DecimalField(
        label=_("罚款金额（元）"), required=False, max_digits=12, decimal_places=2,
        widget=forms.NumberInput(
            attrs={**_TEXT, "step": "0.01", "min": "0.01", "inputmode": "decimal"}
        ),
        help_text=_("仅罚款填写"),
        error_messages={
            "invalid": _("罚款金额应为数字"),
            "max_decimal_places": _("金额最多两位小数"),
            "max_digits": _("罚款金额过大（不超过 1000 万元），请核对"),
            "max_whole_digits": _("罚款金额过大（不超过 1000 万元），请核对"),
        },
    )  # fmt: skip
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        error_messages={"max_length": _("说明不能超过 2000 个字符")},
    )  # fmt: skip

    def __init__(self, *args, bases=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis"].widget.choices = [("", _("请选择")), *bases]
        labels = dict(Department.choices)
        self.fields["department"].widget.choices = [(d, labels[d]) for d in sorted(departments)]
        self.fields["taken_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class WithdrawForm(forms.Form):
    # Checked again in the service (control characters, length, already withdrawn).
    reason = forms.CharField(
        label=_("撤销原因"), max_length=500, required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        help_text=_("如文书编号录错、重复登记；撤销后记录保留并标注“已撤销”"),
        error_messages={"max_length": _("撤销原因不能超过 500 个字符")},
    )  # fmt: skip
