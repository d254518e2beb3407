"""Forms of the register pages. They read what a person typed; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import Institution, Site, normalize_credit_code, validate_credit_code
from .services import INSTITUTION_FIELDS, SITE_FIELDS


class BootstrapFormMixin:
    """Bootstrap classes on every widget, so templates can render fields one by one."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class CountyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.parent.name} {obj.name}" if obj.parent_id else obj.name


class InstitutionForm(BootstrapFormMixin, forms.Form):
    """Every field of the register; the county list holds only counties in the user's scope."""

    def __init__(self, *args, counties: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Institution, fields=INSTITUTION_FIELDS))
        # Checked and normalised by the service (full-width, spaces, case), so the form
        # accepts the code as typed; a strict max_length here would refuse "9114 0105 …".
        self.fields["credit_code"] = forms.CharField(
            label=Institution._meta.get_field("credit_code").verbose_name,
            max_length=64,
            help_text=_("18 位，可含空格或全角字符，保存时自动规范"),
            widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
        )
        self.fields["county"] = CountyChoiceField(
            queryset=counties,
            label=Institution._meta.get_field("county").verbose_name,
            empty_label=_("请选择县区"),
            # A county outside the list can only come from a forged request.
            error_messages={"invalid_choice": _("所选县区不在您的管辖范围内")},
        )
        self.fields["category"].choices = [("", _("请选择类别")), *Institution.Category.choices]
        self.fields["sector"].choices = [
            ("", _("—（学科类不填）")),
            *self.fields["sector"].choices[1:],
        ]
        self.fields["sector"].help_text = _("非学科类必填，决定监管部门；学科类保存时自动清空")
        self.fields["is_risky"].help_text = _("如体育、舞蹈、户外、游泳、武术等")
        self.fields["phone"].widget.attrs.update(type="tel", inputmode="tel", autocomplete="tel")
        self.fields["floor_area"].widget.attrs.update(inputmode="decimal")
        self.fields["capacity"].widget.attrs.update(inputmode="numeric")
        self.style_widgets()

    def clean_credit_code(self) -> str:
        # The service checks again; checking here too shows a bad code together with the
        # form's other errors instead of only after they are fixed.
        code = normalize_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        return code


class SiteForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Site, fields=SITE_FIELDS))
        self.fields["floor_area"].widget.attrs.update(inputmode="decimal")
        self.style_widgets()
