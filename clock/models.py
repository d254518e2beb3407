"""What the campaign clock leaves behind: overdue and quota flags on regions, the claims that
make every job idempotent, the log of runs, and each campaign's reminder days.

A flag is open while its `cleared_at` is empty; a partial unique index allows one open flag
per (phase, region), so two runs at once cannot both raise it. A later run clears it when
the work is done; if the region falls behind again, a new flag (a new row) is raised.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

DEFAULT_REMINDER_DAYS = [3, 1]
DEFAULT_QUOTA_WATCH_DAYS = 7


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


class CampaignClock(models.Model):
    """When a campaign's reminders go out: days before each deadline (campaign data).

    A campaign without a row uses the defaults (3 days and 1 day before; quota watch from
    7 days before the spot-check and supervision deadlines).
    """

    campaign = models.OneToOneField(
        "campaign.Campaign", on_delete=models.CASCADE, related_name="clock",
        verbose_name=_("专项行动"),
    )  # fmt: skip
    reminder_days = models.JSONField(
        _("截止前几天提醒"), default=default_reminder_days, help_text=_("例如 [3, 1]")
    )
    quota_watch_days = models.PositiveSmallIntegerField(
        _("截止前几天起检查抽查数量"), default=DEFAULT_QUOTA_WATCH_DAYS
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")

    def __str__(self) -> str:
        return str(self.campaign)

    def clean(self):
        days = self.reminder_days
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 60 for d in days
        ):
            raise ValidationError({"reminder_days": _("提醒天数应为 1 到 60 之间的整数列表")})
        self.reminder_days = sorted(set(days), reverse=True)


class RegionFlag(models.Model):
    """Shared fields of the flags a job raises on a region for one phase of a campaign."""

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("专项行动")
    )
    phase = models.ForeignKey(
        "campaign.Phase", on_delete=models.CASCADE, related_name="+", verbose_name=_("阶段")
    )
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    deadline = models.DateField(_("截止日期"))
    since = models.DateTimeField(_("标记时间"))
    # What was missing when the flag was raised; the dashboards show today's figures.
    missing = models.CharField(_("未完成情况"), max_length=300)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-since", "region_id"]

    def __str__(self) -> str:
        return self.missing

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class RegionOverdue(RegionFlag):
    """A region that missed a phase's deadline; it stays until the work is done."""

    history = HistoricalRecords()

    class Meta(RegionFlag.Meta):
        verbose_name = _("逾期地区")
        verbose_name_plural = _("逾期地区")
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "region"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_overdue_per_phase_region",
            )
        ]


class QuotaFlag(RegionFlag):
    """A city or province sample below its quota as the deadline nears; cleared when met."""

    history = HistoricalRecords()

    class Meta(RegionFlag.Meta):
        verbose_name = _("抽查数量预警")
        verbose_name_plural = _("抽查数量预警")
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "region"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_quota_flag_per_phase_region",
            )
        ]


class Claim(models.Model):
    """One reminder or escalation, claimed by its key before it is sent.

    The key is unique: a second run, a redelivered task or a concurrent beat inserting the
    same key waits for the first and then fails, so the message goes out once. Written once
    and never changed, so it keeps no history (like the audit log).
    """

    class Job(models.TextChoices):
        REMINDER = "reminder", _("截止提醒")
        ESCALATION = "escalation", _("逾期上报")

    key = models.CharField(max_length=200, unique=True)
    job = models.CharField(_("任务"), max_length=16, choices=Job.choices)
    campaign = models.ForeignKey("campaign.Campaign", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    task = models.ForeignKey(
        "inspections.RectificationTask", on_delete=models.CASCADE, related_name="escalations",
        null=True, blank=True,
    )  # fmt: skip
    # Escalations: who it went up to ("county", "city", "province").
    level = models.CharField(_("层级"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定时任务记录")
        verbose_name_plural = _("定时任务记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class JobRun(models.Model):
    """One run of a campaign's jobs and what it newly did: the dashboards say how fresh."""

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("专项行动")
    )
    moment = models.DateTimeField(_("运行时刻"))
    finished_at = models.DateTimeField(_("完成时间"), auto_now_add=True)
    reminders = models.PositiveIntegerField(_("提醒"), default=0)
    overdue = models.PositiveIntegerField(_("逾期"), default=0)
    escalations = models.PositiveIntegerField(_("上报"), default=0)
    quota_flags = models.PositiveIntegerField(_("抽查数量预警"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("定时任务运行")
        verbose_name_plural = _("定时任务运行")
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.moment:%Y-%m-%d %H:%M}"
