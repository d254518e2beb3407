"""自查自评: an institution's own check against the campaign's checklist (the notice §三(二):
every institution inspects itself against the nine fire rules and fixes what it finds,
before the county screens it).

One `SelfInspection` per institution and campaign, filled on the phone by the institution's
own account (autosave, photos), submitted once; what it corrects afterwards is kept as a
`SelfAmendment`. Each answer it gives as 不合规 is an item of its own rectification list
(自查整改): a date it sets, and 已整改 with a note when done. Officials read it, never
write it: the county's screening form shows the self-answer beside each item.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SelfInspection(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("已提交")

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, related_name="self_inspections"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="self_inspections",
        verbose_name=_("机构"),
    )
    checklist = models.ForeignKey(
        "campaign.ChecklistTemplate",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("检查表"),
    )
    has_dormitory = models.BooleanField(_("设有宿舍"), default=False)
    has_kitchen = models.BooleanField(_("设有厨房"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("自查情况说明"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    updated_at = models.DateTimeField(_("最后保存时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Optimistic lock, as the inspection form's: two phones of one institution saving at
    # once must not overwrite each other silently.
    version = models.PositiveIntegerField(_("版本"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("机构自查")
        verbose_name_plural = _("机构自查")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "institution"], name="one_self_inspection_per_campaign"
            )
        ]
        indexes = [models.Index(fields=["institution", "status"])]

    def __str__(self) -> str:
        return _("%(name)s 的自查") % {"name": self.institution}


class SelfAnswer(models.Model):
    class Value(models.TextChoices):
        COMPLIANT = "compliant", _("合规")
        NON_COMPLIANT = "non_compliant", _("不合规")
        NA = "na", _("不适用")

    self_inspection = models.ForeignKey(
        SelfInspection, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey("campaign.ChecklistItem", on_delete=models.PROTECT, related_name="+")
    value = models.CharField(_("自查结果"), max_length=16, choices=Value.choices, blank=True)
    number = models.DecimalField(_("数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    text = models.TextField(_("文字"), blank=True)
    note = models.TextField(_("问题描述"), blank=True)
    answered_at = models.DateTimeField(_("填写时间"), null=True, blank=True)
    # The answer as submitted: what the boards compare with the officials' findings; a later
    # correction (SelfAmendment) changes `value` only.
    submitted_value = models.CharField(
        _("提交时的自查结果"), max_length=16, choices=Value.choices, blank=True
    )
    # The self-rectification (自查整改) of a 不合规 answer: the institution's own date, and
    # its word that it is done. Only meaningful once the self-inspection is submitted.
    fix_by = models.DateField(_("计划整改完成日期"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    fix_note = models.TextField(_("整改情况"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("自查答案")
        verbose_name_plural = _("自查答案")
        constraints = [
            models.UniqueConstraint(
                fields=["self_inspection", "item"], name="one_self_answer_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.get_value_display()}"


def self_photo_path(instance, filename: str) -> str:
    return f"selfcheck/{instance.answer.self_inspection_id}/{filename}"


class SelfPhoto(models.Model):
    """A photo of a self-answer: a clean re-encoded copy (core.photos.photo_clean), served
    only through the scoped views."""

    answer = models.ForeignKey(SelfAnswer, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=self_photo_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("自查照片")
        verbose_name_plural = _("自查照片")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "sha256"], name="unique_self_photo")
        ]

    def __str__(self) -> str:
        return self.image.name


class SelfAmendment(models.Model):
    """A correction the institution made after submitting: what changed, and why."""

    self_inspection = models.ForeignKey(
        SelfInspection, on_delete=models.PROTECT, related_name="amendments"
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("更正时间"), auto_now_add=True)
    reason = models.TextField(_("更正原因"))
    changes = models.JSONField(_("更正内容"), default=list)

    class Meta:
        verbose_name = _("自查更正")
        verbose_name_plural = _("自查更正")
        ordering = ["made_at", "pk"]

    def __str__(self) -> str:
        return f"{self.self_inspection} {self.made_at:%Y-%m-%d}"
