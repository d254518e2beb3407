"""Forms of the complaint pages: the public form, the officer's entry, triage and referral."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .attachments import MAX_BYTES, MAX_FILES
from .models import OFFICER_CHANNELS, Category, CategoryRule, Referral
from .rules import LIMITS

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
_TEXT = {"class": "form-control"}
_SELECT = {"class": "form-select"}


def county_choices(prefixes: list[str] | None = None) -> list:
    """Counties grouped under their city, for a select that works on a phone."""
    counties = Region.objects.filter(level=Region.Level.COUNTY).select_related("parent")
    groups: dict[str, list] = {}
    for county in counties.order_by("code"):
        if prefixes is not None and not any(county.code.startswith(p) for p in prefixes):
            continue
        groups.setdefault(county.parent.name if county.parent else "", []).append(
            (county.code, county.name)
        )
    return [("", _("请选择县（市、区）")), *groups.items()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "class": "form-control", "accept": "image/jpeg,image/png,image/webp,application/pdf"}))  # fmt: skip
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("最多上传 5 个附件"))
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for f in cleaned:
            # The size the upload handler counted, before anything is read into memory.
            if f is not None and (f.size or 0) > MAX_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s”超过 10 MB") % {"name": (f.name or _("附件"))[-200:]}
                )
        return cleaned


def _clean_phone(value: str) -> str:
    phone = "".join((value or "").split()).replace("－", "-")
    if phone and not _PHONE.match(phone):
        raise forms.ValidationError(_("请填写正确的手机号或带区号的固定电话"))
    return phone


class _CaseFields(forms.Form):
    category = forms.ChoiceField(
        label=_("反映问题的类别"),
        choices=[("", _("请选择")), *Category.choices],
        widget=forms.Select(attrs=_SELECT),
        error_messages={"required": _("请选择反映问题的类别")},
    )
    county = forms.ChoiceField(
        label=_("所在县（市、区）"),
        widget=forms.Select(attrs=_SELECT),
        error_messages={"required": _("请选择所在县（市、区）"), "invalid_choice": _("请选择所在县（市、区）")},
    )  # fmt: skip
    institution_name = forms.CharField(
        label=_("涉及的培训机构"), max_length=200, required=False,
        widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "off"}),
        help_text=_("机构名称或统一社会信用代码，不清楚可不填"),
    )  # fmt: skip
    description = forms.CharField(
        label=_("反映内容"), min_length=10, max_length=5000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 6}),
        error_messages={"required": _("请填写反映内容"),
                        "min_length": _("请把情况写清楚，至少 10 个字"),
                        "max_length": _("反映内容不能超过 5000 字")},
    )  # fmt: skip
    reporter_name = forms.CharField(
        label=_("您的称呼"), max_length=32, required=False, widget=forms.TextInput(attrs=_TEXT)
    )
    reporter_phone = forms.CharField(
        label=_("联系电话"), max_length=32, required=False,
        widget=forms.TextInput(attrs={**_TEXT, "inputmode": "tel", "autocomplete": "tel"}),
    )  # fmt: skip
    files = MultipleFileField(
        label=_("附件"), required=False,
        help_text=_("照片（JPEG、PNG、WebP）或 PDF，最多 5 个，每个不超过 10 MB"),
    )  # fmt: skip

    def clean_reporter_phone(self):
        return _clean_phone(self.cleaned_data.get("reporter_phone"))


class PublicComplaintForm(_CaseFields):
    captcha = forms.CharField(
        label=_("验证码"), max_length=8,
        widget=forms.TextInput(attrs={**_TEXT, "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("请填写验证码")},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = county_choices()


class OfficerComplaintForm(_CaseFields):
    channel = forms.ChoiceField(
        label=_("来源渠道"), choices=[("", _("请选择")), *OFFICER_CHANNELS],
        widget=forms.Select(attrs=_SELECT), error_messages={"required": _("请选择来源渠道")},
    )  # fmt: skip
    received_at = forms.DateTimeField(
        label=_("收到时间"), required=False,
        widget=forms.DateTimeInput(attrs={**_TEXT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("不填为现在"), error_messages={"invalid": _("收到时间格式不正确")},
    )  # fmt: skip
    field_order = ["channel", "category", "county", "institution_name", "description",
                   "received_at", "reporter_name", "reporter_phone", "files"]  # fmt: skip

    def __init__(self, *args, prefixes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = county_choices(prefixes)
        self.fields["reporter_name"].label = _("反映人")


class TriageForm(forms.Form):
    category = forms.ChoiceField(
        label=_("类别"), choices=Category.choices, widget=forms.Select(attrs=_SELECT)
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("承办人"), queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一名承办人")},
    )  # fmt: skip
    deadline = forms.DateTimeField(
        label=_("处置期限"), required=False,
        widget=forms.DateTimeInput(attrs={**_TEXT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("不填则按类别的处置时限计算"), error_messages={"invalid": _("处置期限格式不正确")},
    )  # fmt: skip
    note = forms.CharField(label=_("分办意见"), max_length=500, required=False,
                           widget=forms.TextInput(attrs=_TEXT))  # fmt: skip

    def __init__(self, *args, officers, lock_category: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import User

        if lock_category:
            # A minor-offence case whose details this officer does not see: they may assign
            # it, but not reclassify it (that would open its details to others).
            self.fields["category"].choices = [
                c for c in Category.choices if c[0] == Category.MINOR_OFFENCE
            ]
            self.fields["category"].help_text = _(
                "只有能查看详情的人员可以更改涉未成年人案件的类别"
            )
            self.fields["category"].error_messages["invalid_choice"] = _(
                "涉未成年人案件只能由能查看其详情的人员（承办人等）更改类别"
            )

        self.fields["assignees"].queryset = User.objects.filter(pk__in=[u.pk for u in officers])
        self.fields["assignees"].label_from_instance = lambda u: f"{u}（{u.username}）"


class LinkForm(forms.Form):
    inspection = forms.ModelChoiceField(label=_("检查记录"), queryset=None, required=False,
                                        widget=forms.Select(attrs=_SELECT))  # fmt: skip
    task = forms.ModelChoiceField(label=_("整改任务"), queryset=None, required=False,
                                  widget=forms.Select(attrs=_SELECT))  # fmt: skip

    def __init__(self, *args, inspections, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspection"].queryset = inspections
        # A draft has no submission time yet: it is dated by when it was started.
        self.fields["inspection"].label_from_instance = lambda i: _("%(date)s 的检查（%(status)s）") % {
            "date": timezone.localtime(i.submitted_at or i.started_at).strftime("%Y-%m-%d"),
            "status": i.get_status_display()}  # fmt: skip
        self.fields["task"].queryset = tasks
        self.fields["task"].label_from_instance = lambda t: _("%(dept)s整改，期限 %(due)s") % {
            "dept": t.get_department_display(), "due": t.deadline or "—"}  # fmt: skip


class ReferForm(forms.Form):
    police_unit = forms.CharField(
        label=_("接收移送的公安机关"), max_length=200, widget=forms.TextInput(attrs=_TEXT),
        error_messages={"required": _("请填写接收移送的公安机关")},
    )  # fmt: skip
    materials = forms.CharField(
        label=_("移送材料"), max_length=5000, widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        help_text=_("如：投诉记录、照片 2 张、机构基本情况"),
        error_messages={"required": _("请写明移送的材料")},
    )  # fmt: skip


class AckForm(forms.Form):
    police_case_number = forms.CharField(label=_("公安受案编号"), max_length=64, required=False,
                                         widget=forms.TextInput(attrs=_TEXT))  # fmt: skip


class FeedbackForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"), choices=[("", _("请选择")), *Referral.Outcome.choices],
        widget=forms.Select(attrs=_SELECT), error_messages={"required": _("请选择处理结果")},
    )  # fmt: skip
    feedback = forms.CharField(
        label=_("反馈内容"), max_length=5000, widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        error_messages={"required": _("请填写反馈内容")},
    )  # fmt: skip


class CloseForm(forms.Form):
    result = forms.CharField(
        label=_("办理结果"), max_length=5000, widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
        error_messages={"required": _("请填写办理结果")},
    )  # fmt: skip


class NoReferralForm(forms.Form):
    """The handler's reason for not referring a suspected offence against a minor."""

    reason = forms.CharField(
        label=_("不移送公安的理由"), max_length=2000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3,
                                     "placeholder": _("如：经核实系误解，反映的情况不涉及违法犯罪")}),
        error_messages={"required": _("请写明不移送公安的理由")},
    )  # fmt: skip


class NoReferralReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核意见"), widget=forms.RadioSelect,
        choices=[("approve", _("同意不移送")), ("return", _("退回，应移送或补充理由"))],
        error_messages={"required": _("请选择审核意见")},
    )  # fmt: skip
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 2}),
    )  # fmt: skip
    # When the proposal the reviewer read was made (the page writes it from the case); the
    # service refuses an approval when the handler has rewritten the reason since.
    proposed_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_proposed_at(self):
        # Anything unreadable is "not the proposal in force": the service says so in words.
        value = (self.cleaned_data.get("proposed_at") or "").strip()
        try:
            return parse_datetime(value) if len(value) <= 64 else None
        except ValueError:
            return None


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看理由"), max_length=200,
        widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "off",
                                      "placeholder": _("如：回访反映人，核实情况")}),
        error_messages={"required": _("请填写查看完整联系方式的理由")},
    )  # fmt: skip

    def clean_reason(self):
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError(_("请填写查看完整联系方式的理由"))
        return reason


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"), max_length=20,
        widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "off", "autocapitalize": "characters",
                                      "placeholder": "XXXX-XXXX-XXXX"}),
        error_messages={"required": _("请输入查询码")},
    )  # fmt: skip


class CategoryRulesForm(forms.Form):
    """The time limits of every category on one page; `complaints.rules` checks the numbers
    (its messages land on these fields) so the page and the service cannot disagree."""

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = []
        for rule in rules:
            names = []
            for limit in LIMITS:
                name = f"{rule.category}-{limit.field}"
                self.fields[name] = forms.CharField(
                    required=False,  # an empty box is the service's to refuse, once
                    label=CategoryRule._meta.get_field(limit.field).verbose_name,
                    initial=getattr(rule, limit.field),
                    widget=forms.NumberInput(
                        attrs={**_TEXT, "min": limit.low, "max": limit.high, "step": 1,
                               "inputmode": "numeric"}
                    ),
                    help_text=_("%(low)s–%(high)s") % {"low": limit.low, "high": limit.high},
                )  # fmt: skip
                names.append(name)
            self.categories.append((rule.get_category_display(), names))

    def groups(self):
        """(category label, its bound fields) in the categories' order, for the template."""
        return [(label, [self[name] for name in names]) for label, names in self.categories]

    def values(self) -> dict[str, dict[str, str]]:
        """What was typed, by category and field, for `category_rules_update`."""
        values: dict[str, dict[str, str]] = {}
        for name in self.fields:
            category, field = name.split("-", 1)
            values.setdefault(category, {})[field] = self.data.get(name, "")
        return values
