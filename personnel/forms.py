"""Forms of the vetting pages. They read what was typed; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from institutions.forms import BootstrapFormMixin

from .models import BackgroundCheck, Category, CheckBatch, Dismissal, StaffMember


class IdNumberInput(forms.TextInput):
    """Never renders a value back: a re-shown form must not put a whole ID number on the page."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.county.name}）"


class StaffForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, institutions, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"] = InstitutionChoiceField(
            queryset=institutions,
            label=_("所在机构"),
            empty_label=_("请选择机构"),
            error_messages={"invalid_choice": _("所选机构不在您的管辖范围内")},
        )
        self.fields["name"] = forms.CharField(label=_("姓名"), max_length=64)
        self.fields["id_number"] = forms.CharField(
            label=_("身份证号"),
            max_length=40,
            required=not editing,
            help_text=_("不修改请留空；出于保护个人信息，表单出错时需重新填写")
            if editing
            else _("18 位居民身份证号；出于保护个人信息，表单出错时需重新填写"),
            widget=IdNumberInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
            ),
        )
        self.fields.update(
            fields_for_model(
                StaffMember,
                fields=[
                    "post",
                    "employed_from",
                    "employed_until",
                    "teacher_certificate",
                    "platform_complete",
                ],  # fmt: skip
            )
        )
        for name in ("employed_from", "employed_until"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["teacher_certificate"].help_text = _("学科类培训机构的教师必填")
        self.style_widgets()


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看事由"),
        max_length=200,
        min_length=4,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={
            "required": _("请写明查看完整身份证号的事由"),
            "min_length": _("请写明查看完整身份证号的事由（至少 4 个字）"),
        },
    )


class BatchForm(BootstrapFormMixin, forms.Form):
    basis = forms.ChoiceField(label=_("查询范围"), choices=CheckBatch.Basis.choices)
    institution = forms.IntegerField(required=False, widget=forms.HiddenInput)
    region = forms.CharField(required=False, label=_("地区"))
    stale_months = forms.IntegerField(
        label=_("超过几个月视为超期"), required=False, min_value=1, max_value=120, initial=12
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = forms.ChoiceField(
            label=_("地区"),
            required=False,
            choices=[("", _("请选择地区"))] + [(r.code, r.name) for r in regions],
        )
        self.style_widgets()


class ResultForm(BootstrapFormMixin, forms.Form):
    checked_on = forms.DateField(
        label=_("查询日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    checked_by = forms.CharField(label=_("查询单位（人）"), max_length=100, required=False)
    reference = forms.CharField(label=_("查询编号"), max_length=64)
    outcome = forms.ChoiceField(
        label=_("查询结果"), choices=[("", _("请选择")), *BackgroundCheck.Outcome.choices]
    )
    category = forms.ChoiceField(
        label=_("不得从业情形"),
        required=False,
        choices=[("", _("—（无犯罪记录不填）")), *Category.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


class DismissalCloseForm(BootstrapFormMixin, forms.Form):
    employment_end = forms.DateField(
        label=Dismissal._meta.get_field("employment_end").verbose_name,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写解除聘用日期")},
    )
    evidence = forms.FileField(
        label=_("清退证明"),
        help_text=_("解除劳动合同通知等，PDF、JPG 或 PNG，不超过 10 MB"),
        error_messages={"required": _("请上传清退证明（解除劳动合同通知等）")},
    )
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()
