"""Complaints and tips (§四) and their referrals to public security.

A `Case` is one complaint or tip, from the public form, an officer (a call, a letter, an
online patrol) or an imported sheet. The reporter's contact is encrypted at rest and only a
masked copy is ever listed. A suspected offence against a minor is a case whose details only
its assigned officers, the police (once referred) and the auditor see (complaints/access.py).
A `Referral` records what was handed to which police unit, when and by whom, and the unit's
acknowledgement and feedback.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Category(models.TextChoices):
    SAFETY = "safety_hazard", _("安全隐患")
    MINOR_OFFENCE = "minor_offence", _("疑似侵害未成年人（虐待、性侵害等）")
    FEES = "fees", _("收费、退费")
    ADVERTISING = "false_advertising", _("虚假宣传")
    UNLICENSED = "unlicensed", _("无证无照培训")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    WEB = "web", _("网上投诉")
    PHONE = "phone", _("电话")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    PATROL = "patrol", _("网络巡查")
    HOTLINE = "hotline", _("12345 热线转办")
    OTHER = "other", _("其他")


# Channels an officer enters by hand (the web form is the public's own door).
OFFICER_CHANNELS = [c for c in Channel.choices if c[0] != Channel.WEB]


class CategoryRule(models.Model):
    """How fast each category must be handled (complaints/rules.py): one row per category
    seeded for every province (province empty), and a province's own rows once its campaign
    managers change them on the rules page."""

    category = models.CharField(_("类别"), max_length=32, choices=Category.choices)
    # No database constraint: the rules are the system's own settings, kept when the region
    # table is reloaded (generate_scale_data truncates it, CASCADE reaching every table with
    # a foreign key to it); a province's code never changes.
    province = models.ForeignKey(
        "core.Region",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("省份"),
    )
    response_hours = models.PositiveIntegerField(_("处置时限（小时）"))
    referral_ack_hours = models.PositiveIntegerField(_("公安回执时限（小时）"), default=24)
    referral_feedback_days = models.PositiveIntegerField(_("公安反馈时限（天）"), default=15)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉处置时限")
        verbose_name_plural = _("投诉处置时限")
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "province"], name="complaint_rule_per_province"
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(province__isnull=True),
                name="complaint_rule_common",
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.province_id} " if self.province_id else ""
        return f"{where}{self.get_category_display()}：{self.response_hours}h"


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("待分办")
        ASSIGNED = "assigned", _("办理中")
        REFERRED = "referred", _("已移送公安")
        CLOSED = "closed", _("已办结")

    tracking_digest = models.CharField(max_length=64, unique=True)
    # A case number officers can quote (T + year + sequence); the tracking code is secret.
    number = models.CharField(_("编号"), max_length=32, unique=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices)
    county = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所在县（市、区）"),
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("机构"),
    )
    institution_name = models.CharField(_("机构名称（未登记）"), max_length=200, blank=True)
    description = models.TextField(_("反映内容"))
    # The reporter's name and phone, encrypted together; only the masked copy is listed.
    contact_token = models.TextField(blank=True)
    contact_masked = models.CharField(_("联系方式（已隐藏）"), max_length=64, blank=True)
    external_ref = models.CharField(_("来源编号"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    received_at = models.DateTimeField(_("收到时间"), default=timezone.now)
    deadline = models.DateTimeField(_("处置期限"))
    campaign = models.ForeignKey(
        "campaign.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("专项行动"),
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("承办人")
    )
    inspection = models.ForeignKey(
        "inspections.Inspection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("关联检查"),
    )
    task = models.ForeignKey(
        "inspections.RectificationTask",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("关联整改任务"),
    )
    result = models.TextField(_("办理结果"), blank=True)
    # A suspected offence against a minor is closed only after a referral to the police or a
    # reviewed decision not to refer (§四: clues go to public security promptly). The handling
    # officer proposes the reason; an education officer above them reviews it (access.py).
    no_referral_reason = models.TextField(_("不移送公安的理由"), blank=True)
    no_referral_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("不移送提出人"),
    )
    no_referral_proposed_at = models.DateTimeField(_("不移送提出时间"), null=True, blank=True)
    no_referral_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("不移送审核人"),
    )
    no_referral_reviewed_at = models.DateTimeField(_("不移送审核时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("办结人"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["contact_token", "tracking_digest"])

    class Meta:
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~models.Q(external_ref=""),
                name="unique_complaint_external_ref",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("complaints:detail", args=[self.pk])

    @property
    def is_minor_offence(self) -> bool:
        return self.category == Category.MINOR_OFFENCE

    @property
    def no_referral_approved(self) -> bool:
        return self.no_referral_reviewed_at is not None

    @property
    def no_referral_pending(self) -> bool:
        return self.no_referral_proposed_at is not None and self.no_referral_reviewed_at is None

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED

    def overdue_at(self, now: dt.datetime) -> bool:
        return self.is_open and self.status != self.Status.REFERRED and self.deadline < now

    @property
    def institution_label(self) -> str:
        return self.institution.name if self.institution_id else self.institution_name


def attachment_path(instance, filename: str) -> str:
    # Outside any public URL: files are served only through the scoped view.
    return f"complaints/{instance.sha256[:2]}/{instance.sha256[:16]}.{instance.kind}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        JPG = "jpg", "JPEG"
        PDF = "pdf", "PDF"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """A case handed to a public security unit, with the unit's receipt and feedback."""

    class Outcome(models.TextChoices):
        FILED = "filed", _("已立案侦查")
        NOT_FILED = "not_filed", _("不予立案")
        NO_EVIDENCE = "no_evidence", _("查无实据")
        ADMINISTRATIVE = "administrative", _("治安处罚")
        TRANSFERRED = "transferred", _("移交其他部门")
        OTHER = "other", _("其他")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    police_unit = models.CharField(_("接收单位"), max_length=200)
    materials = models.TextField(_("移送材料"))
    sent_at = models.DateTimeField(_("移送时间"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("移送人"),
    )
    ack_due = models.DateTimeField(_("回执期限"))
    feedback_due = models.DateTimeField(_("反馈期限"))
    acknowledged_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("回执登记人"),
    )
    police_case_number = models.CharField(_("公安受案编号"), max_length=64, blank=True)
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("反馈登记人"),
    )
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices, blank=True)
    feedback = models.TextField(_("反馈内容"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("移送公安")
        verbose_name_plural = _("移送公安")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.police_unit}"

    @property
    def stage(self) -> str:
        if self.feedback_at:
            return "fed_back"
        if self.acknowledged_at:
            return "acknowledged"
        return "sent"

    def overdue_at(self, now: dt.datetime) -> str:
        """'' when on time; else which step is late ("ack" or "feedback")."""
        if self.feedback_at:
            return ""
        if not self.acknowledged_at and self.ack_due < now:
            return "ack"
        if self.feedback_due < now:
            return "feedback"
        return ""
