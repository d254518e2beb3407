"""Staff of institutions, criminal-record checks with public security, and dismissals (§三).

A staff member's resident ID number is never stored in clear: `id_cipher` holds it
encrypted, `id_hash` a keyed hash for lookups (core/crypto.py). A person has one row
per institution they work for: someone may really work at two, and refusing a number
registered anywhere would tell any county officer whether a person works anywhere in the
province. Checks belong to the row; a vetting officer sees a person's other rows in scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import crypto


class Post(models.TextChoices):
    TEACHER = "teacher", _("教师")
    TUTOR = "tutor", _("助教、辅导人员")
    MANAGER = "manager", _("管理人员")
    ADMINISTRATIVE = "administrative", _("行政人员")
    SECURITY = "security", _("安保人员")
    CLEANER = "cleaner", _("保洁人员")
    DRIVER = "driver", _("驾驶员")
    COOK = "cook", _("炊事人员")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class StaffMemberQuerySet(models.QuerySet):
    def current(self, today=None):
        """Employed today: started (or no start given) and not yet left."""
        today = today or timezone.localdate()
        return self.employed_between(today, today)

    def employed_between(self, first, last):
        """Employed on some day from `first` to `last`: started by `last` (or no start
        given) and not left before `first`."""
        return self.filter(
            models.Q(employed_from__isnull=True) | models.Q(employed_from__lte=last),
            models.Q(employed_until__isnull=True) | models.Q(employed_until__gte=first),
        )


class StaffMember(models.Model):
    """Anyone working for an institution (从业人员)."""

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所在机构"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    # Encrypted resident ID number (a Fernet token) and its keyed hash; never in clear.
    id_cipher = models.TextField(_("身份证号（加密）"))
    id_hash = models.CharField(_("身份证号摘要"), max_length=64, db_index=True)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    post = models.CharField(_("岗位"), max_length=32, choices=Post.choices, blank=True)
    employed_from = models.DateField(_("入职日期"), null=True, blank=True)
    employed_until = models.DateField(_("离职日期"), null=True, blank=True)
    teacher_certificate = models.CharField(_("教师资格证号"), max_length=32, blank=True)
    platform_complete = models.BooleanField(_("平台信息是否完整"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # The token stays out of the history tables: rotation re-encrypts one table, and the
    # hash there already says whether the number changed.
    history = HistoricalRecords(excluded_fields=["id_cipher"])
    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("从业人员")
        verbose_name_plural = _("从业人员")
        ordering = ["institution_id", "name", "id"]
        indexes = [models.Index(fields=["institution", "employed_until"])]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "id_hash"], name="staff_one_record_per_institution"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("personnel:detail", args=[self.pk])

    def set_id_number(self, number: str) -> None:
        """Store an already validated number: encrypted, hashed, sex and birth date derived."""
        self.id_cipher = crypto.encrypt_id(number)
        self.id_hash = crypto.hash_id(number)
        self.sex = crypto.sex_of(number)
        self.birth_date = crypto.birth_date_of(number)

    def reveal_id_number(self) -> str:
        """The clear number. Call only through services.staff_reveal, which logs it."""
        return crypto.decrypt_id(self.id_cipher)

    @cached_property
    def id_masked(self) -> str:
        return crypto.mask_id(crypto.decrypt_id(self.id_cipher))

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return (self.employed_from is None or self.employed_from <= today) and (
            self.employed_until is None or self.employed_until >= today
        )

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Category(models.TextChoices):
    """Disqualifying offences of the notice (§三); a record outside them does not disqualify."""

    SEXUAL_ASSAULT = "sexual_assault", _("性侵害")
    ABUSE = "abuse", _("虐待")
    TRAFFICKING = "trafficking", _("拐卖")
    VIOLENT_INJURY = "violent_injury", _("暴力伤害")
    PORNOGRAPHY = "pornography", _("制作、贩卖、传播淫秽物品")
    PROSTITUTION = "prostitution", _("卖淫嫖娼")
    AFFRAY = "affray", _("聚众斗殴")
    DRUGS = "drugs", _("吸毒、贩毒")
    POLITICAL_RIGHTS = "political_rights", _("被剥夺政治权利")
    INTENTIONAL_CRIME = "intentional_crime", _("故意犯罪被判处有期徒刑以上刑罚")


class CheckBatch(models.Model):
    """One request to public security: a list of staff to be checked (犯罪记录查询批次)."""

    class Basis(models.TextChoices):
        INSTITUTION = "institution", _("按机构")
        REGION = "region", _("按地区")
        STALE = "stale", _("从未查询或查询已超期")

    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("机构"),
    )
    basis = models.CharField(_("范围"), max_length=16, choices=Basis.choices)
    stale_months = models.PositiveSmallIntegerField(_("超过几个月视为超期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("犯罪记录查询批次")
        verbose_name_plural = _("犯罪记录查询批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("personnel:batch", args=[self.pk])

    @property
    def number(self) -> str:
        return f"PC{self.pk:06d}"


class BackgroundCheck(models.Model):
    """One staff member's criminal-record check: the request, and the reply when it comes.

    Only what the decision needs is kept: when, by whom, the reply's reference number, the
    outcome and, if disqualifying, the category. Never the record itself.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待反馈")
        DONE = "done", _("已反馈")

    class Outcome(models.TextChoices):
        CLEAR = "clear", _("无犯罪记录")
        RECORD = "record", _("有犯罪记录")

    batch = models.ForeignKey(CheckBatch, on_delete=models.PROTECT, related_name="checks")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="checks")
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    checked_on = models.DateField(_("查询日期"), null=True, blank=True)
    checked_by = models.CharField(_("查询单位（人）"), max_length=100, blank=True)
    reference = models.CharField(_("查询编号"), max_length=64, blank=True)
    outcome = models.CharField(_("查询结果"), max_length=16, choices=Outcome.choices, blank=True)
    category = models.CharField(
        _("不得从业情形"), max_length=32, choices=Category.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
    )
    recorded_at = models.DateTimeField(_("录入时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("犯罪记录查询")
        verbose_name_plural = _("犯罪记录查询")
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "staff"], name="unique_check_per_batch"),
            models.CheckConstraint(
                condition=~models.Q(outcome="record") | ~models.Q(category=""),
                name="record_needs_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch.number} · {self.staff.name}"

    @property
    def number(self) -> str:
        """The request's number, which the reply quotes back (C000123)."""
        return f"C{self.pk:06d}"

    @property
    def disqualifying(self) -> bool:
        return self.outcome == self.Outcome.RECORD and bool(self.category)


class Dismissal(models.Model):
    """The task to dismiss a disqualified staff member (清退), with a deadline.

    Closed only with the employment end date and evidence (the termination notice).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("待清退")
        CLOSED = "closed", _("已清退")

    check_result = models.OneToOneField(
        BackgroundCheck, on_delete=models.PROTECT, related_name="dismissal"
    )
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="dismissals")
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="dismissals",
        verbose_name=_("机构"),
    )
    deadline = models.DateField(_("清退期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    employment_end = models.DateField(_("解除聘用日期"), null=True, blank=True)
    evidence = models.FileField(_("清退证明"), upload_to="dismissals/%Y/%m/", blank=True)
    evidence_name = models.CharField(_("证明文件名"), max_length=255, blank=True)
    note = models.TextField(_("说明"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办结人"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("清退任务")
        verbose_name_plural = _("清退任务")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.institution} · {self.staff}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.deadline < timezone.localdate()
