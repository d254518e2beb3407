"""What was done about a serious violation (查处问责): one row per action an officer took.

The notice asks that serious fire-safety violations be "依法依规严肃处理，及时向社会公布"
(§三(二)) and that an institution which did not check all its staff, or did not act on a
finding, be held accountable (§三(三)). An action names what triggered it (a major hazard
found by an inspection, a suspension ordered by one, the vetting accountability flags),
who took it, when, under which document number, and for a fine how much. A case may need
several actions (约谈, then 责令整改, then 罚款): each is its own row on the same trigger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Department, Section


class EnforcementAction(models.Model):
    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("约谈")
        ORDER = "order", _("责令整改")
        SUSPENSION = "suspension", _("停业整顿")
        FINE = "fine", _("罚款")
        REFERRAL = "referral", _("移送")
        ACCOUNTABILITY = "accountability", _("问责")

    class Trigger(models.TextChoices):
        FINDING = "finding", _("检查发现重大隐患")
        SUSPENSION = "suspension", _("检查结论为停业整改")
        PERSONNEL = "personnel", _("从业人员管理问责情形")

    institution = models.ForeignKey(
        "institutions.Institution",
        on_delete=models.PROTECT,
        related_name="enforcement_actions",
        verbose_name=_("机构"),
    )
    # The campaign the trigger belongs to (or the province's active one for a vetting flag):
    # what the city summary and the disclosure page count it under.
    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("专项行动"),
    )  # fmt: skip
    trigger = models.CharField(_("处理依据"), max_length=16, choices=Trigger.choices)
    finding = models.ForeignKey(
        "inspections.Finding", on_delete=models.PROTECT, null=True, blank=True,
        related_name="enforcement_actions", verbose_name=_("问题"),
    )  # fmt: skip
    inspection = models.ForeignKey(
        "inspections.Inspection", on_delete=models.PROTECT, null=True, blank=True,
        related_name="enforcement_actions", verbose_name=_("检查记录"),
    )  # fmt: skip
    # The checklist section the trigger lies in ("" for a suspension): decides who may read
    # a vetting action (§三 owners only) and which actions the public page lists (§二).
    section = models.CharField(_("板块"), max_length=1, choices=Section.choices, blank=True)
    # The violation in words as it stood when the action was recorded: the finding's item,
    # the suspension, or the accountability reasons. Never a person's name.
    basis = models.CharField(_("违法违规情形"), max_length=300)
    kind = models.CharField(_("处理措施"), max_length=16, choices=Kind.choices)
    department = models.CharField(_("处理部门"), max_length=32, choices=Department.choices)
    taken_on = models.DateField(_("处理日期"))
    document_number = models.CharField(_("文书编号"), max_length=64, blank=True)
    amount = models.DecimalField(
        _("罚款金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("登记人"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # A record published in error is withdrawn, never deleted: it stays (struck through) with
    # who withdrew it, when and why; the counts and the public page leave it out.
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("撤销人"),
    )  # fmt: skip
    withdrawn_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("处理措施")
        verbose_name_plural = _("处理措施")
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["institution", "taken_on"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="fine") & models.Q(amount__gt=0))
                | (~models.Q(kind="fine") & models.Q(amount__isnull=True)),
                name="enforcement_amount_only_for_fines",
            ),
            # A document is one decision: the same number twice is a double entry.
            models.UniqueConstraint(
                fields=["institution", "kind", "document_number"],
                condition=~models.Q(document_number=""),
                name="enforcement_one_row_per_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.get_kind_display()} · {self.taken_on}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_public(self) -> bool:
        """Serious fire-safety violations and suspensions are published; vetting never, nor
        a withdrawn action."""
        if self.withdrawn_at is not None:
            return False
        return self.section == Section.FIRE or self.trigger == self.Trigger.SUSPENSION
