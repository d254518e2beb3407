from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum.cn import uscc

from accounts.roles import Sector


class Region(models.Model):
    """An administrative division with its GB/T 2260 code (province ⊃ city ⊃ county).

    The code is the key: a division's code begins with its parent's significant digits
    (140105 小店区 lies in 1401 太原市 in 14 山西省), so "everything inside this region"
    is a prefix match on an indexed column, with no tree walk.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县（市、区）")

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The significant digits every code inside this region starts with."""
        return self.code[: {"province": 2, "city": 4, "county": 6}[self.level]]


def validate_credit_code(value: str) -> None:
    if not uscc.is_valid(value):
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效（长度、字符或校验位不正确）"),
            params={"value": value},
            code="invalid_uscc",
        )


class Institution(models.Model):
    """An off-campus training institution (校外培训机构). [registry] adds the rest of the register."""

    class Category(models.TextChoices):
        SUBJECT = "subject", _("学科类")
        NON_SUBJECT = "non_subject", _("非学科类")

    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="institutions",
        limit_choices_to={"level": Region.Level.COUNTY},
        verbose_name=_("所在县区"),
    )
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    sector = models.CharField(_("行业"), max_length=16, choices=Sector.choices, blank=True)
    is_risky = models.BooleanField(_("有一定危险性"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("校外培训机构")
        verbose_name_plural = _("校外培训机构")
        ordering = ["county_id", "name", "id"]

    def __str__(self) -> str:
        return self.name
