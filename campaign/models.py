"""The campaign as data: its phases and deadlines, sampling quotas, fee rules and checklists.

Nothing here is a constant in code: next year's campaign, or another province's, is a new
row with its own numbers (MISSION.md: "every campaign sets its own").
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Department, Section

# The notice's sampling minimums (四、保障措施(三)): a city draws at least half of its
# county-level units and 10% of its institutions; the province supervises 5%.
QUOTA_MINIMUMS = {
    "city_county_ratio": Decimal("0.5"),
    "city_institution_ratio": Decimal("0.1"),
    "province_institution_ratio": Decimal("0.05"),
}
DISMISSAL_DAYS_DEFAULT = 15
FEE_RECTIFY_DAYS_DEFAULT = 30
# 《行政执法机关移送涉嫌犯罪案件的规定》第五条: the decision to refer or not within 3 days.
MINOR_REFERRAL_DAYS_DEFAULT = 3


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=200)
    document_number = models.CharField(_("文号"), max_length=64, blank=True)
    province = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="campaigns",
        limit_choices_to={"level": "province"},
        verbose_name=_("省份"),
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    is_active = models.BooleanField(_("进行中"), default=True)
    # Sampling quotas (四、保障措施(三)): minimums, rounded up when applied.
    city_county_ratio = models.DecimalField(
        _("市级抽取县（市、区）比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    city_institution_ratio = models.DecimalField(
        _("市级抽查机构比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.1"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    province_institution_ratio = models.DecimalField(
        _("省级督导抽查机构比例"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.05"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    escalate_to_city_after_days = models.PositiveSmallIntegerField(
        _("整改逾期几天后上报市级"), default=7
    )
    # Why a sampling ratio is below the notice's minimum (四(三): counties ≥ 1/2, institutions
    # ≥ 10% per city, 5% province-wide); a lower ratio is refused unless this says why.
    quota_reason = models.TextField(_("抽查比例低于通知要求的理由"), blank=True)
    # Time limits the notice leaves to each campaign: days to dismiss (清退) a disqualified
    # staff member, days to rectify and refund a fee violation, and days within which a
    # suspected offence against a minor is referred to public security (or a reviewed reason
    # not to is recorded) before the clock escalates it.
    dismissal_days = models.PositiveSmallIntegerField(
        _("清退期限（天）"), default=DISMISSAL_DAYS_DEFAULT
    )
    fee_rectify_days = models.PositiveSmallIntegerField(
        _("收费违规整改期限（天）"), default=FEE_RECTIFY_DAYS_DEFAULT
    )
    minor_referral_days = models.PositiveSmallIntegerField(
        _("涉未成年人线索移送公安期限（天）"), default=MINOR_REFERRAL_DAYS_DEFAULT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("专项行动")
        verbose_name_plural = _("专项行动")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaign:detail", args=[self.pk])


class Phase(models.Model):
    """A step of the campaign with its deadline (county screening by 30 Nov, …)."""

    class Kind(models.TextChoices):
        COUNTY_SCREENING = "county_screening", _("县级排查整改")
        CITY_SPOT_CHECK = "city_spot_check", _("市级抽查")
        PROVINCE_SUPERVISION = "province_supervision", _("省级督导检查")
        CITY_SUMMARY = "city_summary", _("市级工作总结报送")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("阶段"), max_length=32, choices=Kind.choices)
    deadline = models.DateField(_("截止日期"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="unique_campaign_phase")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.deadline:%m月%d日}前）"


class FeeRule(models.Model):
    """The fee limits for one category of institution (MISSION.md, fee rules).

    A limit left empty does not apply. Exactly the limit is allowed; above it is not.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="fee_rules")
    category = models.CharField(
        _("机构类别"),
        max_length=16,
        choices=[("subject", _("学科类")), ("non_subject", _("非学科类"))],
    )
    max_months = models.PositiveSmallIntegerField(_("最长收费周期（月）"), null=True, blank=True)
    max_hours = models.PositiveSmallIntegerField(_("最多课时"), null=True, blank=True)
    max_amount = models.DecimalField(
        _("单次收费上限（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    require_supervised_account = models.BooleanField(_("须进入监管账户"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收费规则")
        verbose_name_plural = _("收费规则")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "category"], name="unique_fee_rule")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_category_display()}"


class ChecklistTemplate(models.Model):
    """A versioned checklist. A submitted inspection keeps the version it used."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="checklists", verbose_name=_("专项行动")
    )
    name = models.CharField(_("名称"), max_length=200)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["campaign_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="unique_checklist_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.version} 版）"


class ChecklistItem(models.Model):
    class Severity(models.TextChoices):
        MAJOR = "major", _("重大隐患")
        GENERAL = "general", _("一般问题")

    class AnswerType(models.TextChoices):
        COMPLIANCE = "compliance", _("合规 / 不合规 / 不适用")
        NUMBER = "number", _("数值")
        TEXT = "text", _("文字")

    class AppliesTo(models.TextChoices):
        ALL = "all", _("全部机构")
        RISKY = "risky", _("有一定危险性的培训")
        SUBJECT = "subject", _("学科类")
        NON_SUBJECT = "non_subject", _("非学科类")
        DORMITORY = "dormitory", _("设有宿舍的")
        KITCHEN = "kitchen", _("设有厨房的")

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("编号"), max_length=16)
    section = models.CharField(_("板块"), max_length=1, choices=Section.choices)
    text = models.TextField(_("检查内容"))
    requirement = models.TextField(_("整改要求"), blank=True)
    department = models.CharField(_("责任部门"), max_length=32, choices=Department.choices)
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices)
    answer_type = models.CharField(_("答案类型"), max_length=16, choices=AnswerType.choices)
    photo_required = models.BooleanField(_("不合规时须拍照"), default=False)
    applies_to = models.CharField(_("适用范围"), max_length=16, choices=AppliesTo.choices)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    # A measured item's limit (数值项的标准): the answer breaks it below the minimum or
    # above the maximum; exactly the limit complies (the nine rules: "不少于 3 平方米",
    # "不超过 6 人"). Empty = no limit. Only number items carry one (checklist_load).
    limit_min = models.DecimalField(
        _("下限（不少于）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    limit_max = models.DecimalField(
        _("上限（不超过）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    help = models.TextField(_("说明"), blank=True)
    order = models.PositiveIntegerField(_("顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["template_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_item_code"),
            models.CheckConstraint(
                condition=models.Q(limit_min__isnull=True)
                | models.Q(limit_max__isnull=True)
                | models.Q(limit_min__lte=models.F("limit_max")),
                name="item_limit_min_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    @property
    def has_limit(self) -> bool:
        return self.limit_min is not None or self.limit_max is not None

    def breaks_limit(self, number: Decimal | None) -> bool | None:
        """Whether a measured value breaks the limit; None when there is nothing to judge."""
        if number is None or not self.has_limit:
            return None
        if self.limit_min is not None and number < self.limit_min:
            return True
        return self.limit_max is not None and number > self.limit_max

    @property
    def limit_text(self) -> str:
        """The limit as people write it: "不少于 3 平方米/人", "不超过 6 人"."""
        low, high, unit = self.limit_min, self.limit_max, self.unit
        if low is not None and high is not None:
            return _("%(low)s～%(high)s %(unit)s") % {
                "low": plain_number(low), "high": plain_number(high), "unit": unit
            }  # fmt: skip
        if low is not None:
            return _("不少于 %(n)s %(unit)s") % {"n": plain_number(low), "unit": unit}
        if high is not None:
            return _("不超过 %(n)s %(unit)s") % {"n": plain_number(high), "unit": unit}
        return ""

    def measured_text(self, number: Decimal | None) -> str:
        """A measured value against the limit: "实测 1.5 平方米/人，规定不少于 3 平方米/人"."""
        if number is None or not self.has_limit:
            return ""
        return _("实测 %(n)s %(unit)s，规定%(limit)s") % {
            "n": plain_number(number), "unit": self.unit, "limit": self.limit_text
        }  # fmt: skip


def plain_number(value: Decimal) -> str:
    """3.00 → "3", 2.50 → "2.5": a stored two-place decimal as an officer writes it."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class PublicityActivity(models.Model):
    """Safety education and publicity (§六) held in a county: what, when, how many reached."""

    class Kind(models.TextChoices):
        DEMONSTRATION = "demonstration", _("现场指导演示")
        REMINDER = "reminder", _("发布安全提醒")
        VIDEO = "video", _("推送宣传视频")
        PARENT_APP = "parent_app", _("引导使用“校外培训家长端”")
        RISK_GUIDANCE = "risk_guidance", _("体育、舞蹈、户外等风险提示")
        OTHER = "other", _("其他")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="publicity", verbose_name=_("专项行动")
    )
    county = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="publicity",
        limit_choices_to={"level": "county"},
        verbose_name=_("县区"),
    )
    kind = models.CharField(_("形式"), max_length=32, choices=Kind.choices)
    held_on = models.DateField(_("日期"))
    title = models.CharField(_("主题"), max_length=200)
    times = models.PositiveIntegerField(_("次数"), default=1)
    reached = models.PositiveIntegerField(
        _("覆盖人数"), default=0, help_text=_("学生、家长、从业人员等")
    )
    institutions_reached = models.PositiveIntegerField(_("覆盖机构数"), default=0)
    description = models.TextField(_("情况说明"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人")
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("安全教育宣传活动")
        verbose_name_plural = _("安全教育宣传活动")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.county} {self.title}"
