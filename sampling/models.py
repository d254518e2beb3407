"""Random sampling for city and province spot checks (双随机): draws, inspectors, 回避.

A draw keeps everything it was computed from (the frozen frame, the county-level units,
the inspector pool and declared conflicts, the seed and parameters), so it can be
recomputed and checked years later, whatever the registry has become since. Once
confirmed it is evidence: the application never edits it and, on PostgreSQL, a trigger
refuses any change but the one that marks it superseded by a redraw.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Department


class PoolMember(models.Model):
    """An inspector registered for a round's pool, from which teams are drawn."""

    round = models.ForeignKey(
        "inspections.Round", on_delete=models.CASCADE, related_name="pool", verbose_name=_("轮次")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("检查人员"),
    )  # fmt: skip
    department = models.CharField(_("部门"), max_length=32, choices=Department.choices)
    # Where the inspector works: nobody checks their own county at city or province level.
    home_region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("所在地区"),
    )  # fmt: skip
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检查人员库")
        verbose_name_plural = _("检查人员库")
        ordering = ["department", "user__username"]
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="unique_pool_member")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_department_display()}"


class Conflict(models.Model):
    """A declared conflict of interest (回避): this inspector is never drawn for this institution."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conflicts",
        verbose_name=_("检查人员"),
    )  # fmt: skip
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="conflicts",
        verbose_name=_("机构"),
    )  # fmt: skip
    reason = models.CharField(_("回避原因"), max_length=200)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("回避登记")
        verbose_name_plural = _("回避登记")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution"], name="unique_conflict")
        ]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.institution}"


class Draw(models.Model):
    class Status(models.TextChoices):
        PREVIEW = "preview", _("预览")
        DISCARDED = "discarded", _("已放弃")
        CONFIRMED = "confirmed", _("已确认")
        SUPERSEDED = "superseded", _("已重抽")

    round = models.ForeignKey(
        "inspections.Round", on_delete=models.PROTECT, related_name="draws",
        verbose_name=_("轮次"),
    )  # fmt: skip
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PREVIEW
    )
    algorithm = models.CharField(_("算法"), max_length=32)
    seed = models.CharField(_("随机种子"), max_length=64)
    params = models.JSONField(_("参数"), default=dict)
    # The frozen frame: [[institution id, county code, supervising department], …] ascending
    # by id, and its hash.
    frame = models.JSONField(_("抽样框"), default=list)
    frame_size = models.PositiveIntegerField(_("抽样框机构数"))
    frame_sha256 = models.CharField(max_length=64)
    county_units = models.JSONField(_("县级单位"), default=list)
    pool = models.JSONField(_("检查人员库快照"), default=list)
    conflicts = models.JSONField(_("回避快照"), default=list)
    required_counties = models.PositiveIntegerField(_("应抽县区数"), default=0)
    required_institutions = models.PositiveIntegerField(_("应抽机构数"))
    counties = models.JSONField(_("抽中县区"), default=list)
    institutions = models.JSONField(_("抽中机构"), default=list)
    allocation = models.JSONField(_("分配"), default=dict)
    teams = models.JSONField(_("检查组"), default=dict)
    shortages = models.JSONField(_("缺员"), default=dict)
    # Added on top of the random sample, each with its reason; never part of the random draw.
    must_include = models.JSONField(_("必查机构"), default=list)
    notes = models.JSONField(default=list)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="redraws",
        verbose_name=_("重抽自"),
    )  # fmt: skip
    redraw_reason = models.TextField(_("重抽原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("抽样人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("抽样时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("确认人"),
    )  # fmt: skip
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("重抽时间"), null=True, blank=True)

    # The frozen inputs never change after creation; copying megabytes of frame into every
    # history row would only repeat them.
    history = HistoricalRecords(excluded_fields=["frame", "county_units", "pool", "conflicts"])

    class Meta:
        verbose_name = _("抽样")
        verbose_name_plural = _("抽样")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(status="confirmed"),
                name="one_confirmed_draw_per_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} 抽样 #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("sampling:draw", args=[self.pk])


class Assignment(models.Model):
    """One institution the round must inspect, from a confirmed draw, with its team."""

    class Kind(models.TextChoices):
        RANDOM = "random", _("随机抽取")
        MUST = "must", _("必查")

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="assignments")
    round = models.ForeignKey(
        "inspections.Round", on_delete=models.PROTECT, related_name="assignments"
    )
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("机构"),
    )  # fmt: skip
    kind = models.CharField(_("来源"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("必查原因"), max_length=200, blank=True)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assignments", verbose_name=_("检查组")
    )
    is_active = models.BooleanField(_("有效"), default=True)

    # The team is the draw's (kept immutable in Draw.teams); history follows is_active.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("抽查任务")
        verbose_name_plural = _("抽查任务")
        ordering = ["institution__county_id", "institution__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "institution"], name="unique_assignment_per_draw"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.get_kind_display()}"
