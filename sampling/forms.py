import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institutions.models import Institution, normalize_credit_code


class DrawForm(forms.Form):
    seed = forms.CharField(
        label=gettext_lazy("随机种子"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("可填写现场公开产生的数字（如摇号结果）；不填则由系统随机生成并显示"),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off",
                                      "autocapitalize": "off", "spellcheck": "false"}),
    )  # fmt: skip
    stratified = forms.BooleanField(
        label=gettext_lazy("每个抽中县区至少抽查一家机构"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    named = forms.CharField(
        label=gettext_lazy("指定必查机构"),
        required=False,
        help_text=gettext_lazy("每行一家：统一社会信用代码 空格 必查原因"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    redraw_reason = forms.CharField(
        label=gettext_lazy("重新抽样（或再次预览）的原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    def __init__(self, *args, frame_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.frame_prefix = frame_prefix

    def clean_named(self) -> list[tuple[Institution, str]]:
        rows = []
        for number, line in enumerate((self.cleaned_data["named"] or "").splitlines(), start=1):
            if not line.strip():
                continue
            # Any blank separates, the full-width one a Chinese IME types included.
            code, reason = [*re.split(r"\s+", line.strip(), maxsplit=1), ""][:2]
            code = normalize_credit_code(code)
            institution = Institution.objects.filter(
                credit_code=code, county__code__startswith=self.frame_prefix
            ).first()
            if institution is None:
                raise ValidationError(
                    _("第 %(n)s 行：本地区没有统一社会信用代码为“%(code)s”的机构")
                    % {"n": number, "code": code}
                )
            if not reason.strip():
                raise ValidationError(_("第 %(n)s 行：请写明必查原因") % {"n": number})
            rows.append((institution, reason.strip()))
        return rows


class PoolAddForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("检查人员"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": gettext_lazy("请选择检查人员"),
                        "invalid_choice": gettext_lazy("请选择列表中的检查人员")},
    )  # fmt: skip

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class ConflictForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("检查人员"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": gettext_lazy("请选择检查人员"),
                        "invalid_choice": gettext_lazy("请选择列表中的检查人员")},
    )  # fmt: skip
    credit_code = forms.CharField(
        label=gettext_lazy("机构统一社会信用代码"),
        max_length=32,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("请填写机构统一社会信用代码")},
    )
    reason = forms.CharField(
        label=gettext_lazy("回避原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": gettext_lazy("请填写回避原因")},
    )

    def __init__(self, *args, candidates=None, frame_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
        self.frame_prefix = frame_prefix

    def clean_credit_code(self) -> Institution:
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        institution = Institution.objects.filter(
            credit_code=code, county__code__startswith=self.frame_prefix
        ).first()
        if institution is None:
            raise ValidationError(
                _("本地区没有统一社会信用代码为“%(code)s”的机构") % {"code": code}
            )
        return institution
