"""The region tree every app keys on: the scope's prefixes, the register's counties, the
campaign's province, the rounds' and draws' regions."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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

    # Audit events name it as they did while it lived in institutions/ (accounts.audit).
    audit_label = "institutions.Region"

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    # The tables keep the names they had while the model lived in institutions/.
    history = HistoricalRecords(table_name="institutions_historicalregion")

    class Meta:
        db_table = "institutions_region"
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The significant digits every code inside this region starts with."""
        return self.code[: {"province": 2, "city": 4, "county": 6}[self.level]]
