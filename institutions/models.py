import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum.cn import uscc

from accounts.roles import SECTOR_BY_DEPARTMENT, Department, Sector


def province_of(code: str) -> str:
    """The code of the province a region lies in: 140105 → 140000."""
    return code[:2] + "0000"


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


class ImportRun(models.Model):
    """One spreadsheet import: who, when, which file, what it would do and what it did.

    The uploaded file is kept (outside the public media path) so a large file can be
    previewed and then written by a background worker, and so the run stays evidence.
    """

    class Kind(models.TextChoices):
        INSTITUTIONS = "institutions", _("培训机构")
        # Other registers plug their importers into tabular.runs.IMPORTERS from their AppConfig.
        STAFF = "staff", _("从业人员")
        CHECK_RESULTS = "check_results", _("犯罪记录查询结果")
        FEES = "fees", _("收费记录")
        COMPLAINTS = "complaints", _("投诉举报")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待处理")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("待确认")
        WRITING = "writing", _("写入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("导入失败")

    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # When a worker took the run; a run still "checking" long after is taken again (the
    # worker died and Celery redelivered the task).
    claimed_at = models.DateTimeField(_("开始处理时间"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    error_count = models.PositiveIntegerField(_("错误行"), default=0)
    # {"errors": [{"row", "column", "reason"}...], "creates": [...], "updates": [...]}
    report = models.JSONField(_("检查结果"), default=dict, blank=True)
    message = models.TextField(_("说明"), blank=True)

    history = HistoricalRecords(excluded_fields=["processed_rows", "report"])

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.CHECKING, self.Status.WRITING}


class ExportRun(models.Model):
    """One ledger exported in the background: who asked, which ledger, with what filters.

    The rows are scoped again from the user's grants when the run starts, never from what
    they could see when they asked. The file is kept for `KEEP` and then purged with the
    row (institutions/tabular/export_runs.py); it is served only to its owner.
    """

    KEEP = dt.timedelta(days=7)

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导出失败")

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("导出人")
    )
    ledger = models.CharField(_("台账"), max_length=32)
    # The query string as given (region, period, sector, status, format ...).
    query = models.TextField(_("筛选条件"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    # When a worker took the run; a run still "running" long after is taken again.
    claimed_at = models.DateTimeField(_("开始导出时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("保留至"), db_index=True)
    rows_written = models.PositiveIntegerField(_("已写入行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="export_run_owner")]

    def __str__(self) -> str:
        return f"{self.ledger} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
