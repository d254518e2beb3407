"""Inspection rounds, on-site inspections and their answers and photos, and the problems
they find through to verified rectification (问题清单 → 整改 → 复查销号).

A submitted inspection is evidence: it is never edited in place. A correction is an
Amendment (who, when, why, what changed), and every model keeps its history.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Department, Section


class Round(models.Model):
    """One level's inspection work in one region: a county's screening, a city's spot checks."""

    class Level(models.TextChoices):
        COUNTY = "county", _("县级排查")
        CITY = "city", _("市级抽查")
        PROVINCE = "province", _("省级督导检查")

    campaign = models.ForeignKey(
        "campaign.Campaign",
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("专项行动"),
    )
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("地区"),
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检查轮次")
        verbose_name_plural = _("检查轮次")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "level", "region"], name="unique_round")
        ]

    def __str__(self) -> str:
        return f"{self.region.name}{self.get_level_display()}"


class Inspection(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("已提交")

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("合格")
        RECTIFY = "rectify", _("限期整改")
        SUSPEND = "suspend", _("停业整改")

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("轮次")
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("机构"),
    )
    site = models.ForeignKey(
        "institutions.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="inspections",
        verbose_name=_("培训场所"),
    )  # fmt: skip
    # The version used stays with the record: a later template never changes it.
    checklist = models.ForeignKey(
        "campaign.ChecklistTemplate",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("检查表"),
    )
    has_dormitory = models.BooleanField(_("设有宿舍"), default=False)
    has_kitchen = models.BooleanField(_("设有厨房"), default=False)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspections", verbose_name=_("检查人员")
    )
    departments = models.JSONField(_("参加部门"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    result = models.CharField(_("检查结论"), max_length=16, choices=Result.choices, blank=True)
    rectify_deadline = models.DateField(_("整改期限"), null=True, blank=True)
    summary = models.TextField(_("检查意见"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("填写人"),
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("最后保存时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("最后保存人"),
    )  # fmt: skip
    # Optimistic lock: a save names the version it started from; a stale one is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)

    history = HistoricalRecords(m2m_fields=[inspectors])

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.institution} · {self.round}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:detail", args=[self.pk])


class Answer(models.Model):
    class Value(models.TextChoices):
        COMPLIANT = "compliant", _("合规")
        NON_COMPLIANT = "non_compliant", _("不合规")
        NOT_APPLICABLE = "na", _("不适用")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey("campaign.ChecklistItem", on_delete=models.PROTECT, related_name="+")
    value = models.CharField(_("结果"), max_length=16, choices=Value.choices, blank=True)
    number = models.DecimalField(_("数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    text = models.TextField(_("文字"), blank=True)
    note = models.TextField(_("问题描述"), blank=True)
    answered_at = models.DateTimeField(_("填写时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="unique_answer")]

    def __str__(self) -> str:
        return f"{self.item.code} {self.get_value_display()}"


def evidence_path(instance, filename: str) -> str:
    return f"evidence/{instance.answer.inspection_id}/{instance.sha256[:16]}.jpg"


class Evidence(models.Model):
    """A photo taken on site. Served only through a scoped view, never from a public URL."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=evidence_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("照片证据")
        verbose_name_plural = _("照片证据")
        constraints = [
            models.UniqueConstraint(fields=["answer", "sha256"], name="unique_evidence_per_answer")
        ]

    def __str__(self) -> str:
        return f"照片 {self.sha256[:8]}"


class Amendment(models.Model):
    """A correction to a submitted inspection: who, when, why and what changed."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="amendments")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("更正时间"), auto_now_add=True)
    reason = models.TextField(_("更正原因"))
    changes = models.JSONField(_("更正内容"), default=list)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("更正记录")
        verbose_name_plural = _("更正记录")
        ordering = ["made_at", "id"]

    def __str__(self) -> str:
        return f"更正 {self.made_at:%Y-%m-%d %H:%M}"


class RectificationTask(models.Model):
    """The task to fix one inspection's problems that fall to one department (整改)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="tasks")
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="rectification_tasks"
    )
    department = models.CharField(_("责任部门"), max_length=32, choices=Department.choices)
    deadline = models.DateField(_("整改期限"))
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.institution} · {self.get_department_display()} · {self.deadline}"


class Finding(models.Model):
    """One non-compliant answer: a line of the problem list, closed on its own by re-inspection."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        REPORTED = "reported", _("已报整改")
        CLOSED = "closed", _("已复查销号")
        # The answer was corrected away from non-compliant by an amendment: not a problem
        # that was fixed, a problem that was never one. Kept, with the amendment that said so.
        WITHDRAWN = "withdrawn", _("已撤销")

    # Statuses that need nothing more: neither overdue nor keeping a task open.
    DONE = (Status.CLOSED, Status.WITHDRAWN)

    task = models.ForeignKey(RectificationTask, on_delete=models.PROTECT, related_name="findings")
    answer = models.OneToOneField(Answer, on_delete=models.PROTECT, related_name="finding")
    item = models.ForeignKey("campaign.ChecklistItem", on_delete=models.PROTECT, related_name="+")
    section = models.CharField(_("板块"), max_length=1, choices=Section.choices)
    severity = models.CharField(_("严重程度"), max_length=16)
    description = models.TextField(_("问题描述"))
    requirement = models.TextField(_("整改要求"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    reported_at = models.DateTimeField(_("报整改时间"), null=True, blank=True)
    report_note = models.TextField(_("整改情况"), blank=True)
    verified_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    # Who reported it fixed: the officer recording what the institution said, or the
    # institution itself through its own account (整改回执, inspections/receipts.py).
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("报整改人"),
    )  # fmt: skip
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verify_note = models.TextField(_("复查意见"), blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    # Set when a re-inspection sends the problem back: the new date replaces the task's.
    deadline = models.DateField(_("重新限定的整改期限"), null=True, blank=True)
    # Why the effective deadline runs past the county phase's end (排查整改 by 30 Nov): the
    # county must say so in writing, and the city reads it on the problem.
    deadline_reason = models.TextField(_("整改期限晚于县级排查整改截止日期的理由"), blank=True)
    withdrawn_by = models.ForeignKey(
        Amendment, on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawn_findings",
        verbose_name=_("撤销依据的更正"),
    )  # fmt: skip

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        ordering = ["task__deadline", "id"]

    def __str__(self) -> str:
        return f"{self.item.code} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:finding", args=[self.pk])

    @property
    def measured(self) -> str:
        """A measured item's value against its limit, as corrected ("实测 1.5 平方米/人，
        规定不少于 3 平方米/人"); empty for the yes/no items."""
        return self.item.measured_text(self.answer.number) if self.item.has_limit else ""

    @property
    def effective_deadline(self):
        """The date this problem is due: its own (after a send-back) or its task's."""
        return self.deadline or self.task.deadline

    def overdue_on(self, today) -> bool:
        return self.status not in self.DONE and self.effective_deadline < today


def receipt_photo_path(instance, filename: str) -> str:
    return f"receipts/{instance.finding_id}/{instance.sha256[:16]}.jpg"


class ReceiptPhoto(models.Model):
    """A photo an institution sends with its rectification receipt (整改回执) to show a problem
    fixed. A clean re-encoded copy (core.photos.photo_clean), served only through
    scoped views: to the institution itself and to the officials who may see the problem."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="receipt_photos")
    image = models.FileField(_("照片"), upload_to=receipt_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("整改回执照片")
        verbose_name_plural = _("整改回执照片")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "sha256"], name="unique_receipt_photo")
        ]

    def __str__(self) -> str:
        return f"回执照片 {self.sha256[:8]}"
