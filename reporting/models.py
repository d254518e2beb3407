"""Models of this app: dashboards, ledgers, city summaries, public disclosure ([reporting])."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
