"""Models of this app: dashboards, ledgers, city summaries, public disclosure ([reporting])."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Department


class Publication(models.Model):
    """What of one campaign the province has made public (一公开), from when, until when.

    A row per act of publishing: withdrawing dates the row, publishing again makes a new
    one, so the record shows what was public at any time. At most one row per campaign is
    current (not withdrawn).
    """

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, related_name="publications",
        verbose_name=_("专项行动"),
    )  # fmt: skip
    show_draws = models.BooleanField(_("公开抽样结果"), default=True)
    show_violations = models.BooleanField(_("公开严重消防违法及停业整改"), default=True)
    show_figures = models.BooleanField(_("公开主要数据"), default=True)
    published_at = models.DateTimeField(_("公开时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("公开人"),
    )  # fmt: skip
    publish_reason = models.TextField(_("公开说明"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("撤回人"),
    )  # fmt: skip
    withdraw_reason = models.TextField(_("撤回原因"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("信息公开")
        verbose_name_plural = _("信息公开")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_current_publication_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} 公开 #{self.pk}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class CitySummary(models.Model):
    """One city's work summary (工作总结) to the province for one campaign.

    The narrative is edited here (with an optimistic `version`, so two writers never
    overwrite each other silently); the figures are computed from the data while it is a
    draft and frozen into a `SummarySubmission` each time it is submitted. Status moves
    draft → submitted → returned → submitted … → accepted, each step a `SummaryEvent`.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("编写中")
        SUBMITTED = "submitted", _("已报送")
        RETURNED = "returned", _("已退回修改")
        ACCEPTED = "accepted", _("已通过")

    # The narrative sections of an official 工作总结, in the order they are printed.
    SECTIONS = (
        ("organisation", _("工作组织开展情况")),
        ("experiences", _("典型经验做法")),
        ("problems", _("存在的问题")),
        ("next_steps", _("下一步工作打算")),
    )

    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, related_name="city_summaries",
        verbose_name=_("专项行动"),
    )  # fmt: skip
    city = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": "city"}, verbose_name=_("市"),
    )  # fmt: skip
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    organisation = models.TextField(_("工作组织开展情况"), blank=True)
    experiences = models.TextField(_("典型经验做法"), blank=True)
    problems = models.TextField(_("存在的问题"), blank=True)
    next_steps = models.TextField(_("下一步工作打算"), blank=True)
    issuer = models.CharField(_("落款单位"), max_length=100, blank=True)
    # Bumped by every save, compared under the row's lock: a stale form is refused, not applied.
    version = models.PositiveIntegerField(_("版本"), default=1)
    revision = models.PositiveSmallIntegerField(_("报送次数"), default=0)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("修改人"),
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("首次报送时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("审核人"),
    )  # fmt: skip
    review_comment = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("市级工作总结")
        verbose_name_plural = _("市级工作总结")
        ordering = ["campaign_id", "city_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "city"], name="one_summary_per_city"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.campaign} 工作总结"

    def get_absolute_url(self) -> str:
        return reverse("summaries:detail", args=[self.campaign_id, self.city_id])

    def narratives(self) -> dict[str, str]:
        return {name: getattr(self, name) for name, _label in self.SECTIONS}

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_frozen(self) -> bool:
        """Submitted or accepted: its documents and figures come from the last snapshot."""
        return self.status in (self.Status.SUBMITTED, self.Status.ACCEPTED)


class SummarySection(models.Model):
    """One other department's part of a city's work summary (消防、公安、体育、文旅、科技).

    The notice has the city's education bureau gather the departments' parts ("协调相关部门
    汇总梳理"): each department's city users write theirs here while the summary is a draft
    or returned, with its own optimistic `version` (the summary's row is locked around every
    write, so a part never lands after the summary was submitted); each submission freezes
    the parts as they stand (`SummarySubmission.sections`).
    """

    summary = models.ForeignKey(
        CitySummary, on_delete=models.PROTECT, related_name="sections",
        verbose_name=_("工作总结"),
    )  # fmt: skip
    department = models.CharField(_("部门"), max_length=32, choices=Department.choices)
    text = models.TextField(_("本部门工作情况"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("修改人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("工作总结部门内容")
        verbose_name_plural = _("工作总结部门内容")
        ordering = ["summary_id", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "department"], name="one_section_per_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary} {self.get_department_display()}"


class WrittenOnceQuerySet(models.QuerySet):
    """Rows that are their own history (no HistoricalRecords): a bulk update would rewrite
    the record of what happened, so there is none."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model._meta.verbose_name}不能修改")


class WrittenOnce(models.Model):
    """Created once, never saved again: `save()` on a stored row is a programming error."""

    objects = WrittenOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name}不能修改")
        super().save(*args, **kwargs)


class SummarySubmission(WrittenOnce):
    """What a city submitted, frozen: the figures as computed at that moment and the text.

    Never changed after it is written; a later edit of the data or of the draft leaves it
    as it was, so the province reads exactly what the city sent.
    """

    summary = models.ForeignKey(
        CitySummary, on_delete=models.PROTECT, related_name="submissions",
        verbose_name=_("工作总结"),
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(_("第几次报送"))
    figures = models.JSONField(_("数据快照"))
    narratives = models.JSONField(_("报送内容"))
    issuer = models.CharField(_("落款单位"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("报送时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("报送人"),
    )  # fmt: skip
    late = models.BooleanField(_("逾期报送"), default=False)
    # The other departments' parts as they stood (`SummarySection`): [{"department": "fire",
    # "text": …, "author": …, "updated_at": …}], in the notice's order; codes, not names, so
    # the page names each department in the reader's language.
    sections = models.JSONField(_("各部门内容"), default=list, blank=True)

    class Meta:
        verbose_name = _("工作总结报送记录")
        verbose_name_plural = _("工作总结报送记录")
        ordering = ["summary_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["summary", "number"], name="unique_submission_number"),
        ]

    def __str__(self) -> str:
        return f"{self.summary} #{self.number}"


class SummaryEvent(WrittenOnce):
    """One step of a summary's life: who, when, what, with what comment."""

    class Kind(models.TextChoices):
        CREATED = "created", _("开始编写")
        SAVED = "saved", _("保存")
        SUBMITTED = "submitted", _("报送")
        RETURNED = "returned", _("退回修改")
        ACCEPTED = "accepted", _("审核通过")
        SECTION = "section", _("保存部门内容")

    summary = models.ForeignKey(
        CitySummary, on_delete=models.CASCADE, related_name="events", verbose_name=_("工作总结")
    )
    kind = models.CharField(_("操作"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("操作人"),
    )  # fmt: skip
    at = models.DateTimeField(_("时间"))
    revision = models.PositiveSmallIntegerField(_("报送次数"), default=0)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("工作总结记录")
        verbose_name_plural = _("工作总结记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.summary} {self.get_kind_display()}"
