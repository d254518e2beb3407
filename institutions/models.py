import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum.cn import uscc

from accounts.roles import SECTOR_BY_DEPARTMENT, Department, Sector
from core.models import Region


def normalize_credit_code(value: str) -> str:
    """The code as stored: half-width, upper-case, without spaces.

    Codes arrive typed on phones with a Chinese IME (full-width ＡＢ１２, ideographic
    spaces) or copied from licences with spaces between groups; NFKC folds the
    full-width forms, so the same code always matches the unique index.
    """
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def validate_credit_code(value: str) -> None:
    if not uscc.is_valid(value):
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效（长度、字符或校验位不正确）"),
            params={"value": value},
            code="invalid_uscc",
        )


class Institution(models.Model):
    """An off-campus training institution (校外培训机构), one row of the register."""

    class Category(models.TextChoices):
        SUBJECT = "subject", _("学科类")
        NON_SUBJECT = "non_subject", _("非学科类")

    class Status(models.TextChoices):
        OPERATING = "operating", _("正常")
        SUSPENDED = "suspended", _("停业")
        CLOSED = "closed", _("注销")

    class Mode(models.TextChoices):
        OFFLINE = "offline", _("线下")
        ONLINE = "online", _("线上")

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
    permit_number = models.CharField(_("办学许可证号"), max_length=64, blank=True, db_index=True)
    mode = models.CharField(
        _("线上/线下"), max_length=16, choices=Mode.choices, default=Mode.OFFLINE
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=64, blank=True)
    floor_area = models.DecimalField(
        _("面积（平方米）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    capacity = models.PositiveIntegerField(_("可容纳学生数"), null=True, blank=True)
    status = models.CharField(
        _("经营状态"),
        max_length=16,
        choices=Status.choices,
        default=Status.OPERATING,
        db_index=True,
    )
    platform_number = models.CharField(_("全国平台编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("校外培训机构")
        verbose_name_plural = _("校外培训机构")
        ordering = ["county_id", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("institutions:detail", args=[self.pk])

    @property
    def supervising_department(self) -> str:
        return supervising_department_for(self.category, self.sector)


_DEPARTMENT_BY_SECTOR = {sector: department for department, sector in SECTOR_BY_DEPARTMENT.items()}


def supervising_department_for(category: str, sector: str) -> str:
    """Education for subject-type training; the sector's own department otherwise."""
    if category == Institution.Category.SUBJECT:
        return Department.EDUCATION
    return _DEPARTMENT_BY_SECTOR.get(sector, Department.EDUCATION)


class Site(models.Model):
    """One training premises (培训场所) of an institution, with its own address."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="sites", verbose_name=_("机构")
    )
    name = models.CharField(_("场所名称"), max_length=200)
    address = models.CharField(_("地址"), max_length=255)
    floor_area = models.DecimalField(
        _("面积（平方米）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("培训场所")
        verbose_name_plural = _("培训场所")
        ordering = ["institution_id", "id"]

    def __str__(self) -> str:
        return self.name


class InstitutionAccount(models.Model):
    """An institution's own sign-in (机构账号): one user, acting for exactly this institution.

    Its county opens it (institutions/accounts.py); the user holds the `institution` role on
    the institution's county, so the county's and city's admins see it in 账号管理, and
    `accounts.scope.Scope.own_institution` reads this row to know which institution it is.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="institution_account",
        verbose_name=_("账号"),
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("机构")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("开通人"),
    )
    created_at = models.DateTimeField(_("开通时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("机构账号")
        verbose_name_plural = _("机构账号")
        ordering = ["institution_id", "id"]

    def __str__(self) -> str:
        return f"{self.institution} · {self.user.username}"


class AccountBatch(models.Model):
    """批量开通机构账号: one account for every operating institution of a county that has
    none, opened by a worker (hashing a password takes about half a second), its one-time
    passwords sealed on the row until its requester downloads the sheet once (24 hours at
    most; institutions/account_batches.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("开通中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    county = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("县（市、区）")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("发起人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default="queued")
    opened = models.PositiveIntegerField(_("已开通"), default=0)
    skipped = models.PositiveIntegerField(_("未开通"), default=0)
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # When the worker last reported progress: a batch silent for long was interrupted.
    touched_at = models.DateTimeField(_("最后进展"), null=True, blank=True)
    # The sheet's rows, Fernet-encrypted (core/crypto.py); wiped by the one download or after
    # 24 hours by the hourly purge. Never in any history.
    sheet = models.TextField(blank=True)
    sheet_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("批量开通机构账号")
        verbose_name_plural = _("批量开通机构账号")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return _("%(county)s 批量开通机构账号") % {"county": self.county}
