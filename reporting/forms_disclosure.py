from django import forms
from django.utils.translation import gettext_lazy as _

_CHECK = forms.CheckboxInput(attrs={"class": "form-check-input"})


class PublishForm(forms.Form):
    show_draws = forms.BooleanField(
        label=_("抽样结果（随机种子、抽样框、抽中机构）"), required=False, widget=_CHECK
    )
    show_violations = forms.BooleanField(
        label=_("存在严重消防安全问题或停业整改的机构及整改情况"), required=False, widget=_CHECK
    )
    show_figures = forms.BooleanField(label=_("主要数据"), required=False, widget=_CHECK)
    reason = forms.CharField(
        label=_("公开说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
