from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Phase, PublicityActivity

PERCENT = {"min_value": Decimal("0.1"), "max_value": Decimal("100"), "decimal_places": 1}


class CampaignForm(forms.Form):
    """Deadlines and quotas, with ratios shown as percentages as the notice writes them."""

    county_screening = forms.DateField(
        label=Phase.Kind.COUNTY_SCREENING.label, widget=forms.DateInput(attrs={"type": "date"})
    )
    city_spot_check = forms.DateField(
        label=Phase.Kind.CITY_SPOT_CHECK.label, widget=forms.DateInput(attrs={"type": "date"})
    )
    province_supervision = forms.DateField(
        label=Phase.Kind.PROVINCE_SUPERVISION.label, widget=forms.DateInput(attrs={"type": "date"})
    )
    city_summary = forms.DateField(
        label=Phase.Kind.CITY_SUMMARY.label, widget=forms.DateInput(attrs={"type": "date"})
    )
    city_county_percent = forms.DecimalField(label=_("市级抽取县（市、区）不低于（%）"), **PERCENT)
    city_institution_percent = forms.DecimalField(label=_("市级抽查机构不低于（%）"), **PERCENT)
    province_institution_percent = forms.DecimalField(
        label=_("省级督导抽查机构不低于（%）"), **PERCENT
    )
    quota_reason = forms.CharField(
        label=_("抽查比例低于通知要求的理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "通知要求：市级抽取县（市、区）不低于 1/2、抽查机构不低于 10%，省级抽查 5%。低于要求时必填。"
        ),
    )
    escalate_days = forms.IntegerField(label=_("整改逾期几天后上报市级"), min_value=0, max_value=90)
    # Bounds as campaign.services.DAY_LIMITS, which checks them again. Left empty: unchanged.
    dismissal_days = forms.IntegerField(
        label=_("清退期限（天）"), min_value=1, max_value=90, required=False
    )
    fee_rectify_days = forms.IntegerField(
        label=_("收费违规整改期限（天）"), min_value=1, max_value=180, required=False
    )
    minor_referral_days = forms.IntegerField(
        label=_("涉未成年人线索移送公安期限（天）"), min_value=1, max_value=30, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-lg")

    @classmethod
    def initial_for(cls, campaign) -> dict:
        initial = {p.kind: p.deadline for p in campaign.phases.all()}
        initial.update(
            city_county_percent=campaign.city_county_ratio * 100,
            city_institution_percent=campaign.city_institution_ratio * 100,
            province_institution_percent=campaign.province_institution_ratio * 100,
            escalate_days=campaign.escalate_to_city_after_days,
            quota_reason=campaign.quota_reason,
            dismissal_days=campaign.dismissal_days,
            fee_rectify_days=campaign.fee_rectify_days,
            minor_referral_days=campaign.minor_referral_days,
        )
        return initial

    def days(self) -> dict:
        names = ("dismissal_days", "fee_rectify_days", "minor_referral_days")
        return {n: self.cleaned_data[n] for n in names if self.cleaned_data[n] is not None}

    def deadlines(self) -> dict:
        return {kind: self.cleaned_data[kind] for kind in Phase.Kind.values}

    def quotas(self) -> dict:
        data = self.cleaned_data
        return {
            "city_county_ratio": data["city_county_percent"] / 100,
            "city_institution_ratio": data["city_institution_percent"] / 100,
            "province_institution_ratio": data["province_institution_percent"] / 100,
        }


class PublicityForm(forms.ModelForm):
    class Meta:
        model = PublicityActivity
        fields = [
            "county",
            "kind",
            "held_on",
            "title",
            "times",
            "reached",
            "institutions_reached",
            "description",
        ]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        self.fields["county"].label_from_instance = lambda r: (
            f"{r.parent.name if r.parent_id else ''}{r.name}"
        )
        for field in self.fields.values():
            css = (
                "form-select form-select-lg"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-lg"
            )
            field.widget.attrs.setdefault("class", css)


class FeeRulesForm(forms.Form):
    """The fee limits of both categories; an empty limit does not apply."""

    CATEGORIES = (("subject", _("学科类")), ("non_subject", _("非学科类")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for category, label in self.CATEGORIES:
            self.fields[f"{category}_max_months"] = forms.IntegerField(
                label=_("%(c)s：最长收费周期（月）") % {"c": label},
                required=False,
                min_value=1,
                max_value=120,
            )
            self.fields[f"{category}_max_hours"] = forms.IntegerField(
                label=_("%(c)s：最多课时") % {"c": label},
                required=False,
                min_value=1,
                max_value=10000,
            )
            if category == "non_subject":
                # Not the notice's rule: it limits non-subject charges by amount only.
                source = _(
                    "依据 2022 年教育部等十三部门《关于规范面向中小学生的非学科类校外培训的意见》（国家规定），非 51 号文要求。"
                )
                self.fields[f"{category}_max_months"].help_text = source
                self.fields[f"{category}_max_hours"].help_text = source
            self.fields[f"{category}_max_amount"] = forms.DecimalField(
                label=_("%(c)s：单次收费上限（元）") % {"c": label},
                required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
            )  # fmt: skip
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-lg")

    @classmethod
    def initial_for(cls, campaign) -> dict:
        initial = {}
        for rule in campaign.fee_rules.all():
            for name in ("max_months", "max_hours", "max_amount"):
                initial[f"{rule.category}_{name}"] = getattr(rule, name)
        return initial

    def rules(self) -> dict[str, dict]:
        return {
            category: {
                name: self.cleaned_data[f"{category}_{name}"]
                for name in ("max_months", "max_hours", "max_amount")
            }
            for category, _label in self.CATEGORIES
        }
