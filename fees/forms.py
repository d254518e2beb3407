"""Forms of fee supervision. Validation of the facts themselves lives in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution

_TEXT = {"class": "form-control"}
_DATE = {"type": "date", "class": "form-control"}


def _date(label, **kwargs):
    return forms.DateField(
        label=label,
        widget=forms.DateInput(format="%Y-%m-%d", attrs=_DATE),
        error_messages={"required": format_lazy("{}{}", _("请填写"), label),
                        "invalid": _("日期格式不正确")},
        **kwargs,
    )  # fmt: skip


def _money(label, **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={**_TEXT, "step": "0.01", "min": "0.01", "inputmode": "decimal"}
        ),
        error_messages={
            "required": format_lazy("{}{}", _("请填写"), label),
            "invalid": _("请填写数字"),
            "max_decimal_places": _("金额最多两位小数"),
            "max_digits": _("金额过大"),
            "max_whole_digits": _("金额过大"),
        },
        **kwargs,
    )


class FeeRecordForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("机构"),
        queryset=Institution.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择机构"), "invalid_choice": _("请选择机构")},
    )
    contract_number = forms.CharField(label=_("合同编号"), max_length=64, required=False,
                                      widget=forms.TextInput(attrs=_TEXT))  # fmt: skip
    student = forms.CharField(label=_("学员（化名或编号）"), max_length=64, required=False,
                              widget=forms.TextInput(attrs=_TEXT))  # fmt: skip
    course = forms.CharField(label=_("课程"), max_length=200, required=False,
                             widget=forms.TextInput(attrs=_TEXT))  # fmt: skip
    amount = _money(_("金额（元）"))
    class_hours = forms.IntegerField(
        label=_("课时数"), required=False, min_value=0,
        widget=forms.NumberInput(attrs={**_TEXT, "min": "0", "inputmode": "numeric"}),
        error_messages={"invalid": _("课时数应为整数"), "min_value": _("不能为负数")},
    )  # fmt: skip
    period_from = _date(_("收费起始日期"))
    period_to = _date(
        _("收费截止日期"), help_text=_("含当日。3 个月：如 9 月 1 日至 11 月 30 日。")
    )
    charged_on = _date(_("收费日期"))
    supervised = forms.TypedChoiceField(
        label=_("是否进入监管账户"),
        choices=[("yes", _("是")), ("no", _("否"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("请选择是否进入监管账户")},
    )

    def __init__(self, *args, institutions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if institutions is not None:
            self.fields["institution"].queryset = institutions
        self.fields["charged_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class RefundForm(forms.Form):
    amount = _money(_("退费金额（元）"))
    refunded_on = _date(_("退费日期"))
    payee = forms.CharField(label=_("退给"), max_length=100, widget=forms.TextInput(attrs=_TEXT),
                            error_messages={"required": _("请填写退给谁（学员或家长）")})  # fmt: skip
    note = forms.CharField(label=_("备注"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={**_TEXT, "rows": 2}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate().isoformat()
        self.fields["refunded_on"].widget.attrs["max"] = today
        self.fields["refunded_on"].initial = today


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), max_length=2000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
        error_messages={"required": _("请填写说明")},
    )  # fmt: skip


class ReopenForm(NoteForm):
    deadline = _date(_("新的整改期限"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
